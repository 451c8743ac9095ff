// $apply sequence × resource × the other query options → BoundApply: names resolved, types checked, laid out as SQL levels (CTEs).
//
// The binder walks the transformations with a *state*: the relation the next transformation reads.
// An entity state still has the entity set's columns (filter, search, compute, orderby keep it);
// a rows state holds generated columns (after groupby, aggregate, concat). Transformations that
// need a new SQL level (top, skip, topcount…, groupby, concat) close the state into a CTE; the
// others only add conditions or expressions to it, so PostgreSQL sees one flat query where it can.
import type { EdmPrimitive, EntitySetDef } from '../model/edm';
import { findEntitySet, findNavigation, findProperty } from '../model/entity-model';
import { assertNever, odataInvalid, odataNotImplemented, odataTypeMismatch, odataUnknownProperty } from '../errors';
import type {
  AggregateItem,
  ApplySequence,
  GroupingPath,
  ApplyTransformation,
  ComputeItem,
  ConcatTransformation,
  Expr,
  GroupByTransformation,
  OrderItem,
  ParsedQuery,
  PathExpr,
  SelectItem,
  TopBottomTransformation,
} from './ast';
import { bindBoolean, bindExpr, bindSearch, isNumeric, rootScope, type BindSession, type DerivedColumn, type Scope } from './bind-expr';
import type { AggregateMethod, ApplyExpr, ApplyFrom, ApplyOrder, ApplyRelation, ApplySelect, ApplyShapes, BoundApply, BoundExpr, BoundType, NavigationJoin, OutputColumn, TableRef } from './bound';
import { resultColumn } from './result-columns';
import { keyColumns, propertyColumns } from './entity-columns';

// ---------------------------------------------------------------------------------------------

interface Computed {
  readonly name: string;
  readonly expr: BoundExpr;
  readonly type: BoundType;
}

interface RowColumn {
  readonly name: string;
  /** Navigation names the property is nested in (groupby over navigation). */
  readonly path: readonly string[];
  readonly type: BoundType;
  readonly dynamic: boolean;
  readonly expr: BoundExpr;
}

interface EntityState {
  readonly kind: 'entity';
  readonly ref: TableRef;
  readonly from: ApplyFrom;
  readonly where: readonly ApplyExpr[];
  readonly computed: readonly Computed[];
  readonly order: readonly ApplyOrder[];
}

interface RowsState {
  readonly kind: 'rows';
  readonly alias: string;
  readonly from: ApplyFrom;
  readonly columns: readonly RowColumn[];
  readonly where: readonly ApplyExpr[];
  readonly order: readonly ApplyOrder[];
  /** After concat: the shape column and, per shape, the keys (path/name) of the columns present. */
  readonly shape?: { readonly expr: BoundExpr; readonly members: readonly (readonly string[])[] };
}

type State = EntityState | RowsState;

/**
 * Generated names: CTEs s$1, s$2, …; columns with a letter by role (g grouping, a aggregate, d computed,
 * o order, w window, u union, h shape, r row number) and a request-wide number. The '$' keeps them apart
 * from every model name (model tables and columns are plain identifiers), so `t0.*` never brings in a
 * column of the same name and no CTE hides a table.
 */
interface Names {
  readonly session: BindSession;
  readonly ctes: ApplyRelation[];
  relation(): string;
  column(prefix: string): string;
}

function createNames(session: BindSession): Names {
  let relations = 0;
  let columns = 0;
  return {
    session,
    ctes: [],
    relation: () => `s$${++relations}`,
    column: (prefix) => `${prefix}$${columns++}`,
  };
}

const keyOf = (path: readonly string[], name: string): string => [...path, name].join('/');

function derivedRef(alias: string, sqlName: string, type: BoundType): BoundExpr {
  return { kind: 'derived', alias, sqlName, type };
}

function fromAlias(from: ApplyFrom): string {
  return from.kind === 'table' ? from.ref.alias : from.alias;
}

function relationFrom(name: string): ApplyFrom {
  return { kind: 'relation', name, alias: name };
}

function and(conditions: readonly BoundExpr[]): BoundExpr | undefined {
  return conditions.reduce<BoundExpr | undefined>(
    (acc, c) => (acc === undefined ? c : { kind: 'logical', op: 'and', left: acc, right: c, type: 'Edm.Boolean' }),
    undefined,
  );
}

function scopeOf(names: Names, s: State): Scope {
  if (s.kind === 'entity') {
    return rootScope(names.session, s.ref, new Map(s.computed.map((c) => [c.name, { expr: c.expr, type: c.type }])));
  }
  const derived = new Map<string, DerivedColumn>(s.columns.map((c) => [keyOf(c.path, c.name), { expr: c.expr, type: c.type }]));
  return { session: names.session, variables: new Map(), derived };
}

/** Names an instance of the state has at the top level (for alias collisions). */
function visibleNames(s: State): Set<string> {
  if (s.kind === 'entity') {
    return new Set([...s.ref.set.properties.map((p) => p.name), ...s.ref.set.navigations.map((n) => n.name), ...s.computed.map((c) => c.name)]);
  }
  return new Set(s.columns.map((c) => c.path[0] ?? c.name));
}

/**
 * Over a rows state, `session/channel` is one generated column: paths matching a derived key
 * become a single member segment so that bindExpr finds them.
 */
function rewritePaths(e: Expr, keys: ReadonlySet<string>): Expr {
  const r = (x: Expr) => rewritePaths(x, keys);
  switch (e.kind) {
    case 'path': {
      if (e.root.kind !== 'implicit' || e.segments.length < 2 || !e.segments.every((s) => s.kind === 'member')) return e;
      const joined = e.segments.map((s) => (s.kind === 'member' ? s.name : '')).join('/');
      return keys.has(joined) ? { ...e, segments: [{ kind: 'member', name: joined, pos: e.pos }] } : e;
    }
    case 'binary':
      return { ...e, left: r(e.left), right: r(e.right) };
    case 'unary':
      return { ...e, operand: r(e.operand) };
    case 'call':
      return { ...e, args: e.args.map(r) };
    case 'cast':
    case 'isof':
      return e.operand === undefined ? e : { ...e, operand: r(e.operand) };
    case 'case':
      return { ...e, branches: e.branches.map((b) => ({ when: r(b.when), then: r(b.then) })) };
    case 'array':
      return { ...e, items: e.items.map(r) };
    case 'object':
      return { ...e, members: e.members.map((m) => ({ ...m, value: r(m.value) })) };
    case 'literal':
    case 'alias':
    case 'list':
      return e;
    default:
      return assertNever(e);
  }
}

function bindIn(scope: Scope, e: Expr): BoundExpr {
  return bindExpr(scope.ref === undefined ? rewritePaths(e, new Set(scope.derived.keys())) : e, scope);
}

function bindConditionIn(scope: Scope, e: Expr, what: string): BoundExpr {
  return bindBoolean(scope.ref === undefined ? rewritePaths(e, new Set(scope.derived.keys())) : e, scope, what);
}

function bindOrderItems(scope: Scope, items: readonly OrderItem[]): ApplyOrder[] {
  return items.map((item) => {
    const expr = bindIn(scope, item.expr);
    if (expr.type === 'null') throw odataInvalid(`orderby item at position ${item.pos} is a constant null`);
    return { expr, desc: item.direction === 'desc' };
  });
}

function sameExpr(a: BoundExpr, b: BoundExpr): boolean {
  if (a.kind === 'column' && b.kind === 'column') return a.alias === b.alias && a.column === b.column;
  if (a.kind === 'derived' && b.kind === 'derived') return a.alias === b.alias && a.sqlName === b.sqlName;
  return false;
}

/** Drops order items that repeat an earlier key: they cannot change the order. */
function distinctOrder(order: readonly ApplyOrder[]): ApplyOrder[] {
  return order.filter((o, i) => !order.slice(0, i).some((p) => sameExpr(p.expr, o.expr)));
}

/** A total order of the state's rows: the key of an entity, or every column of a rows state. */
function tieBreak(s: State): ApplyOrder[] {
  if (s.kind === 'entity') return keyColumns(s.ref).map((k) => ({ expr: k.expr, desc: false, notNull: true }));
  // A rolled-up row and a group whose value is null differ only in their shape.
  return [...s.columns.map((c) => ({ expr: c.expr, desc: false })), ...(s.shape ? [{ expr: s.shape.expr, desc: false }] : [])];
}

interface CloseOptions {
  /** ORDER BY of the new level (for LIMIT/OFFSET and window functions). */
  readonly orderBy?: readonly ApplyOrder[];
  readonly limit?: number;
  readonly offset?: number;
  /** The order the new state keeps (default: the state's pending order). */
  readonly carry?: readonly ApplyOrder[];
  /** Extra generated columns (window values), returned as references. */
  readonly extra?: readonly { readonly prefix: string; readonly expr: ApplyExpr; readonly type: BoundType }[];
}

/** Writes the state as a CTE (pending conditions, computed values and order values included) and reads on from it. */
function close(names: Names, s: State, o: CloseOptions = {}): { state: State; extra: BoundExpr[] } {
  const name = names.relation();
  const old = fromAlias(s.from);
  const columns: { sqlName: string; expr: ApplyExpr }[] = [];
  const keep = (e: BoundExpr, prefix: string): BoundExpr => {
    // Columns of the level below pass through `old.*` under the same name.
    if ((e.kind === 'derived' && e.alias === old) || (e.kind === 'column' && e.alias === old)) return { ...e, alias: name };
    const sqlName = names.column(prefix);
    columns.push({ sqlName, expr: e });
    return derivedRef(name, sqlName, e.type);
  };
  const carried = (o.carry ?? s.order).map((x) => ({ ...x, expr: keep(x.expr, 'o') }));
  const extra = (o.extra ?? []).map((x) => {
    const sqlName = names.column(x.prefix);
    columns.push({ sqlName, expr: x.expr });
    return derivedRef(name, sqlName, x.type);
  });
  const from = relationFrom(name);
  let state: State;
  if (s.kind === 'entity') {
    const computed = s.computed.map((c) => ({ ...c, expr: keep(c.expr, 'd') }));
    state = { kind: 'entity', ref: { alias: name, set: s.ref.set }, from, where: [], computed, order: carried };
  } else {
    const rowColumns = s.columns.map((c) => ({ ...c, expr: keep(c.expr, 'd') }));
    const shape = s.shape === undefined ? undefined : { ...s.shape, expr: keep(s.shape.expr, 'h') };
    state = { kind: 'rows', alias: name, from, columns: rowColumns, where: [], order: carried, ...(shape ? { shape } : {}) };
  }
  names.ctes.push({
    kind: 'select',
    name,
    from: s.from,
    star: true,
    columns,
    where: s.where,
    orderBy: o.orderBy ?? [],
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    ...(o.offset !== undefined ? { offset: o.offset } : {}),
  });
  return { state, extra };
}

// --- compute ----------------------------------------------------------------------------------

function checkAlias(alias: string, taken: ReadonlySet<string>, pos: number, what: string): void {
  if (taken.has(alias)) {
    throw odataInvalid(`${what} alias '${alias}' (position ${pos}) is already the name of a property or alias; choose another name`, { target: alias });
  }
}

function bindCompute(names: Names, s: State, items: readonly ComputeItem[]): State {
  let state = s;
  for (const item of items) {
    checkAlias(item.alias, visibleNames(state), item.pos, 'compute');
    const expr = bindIn(scopeOf(names, state), item.expr);
    if (state.kind === 'entity') {
      state = { ...state, computed: [...state.computed, { name: item.alias, expr, type: expr.type }] };
    } else {
      const column: RowColumn = { name: item.alias, path: [], type: expr.type, dynamic: true, expr };
      const shape = state.shape === undefined ? undefined : { ...state.shape, members: state.shape.members.map((m) => [...m, item.alias]) };
      state = { ...state, columns: [...state.columns, column], ...(shape ? { shape } : {}) };
    }
  }
  return state;
}

// --- top/bottom ---------------------------------------------------------------------------------

/** The first argument of topcount & co.: a number known before the query runs. */
function constantAmount(scope: Scope, e: Expr, what: string): { text: string; value: number } {
  let bound: BoundExpr;
  try {
    bound = bindExpr(e, scope);
  } catch {
    throw odataNotImplemented(`The first argument of ${what}() must be a number literal (position ${e.pos}); expressions over the collection are not supported`);
  }
  if (bound.kind !== 'literal' || !isNumeric(bound.type) || bound.value === null) {
    throw odataNotImplemented(`The first argument of ${what}() must be a number literal (position ${e.pos}); expressions over the collection are not supported`);
  }
  const text = String(bound.value);
  return { text, value: Number(text) };
}

/** Keeps the rows whose row number (in `order`, per partition) passes `op` against n. */
function rowNumberCut(names: Names, s: State, order: readonly ApplyOrder[], partition: readonly BoundExpr[], op: 'le' | 'gt', n: number): State {
  const { state, extra } = close(names, s, {
    carry: order,
    extra: [{ prefix: 'w', expr: { kind: 'rowNumber', order, partition, type: 'Edm.Int64' }, type: 'Edm.Int64' }],
  });
  const rn = extra[0] as BoundExpr;
  return { ...state, where: [{ kind: 'comparison', op, left: rn, right: { kind: 'literal', type: 'Edm.Int64', value: String(n) }, type: 'Edm.Boolean' }] };
}

/**
 * topcount & co. over the whole input, or per group when `partition` holds the grouping values
 * (groupby((a),topcount(2,x))): then window functions partitioned by them instead of LIMIT.
 */
function bindTopBottom(names: Names, s: State, t: TopBottomTransformation, partition?: readonly BoundExpr[]): State {
  const scope = scopeOf(names, s);
  const amount = constantAmount(scope, t.amount, t.kind);
  const e = bindIn(scope, t.expr);
  const top = t.kind.startsWith('top');
  const order = distinctOrder([{ expr: e, desc: top, nullsLast: true }, ...tieBreak(s)]);
  if (t.kind === 'topcount' || t.kind === 'bottomcount') {
    if (!Number.isSafeInteger(amount.value) || amount.value < 0) {
      throw odataInvalid(`${t.kind}() needs a non-negative integer count, got ${amount.text} (position ${t.amount.pos})`);
    }
    if (e.type === 'null' || e.type === 'Edm.Boolean') throw odataTypeMismatch(`${t.kind}() needs an ordered value, not ${e.type} (position ${t.expr.pos})`);
    if (partition !== undefined) return rowNumberCut(names, s, order, partition, 'le', amount.value);
    return close(names, s, { orderBy: order, carry: order, limit: amount.value }).state;
  }
  if (!isNumeric(e.type)) throw odataTypeMismatch(`${t.kind}() needs a numeric expression, not ${e.type} (position ${t.expr.pos})`);
  const percent = t.kind === 'toppercent' || t.kind === 'bottompercent';
  if (percent && !(amount.value > 0 && amount.value <= 100)) {
    throw odataInvalid(`${t.kind}() needs a percentage above 0 and at most 100, got ${amount.text} (position ${t.amount.pos})`);
  }
  const sumType: BoundType = e.type === 'Edm.Double' ? 'Edm.Double' : 'Edm.Decimal';
  const { state, extra } = close(names, s, {
    carry: order,
    extra: [
      { prefix: 'w', expr: { kind: 'runningSum', arg: e, order, ...(partition ? { partition } : {}), type: sumType }, type: sumType },
      ...(percent ? [{ prefix: 'w', expr: { kind: 'totalSum', arg: e, ...(partition ? { partition } : {}), type: sumType } as const, type: sumType }] : []),
    ],
  });
  const [running, total] = extra as [BoundExpr, BoundExpr | undefined];
  const cutoff: ApplyExpr = {
    kind: 'cutoff',
    running,
    ...(total ? { total } : {}),
    threshold: amount.text,
    op: !percent && amount.value < 0 ? 'gt' : 'lt',
    type: 'Edm.Boolean',
  };
  return { ...state, where: [cutoff] };
}

// --- groupby / aggregate --------------------------------------------------------------------------

interface GroupKey {
  readonly name: string;
  readonly path: readonly string[];
  readonly type: BoundType;
  readonly dynamic: boolean;
  readonly expr: BoundExpr;
}

function memberPath(path: readonly string[], pos: number): PathExpr {
  return { kind: 'path', root: { kind: 'implicit' }, segments: path.map((name) => ({ kind: 'member', name, pos })), pos };
}

function bindGroupingPath(names: Names, s: State, scope: Scope, path: readonly string[], pos: number): GroupKey {
  const name = path[path.length - 1] as string;
  if (s.kind === 'rows') {
    const column = s.columns.find((c) => keyOf(c.path, c.name) === path.join('/'));
    if (column === undefined) {
      const available = s.columns.map((c) => keyOf(c.path, c.name)).join(', ');
      throw odataUnknownProperty(`'${path.join('/')}' (position ${pos}) is not a property of the transformed result; available: ${available}`, {
        target: path.join('/'),
      });
    }
    return { name: column.name, path: column.path, type: column.type, dynamic: column.dynamic, expr: column.expr };
  }
  const expr = bindExpr(memberPath(path, pos), scope);
  const dynamic = path.length === 1 && s.computed.some((c) => c.name === name);
  return { name, path: path.slice(0, -1), type: expr.type, dynamic, expr };
}

type BoundAggregate =
  | { readonly kind: 'plain'; readonly alias: string; readonly method: AggregateMethod; readonly arg?: BoundExpr; readonly type: BoundType; readonly pos: number }
  | {
      readonly kind: 'navigation';
      readonly alias: string;
      readonly method: AggregateMethod;
      readonly inner: TableRef;
      readonly join: NavigationJoin;
      readonly value?: BoundExpr;
      readonly type: BoundType;
      readonly pos: number;
    };

const METHODS = new Set(['sum', 'min', 'max', 'average', 'countdistinct']);

/** Result types (Data Aggregation §3.2.1.3): sum widens integers, average is Double or Decimal, counts are Int64. */
function aggregateType(method: AggregateMethod, type: BoundType, pos: number): BoundType {
  if (method === 'count' || method === 'countdistinct') return 'Edm.Int64';
  if (type === 'null') throw odataTypeMismatch(`Cannot aggregate the constant null with ${method} (position ${pos})`);
  switch (method) {
    case 'sum':
      if (type === 'Edm.Int16' || type === 'Edm.Int32') return 'Edm.Int64';
      if (type === 'Edm.Int64' || type === 'Edm.Decimal') return 'Edm.Decimal';
      if (type === 'Edm.Double' || type === 'Edm.Duration') return type;
      break;
    case 'average':
      if (type === 'Edm.Double' || type === 'Edm.Duration') return type;
      if (isNumeric(type)) return 'Edm.Decimal';
      break;
    case 'min':
    case 'max':
      if (type !== 'Edm.Boolean' && type !== 'Edm.Guid') return type;
      break;
    default:
      return assertNever(method);
  }
  throw odataTypeMismatch(`Aggregation method ${method} cannot be applied to ${type} (position ${pos})`);
}

/** `session/stepsCount` over an entity state: the navigation and the rest of the path, or undefined for other expressions. */
function navigationPrefix(s: State, e: Expr): { nav: string; rest: string[] } | undefined {
  if (s.kind !== 'entity' || e.kind !== 'path' || e.root.kind !== 'implicit') return undefined;
  const segments: string[] = [];
  for (const seg of e.segments) {
    if (seg.kind !== 'member') return undefined;
    segments.push(seg.name);
  }
  const [first, ...rest] = segments;
  if (first === undefined || findNavigation(s.ref.set, first) === undefined) return undefined;
  return { nav: first, rest };
}

function bindNavigationAggregate(
  names: Names,
  s: EntityState,
  navName: string,
  rest: readonly string[],
  method: AggregateMethod,
  alias: string,
  pos: number,
): BoundAggregate {
  const session = names.session;
  const nav = findNavigation(s.ref.set, navName);
  if (nav === undefined) throw odataUnknownProperty(`${s.ref.set.typeName} has no navigation property '${navName}' (position ${pos})`, { target: navName });
  const targetSet = findEntitySet(session.model, nav.target) as EntitySetDef;
  const inner = session.tableRef(s.ref.set);
  const target = session.tableRef(targetSet);
  const join: NavigationJoin = { parent: inner, nav, target };
  if (rest.length === 0) {
    if (method !== 'count' && method !== 'countdistinct') {
      throw odataTypeMismatch(`'${navName}' is an entity; aggregate one of its properties, e.g. ${navName}/<property> with ${method} (position ${pos})`);
    }
    return { kind: 'navigation', alias, method: 'count', inner, join, type: 'Edm.Int64', pos };
  }
  if (rest.length > 1 && findNavigation(targetSet, rest[0] as string) !== undefined) {
    throw odataNotImplemented(`Aggregating over more than one navigation step ('${[navName, ...rest].join('/')}', position ${pos}) is not supported`);
  }
  const value = bindExpr(memberPath(rest, pos), rootScope(session, target));
  return { kind: 'navigation', alias, method, inner, join, value, type: aggregateType(method, value.type, pos), pos };
}

/** Names first (400), then what is not supported (501). */
function bindAggregateItem(names: Names, s: State, scope: Scope, item: AggregateItem): BoundAggregate {
  const bound = bindAggregateExpression(names, s, scope, item);
  if (item.from.length > 0) {
    for (const f of item.from) for (const g of f.groupings) bindGroupingPath(names, s, scope, g, item.pos);
    throw odataNotImplemented(`The 'from' keyword in aggregate expressions is not supported (position ${item.pos}); use groupby(…)/aggregate(…) instead`);
  }
  return bound;
}

function bindAggregateExpression(names: Names, s: State, scope: Scope, item: AggregateItem): BoundAggregate {
  switch (item.kind) {
    case 'aggregateCount': {
      const alias = requireAlias(item.alias, item.pos);
      if (item.path.length === 0) return { kind: 'plain', alias, method: 'count', type: 'Edm.Int64', pos: item.pos };
      const [navName, ...more] = item.path;
      if (s.kind !== 'entity' || navName === undefined || findNavigation(s.ref.set, navName) === undefined) {
        throw odataUnknownProperty(`'${item.path.join('/')}/$count' (position ${item.pos}): '${item.path[0] ?? ''}' is not a navigation property here`, {
          target: item.path.join('/'),
        });
      }
      if (more.length > 0) throw odataNotImplemented(`Counting over more than one navigation step (position ${item.pos}) is not supported`);
      return bindNavigationAggregate(names, s, navName, [], 'count', alias, item.pos);
    }
    case 'aggregateWith': {
      const alias = requireAlias(item.alias, item.pos);
      if (!METHODS.has(item.method)) {
        throw odataNotImplemented(`Custom aggregation method '${item.method}' is not supported (position ${item.pos}); use sum, min, max, average or countdistinct`);
      }
      const method = item.method as AggregateMethod;
      const navigation = navigationPrefix(s, item.expr);
      if (navigation !== undefined && s.kind === 'entity') {
        return bindNavigationAggregate(names, s, navigation.nav, navigation.rest, method, alias, item.pos);
      }
      const arg = bindIn(scope, item.expr);
      return { kind: 'plain', alias, method, arg, type: aggregateType(method, arg.type, item.pos), pos: item.pos };
    }
    case 'aggregateCustom': {
      const known = item.path.length === 0 && (scope.derived.has(item.name) || (scope.ref !== undefined && findProperty(scope.ref.set, item.name) !== undefined));
      if (known) {
        throw odataInvalid(
          `'${item.name}' needs an aggregation method (position ${item.pos}): write '${item.name} with sum as Alias' (sum, min, max, average or countdistinct)`,
          { target: item.name },
        );
      }
      // This model defines no custom aggregates: an unknown name.
      throw odataUnknownProperty(`'${[...item.path, item.name].join('/')}' (position ${item.pos}) is neither a property nor a custom aggregate of this model`, {
        target: [...item.path, item.name].join('/'),
      });
    }
    default:
      return assertNever(item);
  }
}

function requireAlias(alias: string | undefined, pos: number): string {
  if (alias === undefined) throw odataInvalid(`The aggregate expression at position ${pos} needs an alias: '… as Name'`);
  return alias;
}

/** The transformations allowed inside groupby before its aggregate: they only select or extend rows. */
interface NestedSequence {
  readonly conditions: readonly BoundExpr[];
  readonly scope: Scope;
  readonly items: readonly AggregateItem[];
}

function bindNested(names: Names, s: State, sequence: ApplySequence | undefined): NestedSequence {
  let scope = scopeOf(names, s);
  const conditions: BoundExpr[] = [];
  if (sequence === undefined) return { conditions, scope, items: [] };
  let taken = visibleNames(s);
  for (let i = 0; i < sequence.length; i++) {
    const t = sequence[i] as ApplyTransformation;
    names.session.countNode(t.pos);
    const last = i === sequence.length - 1;
    switch (t.kind) {
      case 'identity':
      case 'orderby':
        // The order of a group's rows does not change its aggregates.
        break;
      case 'filter':
        conditions.push(bindConditionIn(scope, t.predicate, 'filter()'));
        break;
      case 'search':
        if (scope.ref === undefined) throw odataNotImplemented(`search() after groupby or aggregate is not supported (position ${t.pos})`);
        conditions.push(bindSearch(scope.ref, t.search));
        break;
      case 'compute': {
        const derived = new Map(scope.derived);
        for (const item of t.items) {
          checkAlias(item.alias, taken, item.pos, 'compute');
          const expr = bindIn({ ...scope, derived }, item.expr);
          derived.set(item.alias, { expr, type: expr.type });
          taken = new Set([...taken, item.alias]);
        }
        scope = { ...scope, derived };
        break;
      }
      case 'aggregate':
        if (!last) throw odataNotImplemented(`Transformations after aggregate() inside groupby are not supported (position ${sequence[i + 1]?.pos ?? t.pos})`);
        return { conditions, scope, items: t.items };
      default:
        throw odataNotImplemented(
          `groupby with a nested '${t.kind}' is not supported (position ${t.pos}); inside groupby use filter, search or compute followed by aggregate`,
        );
    }
  }
  throw odataNotImplemented(`groupby with a nested sequence must end with aggregate(…) (position ${sequence[0]?.pos ?? 0}); other nested sequences are not supported`);
}

/** Most rollup keys in one groupby: the shapes of the result are numbered by a bit mask. */
const MAX_ROLLUP_KEYS = 8;

/**
 * groupby((keys), [filter…/]aggregate(items)) and aggregate(items): one GROUP BY level. Two levels when
 * navigation aggregates read the input again or rollup needs GROUPING SETS over plain columns.
 * `rollups` lists, per rollup(p1,…,pk), the indexes of p1…pk in `keys`.
 */
function bindGrouping(names: Names, s: State, keys: readonly GroupKey[], nested: NestedSequence, rollups: readonly (readonly number[])[] = []): State {
  const taken = visibleNames(s);
  const outNames = new Set(keys.map((k) => k.path[0] ?? k.name));
  const aggregates = nested.items.map((item) => {
    const a = bindAggregateItem(names, s, nested.scope, item);
    checkAlias(a.alias, new Set([...taken, ...outNames]), a.pos, 'aggregate');
    outNames.add(a.alias);
    return a;
  });
  const filter = and(nested.conditions);
  const navigations = aggregates.some((a) => a.kind === 'navigation');
  const rolled = [...new Set(rollups.flat())];
  if (navigations && rolled.length > 0) {
    throw odataNotImplemented('Aggregating over a navigation together with rollup is not supported; use a property of the input set');
  }
  if (rolled.length > MAX_ROLLUP_KEYS) throw odataNotImplemented(`rollup over more than ${MAX_ROLLUP_KEYS} properties is not supported`);
  const pre = navigations || rolled.length > 0 ? names.relation() : '';
  const main = names.relation();
  const keyColumns = keys.map((k) => ({ sqlName: names.column('g'), key: k }));
  const aggColumns = aggregates.map((a) => ({ sqlName: names.column('a'), a }));
  let select: ApplySelect;
  let shape: RowsState['shape'];
  if (pre === '') {
    select = {
      kind: 'select',
      name: main,
      from: s.from,
      star: false,
      columns: [
        ...keyColumns.map((k) => ({ sqlName: k.sqlName, expr: k.key.expr })),
        ...aggColumns.map(({ sqlName, a }) => ({
          sqlName,
          expr: { kind: 'aggregate', method: a.method, ...(a.kind === 'plain' && a.arg ? { arg: a.arg } : {}), ...(filter ? { filter } : {}), type: a.type } as ApplyExpr,
        })),
      ],
      where: s.where,
      groupBy: keys.length,
      orderBy: [],
    };
  } else {
    // The input is written once as a CTE with its grouping values, aggregate arguments and filter flag;
    // each navigation aggregate reads it again to find the related entities of its group, and
    // GROUPING SETS repeat plain column references (repeated expressions would not match).
    const preColumns: { sqlName: string; expr: ApplyExpr }[] = [];
    const project = (expr: BoundExpr, prefix: string): { inner: (alias: string) => BoundExpr; outer: BoundExpr } => {
      const sqlName = names.column(prefix);
      preColumns.push({ sqlName, expr });
      return { inner: (alias) => derivedRef(alias, sqlName, expr.type), outer: derivedRef(pre, sqlName, expr.type) };
    };
    const keyRefs = keyColumns.map((k) => project(k.key.expr, 'g'));
    const flag = filter === undefined ? undefined : project(filter, 'f');
    const args = aggregates.map((a) => (a.kind === 'plain' && a.arg !== undefined ? project(a.arg, 'v') : undefined));
    names.ctes.push({ kind: 'select', name: pre, from: s.from, star: navigations, columns: preColumns, where: s.where, orderBy: [] });
    select = {
      kind: 'select',
      name: main,
      from: relationFrom(pre),
      star: false,
      columns: [
        ...keyColumns.map((k, i) => ({ sqlName: k.sqlName, expr: (keyRefs[i] as { outer: BoundExpr }).outer as ApplyExpr })),
        ...aggColumns.map(({ sqlName, a }, i): { sqlName: string; expr: ApplyExpr } => {
          if (a.kind === 'plain') {
            const arg = args[i]?.outer;
            return { sqlName, expr: { kind: 'aggregate', method: a.method, ...(arg ? { arg } : {}), ...(flag ? { filter: flag.outer } : {}), type: a.type } };
          }
          return {
            sqlName,
            expr: {
              kind: 'navigationAggregate',
              method: a.method,
              source: pre,
              join: a.join,
              ...(a.value ? { value: a.value } : {}),
              ...(flag ? { filter: flag.inner(a.inner.alias) } : {}),
              match: keyRefs.map((r) => ({ inner: r.inner(a.inner.alias), outer: r.outer })),
              type: a.type,
            },
          };
        }),
      ],
      where: [],
      ...(rolled.length === 0 ? { groupBy: keys.length } : { groupingSets: groupingSets(keys.length, rollups) }),
      orderBy: [],
    };
    if (rolled.length > 0) {
      const sqlName = names.column('h');
      select = { ...select, columns: [...select.columns, { sqlName, expr: { kind: 'grouping', args: rolled.map((i) => (keyRefs[i] as { outer: BoundExpr }).outer), type: 'Edm.Int32' } }] };
      const aliases = aggregates.map((a) => a.alias);
      const sets = groupingSets(keys.length, rollups);
      const maskOf = (set: readonly number[]) => rolled.reduce((m, k, bit) => (set.includes(k) ? m : m | (1 << (rolled.length - 1 - bit))), 0);
      const used = new Set(sets.map(maskOf));
      // Masks no grouping set produces keep every name, so they do not narrow the context URL.
      const members = Array.from({ length: 2 ** rolled.length }, (_, mask) => [
        ...keys.flatMap((k, i) => {
          const bit = rolled.indexOf(i);
          return used.has(mask) && bit >= 0 && (mask & (1 << (rolled.length - 1 - bit))) !== 0 ? [] : [keyOf(k.path, k.name)];
        }),
        ...aliases,
      ]);
      shape = { expr: derivedRef(main, sqlName, 'Edm.Int32'), members };
    }
  }
  names.ctes.push(select);
  const columns: RowColumn[] = [
    ...keyColumns.map(({ sqlName, key }) => ({ name: key.name, path: key.path, type: key.type, dynamic: key.dynamic, expr: derivedRef(main, sqlName, key.type) })),
    ...aggColumns.map(({ sqlName, a }) => ({ name: a.alias, path: [], type: a.type, dynamic: true, expr: derivedRef(main, sqlName, a.type) })),
  ];
  return { kind: 'rows', alias: main, from: relationFrom(main), columns, where: [], order: [], ...(shape ? { shape } : {}) };
}

/**
 * The grouping sets of groupby((plain…, rollup(p1,…,pk), …)): every plain key, and per rollup one of
 * (p1…pk), (p1…pk-1), …, (p1) — all combinations (Data Aggregation §3.2.3.2; no grand total level).
 * groupingSets(3, [[1, 2]]) → [[0, 1, 2], [0, 1]]
 */
function groupingSets(keyCount: number, rollups: readonly (readonly number[])[]): number[][] {
  const rolled = new Set(rollups.flat());
  const plain = Array.from({ length: keyCount }, (_, i) => i).filter((i) => !rolled.has(i));
  let sets: number[][] = [plain];
  for (const r of rollups) {
    const levels = r.map((_, n) => r.slice(0, r.length - n));
    sets = sets.flatMap((set) => levels.map((level) => [...set, ...level.filter((i) => !set.includes(i))]));
  }
  return sets.map((set) => [...set].sort((a, b) => a - b));
}

const WINDOWED = new Set<ApplyTransformation['kind']>(['top', 'skip', 'topcount', 'bottomcount', 'toppercent', 'bottompercent', 'topsum', 'bottomsum']);

/**
 * groupby((keys), seq) where seq keeps the input structure and ranks or pages within each group
 * (topcount, top, skip, …): window functions partitioned by the grouping values. The output is the
 * kept input rows (their grouping values are their own properties).
 */
function bindPartitioned(names: Names, s: State, keys: readonly GroupKey[], sequence: ApplySequence, pos: number): State {
  if (keys.some((k) => k.path.length > 0)) {
    throw odataNotImplemented(`groupby over a navigation property with a nested '${sequence.find((t) => WINDOWED.has(t.kind))?.kind ?? ''}' is not supported (position ${pos}); group by properties of the input`);
  }
  // The grouping values become columns so that they survive the levels the sequence adds.
  const start = close(names, s, { extra: keys.map((k) => ({ prefix: 'k', expr: k.expr, type: k.type })) });
  let state = start.state;
  let partition = start.extra;
  for (const t of sequence) {
    names.session.countNode(t.pos);
    switch (t.kind) {
      case 'identity':
      case 'filter':
      case 'search':
      case 'compute':
      case 'orderby':
        state = bindTransformation(names, t, state);
        break;
      case 'top':
      case 'skip': {
        const order = distinctOrder([...state.order, ...tieBreak(state)]);
        state = rowNumberCut(names, state, order, partition, t.kind === 'top' ? 'le' : 'gt', t.count);
        break;
      }
      case 'topcount':
      case 'bottomcount':
      case 'toppercent':
      case 'bottompercent':
      case 'topsum':
      case 'bottomsum':
        state = bindTopBottom(names, state, t, partition);
        break;
      case 'aggregate':
        throw odataNotImplemented(
          `aggregate() after ${sequence.filter((x) => WINDOWED.has(x.kind)).map((x) => x.kind).join(', ')} inside groupby is not supported (position ${t.pos})`,
        );
      default:
        throw odataNotImplemented(`groupby with a nested '${t.kind}' is not supported (position ${t.pos})`);
    }
    // Every level selects the one below with `*`: the grouping columns keep their names.
    const alias = fromAlias(state.from);
    partition = partition.map((p) => (p.kind === 'derived' ? { ...p, alias } : p));
  }
  return state;
}

/**
 * The properties of the entity a path of single-valued navigations reaches (`Customer` → Customer/ID, Customer/Name, …),
 * or undefined when the path does not end at such an entity. Grouping by a navigation groups by the related entity and
 * returns it expanded (Data Aggregation §3.10.1).
 */
function navigationGrouping(names: Names, s: State, path: readonly string[]): string[][] | undefined {
  if (path.length === 0) return undefined;
  if (s.kind === 'rows') {
    // An entity grouped by before: its properties are nested columns under the same path.
    const nested = s.columns.filter((c) => c.path.length >= path.length && path.every((p, i) => c.path[i] === p));
    return nested.length === 0 ? undefined : nested.map((c) => [...c.path, c.name]);
  }
  let set = s.ref.set;
  for (const name of path) {
    const nav = findNavigation(set, name);
    if (nav === undefined || nav.collection) return undefined;
    set = findEntitySet(names.session.model, nav.target) as EntitySetDef;
  }
  return set.properties.map((p) => [...path, p.name]);
}

function withNavigationGroupings(names: Names, s: State, t: GroupByTransformation): GroupByTransformation {
  const groupings = t.groupings.flatMap((g): GroupByTransformation['groupings'] => {
    if (g.kind === 'groupingProperty') {
      const expanded = navigationGrouping(names, s, g.path);
      return expanded === undefined ? [g] : expanded.map((path) => ({ kind: 'groupingProperty', path, pos: g.pos }));
    }
    if (g.kind === 'rollup') return [{ ...g, paths: g.paths.flatMap((p) => navigationGrouping(names, s, p) ?? [p]) }];
    return [g];
  });
  return { ...t, groupings };
}

/**
 * The `from` keyword as the sequence it abbreviates (Data Aggregation §3.1.3):
 * groupby((G),aggregate(X with sum from T with average as A)) = groupby((G,T),aggregate(X with sum as A))/groupby((G),aggregate(A with average as A)).
 * Undefined when no aggregate item uses `from`.
 */
function withoutFrom(groupings: readonly GroupingPath[], items: readonly AggregateItem[], pos: number): ApplySequence | undefined {
  const item = items.find((i) => i.from.length > 0);
  if (item === undefined) return undefined;
  if (items.length > 1) {
    throw odataNotImplemented(`'from' (position ${item.pos}) in an aggregate() with more than one expression is not supported; aggregate each in its own request or use concat`);
  }
  const alias = item.alias;
  if (alias === undefined) throw odataInvalid(`The aggregate expression at position ${item.pos} needs an alias: '… as Name'`);
  const levels = item.from;
  const steps: ApplySequence[number][] = [];
  // Intermediate results carry names no request can write ('$' starts no OData identifier).
  const nameAt = (i: number) => (i === levels.length ? alias : `$from${i}`);
  // Finest level first: the inner method over every grouping, then each 'from' method over one grouping fewer.
  let method: string | undefined;
  for (let i = 0; i <= levels.length; i++) {
    const rest = levels.slice(i).flatMap((l) => l.groupings);
    const by = [...groupings, ...rest];
    const previous = { kind: 'path' as const, root: { kind: 'implicit' as const }, segments: [{ kind: 'member' as const, name: nameAt(i - 1), pos }], pos };
    const aggregateItem: AggregateItem =
      i === 0 ? { ...item, from: [], alias: nameAt(0) } : { kind: 'aggregateWith', expr: previous, method: method as string, from: [], alias: nameAt(i), pos };
    const aggregate = { kind: 'aggregate' as const, items: [aggregateItem], pos };
    steps.push(by.length === 0 ? aggregate : { kind: 'groupby', groupings: by.map((path) => ({ kind: 'groupingProperty' as const, path, pos })), sequence: [aggregate], pos });
    const level = levels[i];
    if (level !== undefined) {
      if (level.method === undefined) throw odataInvalid(`'from' (position ${item.pos}) needs 'with' and an aggregation method after its grouping properties`);
      method = level.method;
    }
  }
  return steps;
}

function bindGroupBy(names: Names, s: State, written: GroupByTransformation): State {
  const t = withNavigationGroupings(names, s, written);
  const last = t.sequence?.[t.sequence.length - 1];
  if (t.sequence?.length === 1 && last?.kind === 'aggregate' && t.groupings.every((g) => g.kind === 'groupingProperty')) {
    const groupings = t.groupings.map((g) => (g as { path: GroupingPath }).path);
    const sequence = withoutFrom(groupings, last.items, last.pos);
    if (sequence !== undefined) return bindSequence(names, sequence, s);
  }
  const scope = scopeOf(names, s);
  const keys: GroupKey[] = [];
  const rollups: number[][] = [];
  const add = (path: readonly string[], pos: number): number => {
    const key = bindGroupingPath(names, s, scope, path, pos);
    // A repeated grouping property does not change the groups.
    const existing = keys.findIndex((k) => keyOf(k.path, k.name) === keyOf(key.path, key.name));
    if (existing >= 0) return existing;
    keys.push(key);
    return keys.length - 1;
  };
  for (const g of t.groupings) {
    switch (g.kind) {
      case 'groupingProperty':
        add(g.path, g.pos);
        break;
      case 'rollup':
        rollups.push(g.paths.map((p) => add(p, g.pos)));
        break;
      case 'rollupHierarchy':
        throw odataInvalid(`rollup(${g.hierarchy}) (position ${g.pos}): no leveled hierarchy named '${g.hierarchy}' is defined; list the levels, e.g. rollup(a,b)`);
      case 'rolluprecursive':
        throw odataNotImplemented(`rolluprecursive() is not supported (position ${g.pos}): this model defines no recursive hierarchies`);
      default:
        assertNever(g);
    }
  }
  // A key that is also a plain grouping property is never rolled up.
  const plain = new Set(t.groupings.flatMap((g) => (g.kind === 'groupingProperty' ? [keys.findIndex((k) => keyOf(k.path, k.name) === g.path.join('/'))] : [])));
  const effective = rollups.map((r) => r.filter((i) => !plain.has(i))).filter((r) => r.length > 0);
  if (t.sequence !== undefined && t.sequence.some((x) => WINDOWED.has(x.kind))) {
    if (effective.length > 0) throw odataNotImplemented(`rollup with a nested '${t.sequence.find((x) => WINDOWED.has(x.kind))?.kind}' is not supported (position ${t.pos})`);
    return bindPartitioned(names, s, keys, t.sequence, t.pos);
  }
  return bindGrouping(names, s, keys, bindNested(names, s, t.sequence), effective);
}

// --- concat ---------------------------------------------------------------------------------------

interface Finished {
  readonly from: ApplyFrom;
  readonly where: readonly ApplyExpr[];
  readonly columns: readonly RowColumn[];
  readonly shape?: RowsState['shape'];
  /** The state's order followed by a tie-break: a total order. */
  readonly order: readonly ApplyOrder[];
  readonly entity: boolean;
}

/** The rows a state stands for, as output columns: an entity's properties and computed values, or the generated columns. */
function finish(s: State): Finished {
  if (s.kind === 'entity') {
    const properties = propertyColumns(s.ref).map((c) => ({ name: c.name, path: [], type: c.type, dynamic: false, expr: c.expr }));
    const computed = s.computed.map((c) => ({ name: c.name, path: [], type: c.type, dynamic: true, expr: c.expr }));
    return { from: s.from, where: s.where, columns: [...properties, ...computed], order: distinctOrder([...s.order, ...tieBreak(s)]), entity: true };
  }
  return {
    from: s.from,
    where: s.where,
    columns: s.columns,
    ...(s.shape ? { shape: s.shape } : {}),
    order: distinctOrder([...s.order, ...tieBreak(s)]),
    entity: false,
  };
}

function unifyTypes(a: BoundType, b: BoundType, key: string, pos: number): BoundType {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  if (isNumeric(a) && isNumeric(b)) return a === 'Edm.Double' || b === 'Edm.Double' ? 'Edm.Double' : 'Edm.Decimal';
  throw odataNotImplemented(`concat (position ${pos}): '${key}' is ${a} in one sequence and ${b} in another; use different aliases`);
}

function bindConcat(names: Names, s: State, t: ConcatTransformation): State {
  // Every sequence reads the same input: write it once.
  const input = close(names, s).state;
  const branches = t.sequences.map((seq) => finish(bindSequence(names, seq, input)));
  const union: { key: string; name: string; path: readonly string[]; type: BoundType; dynamic: boolean; sqlName: string }[] = [];
  for (const b of branches) {
    for (const c of b.columns) {
      const key = keyOf(c.path, c.name);
      const i = union.findIndex((u) => u.key === key);
      if (i < 0) union.push({ key, name: c.name, path: c.path, type: c.type, dynamic: c.dynamic, sqlName: names.column('u') });
      else {
        const u = union[i] as (typeof union)[number];
        union[i] = { ...u, type: unifyTypes(u.type, c.type, key, t.pos), dynamic: u.dynamic || c.dynamic };
      }
    }
  }
  const name = names.relation();
  const shapeColumn = names.column('h');
  const rowColumn = names.column('r');
  const members: string[][] = [];
  const parts = branches.map((b): ApplySelect => {
    const offset = members.length;
    if (b.shape === undefined) members.push(b.columns.map((c) => keyOf(c.path, c.name)));
    else members.push(...b.shape.members.map((m) => [...m]));
    const offsetLiteral: BoundExpr = { kind: 'literal', type: 'Edm.Int32', value: offset };
    const shape: BoundExpr =
      b.shape === undefined || offset === 0
        ? (b.shape?.expr ?? offsetLiteral)
        : { kind: 'arithmetic', op: 'add', left: b.shape.expr, right: offsetLiteral, type: 'Edm.Int32' };
    const columns = union.map((u) => {
      const c = b.columns.find((x) => keyOf(x.path, x.name) === u.key);
      const type = (u.type === 'null' ? 'Edm.String' : u.type) as EdmPrimitive;
      const expr: BoundExpr =
        c === undefined
          ? { kind: 'cast', operand: { kind: 'literal', type: 'null', value: null }, type }
          : c.type === u.type
            ? c.expr
            : { kind: 'cast', operand: c.expr, type };
      return { sqlName: u.sqlName, expr: expr as ApplyExpr };
    });
    return {
      kind: 'select',
      name: '',
      from: b.from,
      star: false,
      columns: [{ sqlName: shapeColumn, expr: shape }, { sqlName: rowColumn, expr: { kind: 'rowNumber', order: b.order, type: 'Edm.Int64' } }, ...columns],
      where: b.where,
      orderBy: [],
    };
  });
  names.ctes.push({ kind: 'union', name, parts });
  const shapeExpr = derivedRef(name, shapeColumn, 'Edm.Int32');
  return {
    kind: 'rows',
    alias: name,
    from: relationFrom(name),
    columns: union.map((u) => ({ name: u.name, path: u.path, type: u.type, dynamic: u.dynamic, expr: derivedRef(name, u.sqlName, u.type) })),
    where: [],
    order: [
      { expr: shapeExpr, desc: false },
      { expr: derivedRef(name, rowColumn, 'Edm.Int64'), desc: false },
    ],
    shape: { expr: shapeExpr, members },
  };
}

// --- sequence ---------------------------------------------------------------------------------------

function bindTransformation(names: Names, t: ApplyTransformation, s: State): State {
  names.session.countNode(t.pos);
  switch (t.kind) {
    case 'identity':
      return s;
    case 'filter':
      return { ...s, where: [...s.where, bindConditionIn(scopeOf(names, s), t.predicate, 'filter()')] };
    case 'search':
      if (s.kind !== 'entity') throw odataNotImplemented(`search() after groupby, aggregate or concat is not supported (position ${t.pos}); use filter()`);
      return { ...s, where: [...s.where, bindSearch(s.ref, t.search)] };
    case 'compute':
      return bindCompute(names, s, t.items);
    case 'orderby':
      // A stable sort: the new keys first, the earlier order breaks their ties.
      return { ...s, order: [...bindOrderItems(scopeOf(names, s), t.items), ...s.order] };
    case 'top':
    case 'skip': {
      const order = distinctOrder([...s.order, ...tieBreak(s)]);
      return close(names, s, { orderBy: order, carry: order, ...(t.kind === 'top' ? { limit: t.count } : { offset: t.count }) }).state;
    }
    case 'topcount':
    case 'bottomcount':
    case 'toppercent':
    case 'bottompercent':
    case 'topsum':
    case 'bottomsum':
      return bindTopBottom(names, s, t);
    case 'aggregate': {
      const sequence = withoutFrom([], t.items, t.pos);
      if (sequence !== undefined) return bindSequence(names, sequence, s);
      return bindGrouping(names, s, [], { conditions: [], scope: scopeOf(names, s), items: t.items });
    }
    case 'groupby':
      return bindGroupBy(names, s, t);
    case 'concat':
      return bindConcat(names, s, t);
    case 'addnested':
    case 'join':
    case 'outerjoin':
      bindJoinPath(s, t);
      return notSupported(t);
    case 'nest':
    case 'ancestors':
    case 'descendants':
    case 'traverse':
      return notSupported(t);
    case 'customFunction':
      throw odataNotImplemented(`This service defines no custom set transformations such as '${t.name}' (position ${t.pos})`);
    default:
      return assertNever(t);
  }
}

function notSupported(t: ApplyTransformation): never {
  throw odataNotImplemented(
    `The $apply transformation '${t.kind}' is not supported (position ${t.pos}); supported: aggregate, groupby, filter, search, compute, orderby, top, skip, topcount, bottomcount, toppercent, bottompercent, topsum, bottomsum, concat, identity`,
  );
}

/** The path of join/outerjoin (a collection-valued property) or addnested (a navigation) must name one of the input's. */
function bindJoinPath(s: State, t: Extract<ApplyTransformation, { kind: 'join' | 'outerjoin' | 'addnested' }>): void {
  const name = t.path[0] as string;
  const where = `${t.kind}(${t.path.join('/')} …) (position ${t.pos})`;
  if (s.kind !== 'entity') {
    throw odataUnknownProperty(`${where}: the transformed result has no navigation properties`, { target: name });
  }
  if (findNavigation(s.ref.set, name) !== undefined) return;
  if (t.kind !== 'addnested' && findProperty(s.ref.set, name) !== undefined) {
    throw odataInvalid(`${where}: '${name}' is a single value; ${t.kind} needs a collection-valued property`, { target: name });
  }
  throw odataUnknownProperty(`${where}: ${s.ref.set.typeName} has no navigation property '${name}'`, { target: name });
}

function bindSequence(names: Names, seq: ApplySequence, s: State): State {
  return seq.reduce((state, t) => bindTransformation(names, t, state), s);
}

// --- final statement ----------------------------------------------------------------------------------

/** $select after $apply: top-level names of the result (a navigation name selects its nested group). */
function selectColumns(columns: readonly RowColumn[], items: readonly SelectItem[] | undefined): RowColumn[] {
  if (items === undefined || items.length === 0 || items.some((i) => i.kind === 'selectStar')) return [...columns];
  const wanted = new Set<string>();
  for (const item of items) {
    if (item.kind !== 'selectPath') continue;
    if (item.options !== undefined) throw odataNotImplemented(`Options inside $select are not supported (position ${item.pos})`);
    const path = item.path.join('/');
    const known = columns.some((c) => (c.path[0] ?? c.name) === item.path[0] && (item.path.length === 1 || keyOf(c.path, c.name) === path));
    if (!known) {
      const available = [...new Set(columns.map((c) => c.path[0] ?? c.name))].join(', ');
      throw odataUnknownProperty(`$select: '${path}' (position ${item.pos}) is not a property of the $apply result; available: ${available}`, { target: path });
    }
    wanted.add(path);
  }
  return columns.filter((c) => wanted.has(c.path[0] ?? c.name) || wanted.has(keyOf(c.path, c.name)));
}

function outputColumn(c: RowColumn): OutputColumn {
  return { name: c.name, expr: c.expr, type: c.type, ...(c.path.length > 0 ? { path: c.path } : {}), ...(c.dynamic ? { dynamic: true } : {}) };
}

/**
 * bindApply(session, Analytics resource, parse('$apply=filter(channel eq 'web')/groupby((intent),aggregate($count as n))&$orderby=n desc'))
 * → CTE s$1: SELECT t0.intent AS g$0, count(*) AS a$1 FROM analytics t0 WHERE channel = 'web' GROUP BY 1;
 *   final: SELECT s$1.g$0 AS c0, s$1.a$1 AS c1 FROM s$1 ORDER BY s$1.a$1 DESC, s$1.g$0; output [intent, n (Edm.Int64, dynamic)].
 */
export function bindApply(
  session: BindSession,
  resource: { readonly ref: TableRef; readonly where: readonly BoundExpr[] },
  q: ParsedQuery,
): BoundApply {
  if (q.expand !== undefined && q.expand.length > 0) {
    for (const item of q.expand) {
      const name = item.kind === 'expandPath' ? item.path[0] : undefined;
      if (name !== undefined && findNavigation(resource.ref.set, name) === undefined) {
        throw odataUnknownProperty(`$expand: ${resource.ref.set.typeName} has no navigation property '${name}'`, { target: name });
      }
    }
    throw odataNotImplemented('$expand together with $apply is not supported; the aggregated result has no navigation properties');
  }
  const names = createNames(session);
  let state: State = { kind: 'entity', ref: resource.ref, from: { kind: 'table', ref: resource.ref }, where: resource.where, computed: [], order: [] };
  state = bindSequence(names, q.apply ?? [], state);
  if (q.compute !== undefined) state = bindCompute(names, state, q.compute);
  if (q.search !== undefined) state = bindTransformation(names, { kind: 'search', search: q.search, pos: 0 }, state);
  if (q.filter !== undefined) state = { ...state, where: [...state.where, bindConditionIn(scopeOf(names, state), q.filter, '$filter')] };
  const orderby = q.orderby === undefined ? [] : bindOrderItems(scopeOf(names, state), q.orderby);
  const done = finish(state);
  const selected = selectColumns(done.columns, q.select);
  const columns: { sqlName: string; expr: ApplyExpr }[] = selected.map((c, i) => ({ sqlName: resultColumn.select(i), expr: c.expr }));
  let shapes: ApplyShapes | undefined;
  let common: RowColumn[] | undefined;
  if (done.shape !== undefined) {
    columns.push({ sqlName: resultColumn.shape, expr: done.shape.expr });
    const members = done.shape.members.map((m) => selected.flatMap((c, i) => (m.includes(keyOf(c.path, c.name)) ? [i] : [])));
    shapes = { column: resultColumn.shape, members };
    // Only what every instance has belongs in the context URL.
    const shared = selected.filter((_, i) => members.every((m) => m.includes(i)));
    common = shared.length > 0 ? shared : undefined;
  } else {
    const plainEntity = done.entity && selected.length === done.columns.length && selected.every((c) => !c.dynamic);
    common = plainEntity ? undefined : selected;
  }
  return {
    kind: 'apply',
    set: resource.ref.set,
    ctes: names.ctes,
    final: { kind: 'select', name: '', from: done.from, star: false, columns, where: done.where, orderBy: distinctOrder([...orderby, ...done.order]) },
    output: selected.map(outputColumn),
    ...(shapes ? { shapes } : {}),
    ...(common ? { contextColumns: common.map(outputColumn) } : {}),
    ...(q.top !== undefined ? { top: q.top } : {}),
    skip: q.skip ?? 0,
    count: q.count === true,
  };
}
