// The $apply binder's state: the relation the next transformation reads, the generated names of one
// request, and the helpers every transformation shares (binding in a state's scope, tie-breaks, close).
import type { ApplySequence, Expr, OrderItem } from './ast';
import { assertNever, odataInvalid } from '../errors';
import { bindBoolean, bindExpr, rootScope, type BindSession, type DerivedColumn, type Scope } from './bind-expr';
import type { ApplyExpr, ApplyFrom, ApplyOrder, ApplyRelation, BoundExpr, BoundType, TableRef } from './bound';
import { keyColumns, propertyColumns } from './entity-columns';

interface Computed {
  readonly name: string;
  readonly expr: BoundExpr;
  readonly type: BoundType;
}

export interface RowColumn {
  readonly name: string;
  /** Navigation names the property is nested in (groupby over navigation). */
  readonly path: readonly string[];
  readonly type: BoundType;
  readonly dynamic: boolean;
  readonly expr: BoundExpr;
}

export interface EntityState {
  readonly kind: 'entity';
  readonly ref: TableRef;
  readonly from: ApplyFrom;
  readonly where: readonly ApplyExpr[];
  readonly computed: readonly Computed[];
  readonly order: readonly ApplyOrder[];
}

export interface RowsState {
  readonly kind: 'rows';
  readonly alias: string;
  readonly from: ApplyFrom;
  readonly columns: readonly RowColumn[];
  readonly where: readonly ApplyExpr[];
  readonly order: readonly ApplyOrder[];
  /** After concat: the shape column and, per shape, the keys (path/name) of the columns present. */
  readonly shape?: { readonly expr: BoundExpr; readonly members: readonly (readonly string[])[] };
}

export type State = EntityState | RowsState;

/**
 * Generated names: CTEs s$1, s$2, …; columns with a letter by role (g grouping, a aggregate, d computed,
 * o order, w window, u union, h shape, r row number) and a request-wide number. The '$' keeps them apart
 * from every model name (model tables and columns are plain identifiers), so `t0.*` never brings in a
 * column of the same name and no CTE hides a table.
 */
export interface Names {
  readonly session: BindSession;
  readonly ctes: ApplyRelation[];
  relation(): string;
  column(prefix: string): string;
}

export function createNames(session: BindSession): Names {
  let relations = 0;
  let columns = 0;
  return {
    session,
    ctes: [],
    relation: () => `s$${++relations}`,
    column: (prefix) => `${prefix}$${columns++}`,
  };
}

export const keyOf = (path: readonly string[], name: string): string => [...path, name].join('/');

export function derivedRef(alias: string, sqlName: string, type: BoundType): BoundExpr {
  return { kind: 'derived', alias, sqlName, type };
}

export function fromAlias(from: ApplyFrom): string {
  return from.kind === 'table' ? from.ref.alias : from.alias;
}

export function relationFrom(name: string): ApplyFrom {
  return { kind: 'relation', name, alias: name };
}

export function scopeOf(names: Names, s: State): Scope {
  if (s.kind === 'entity') {
    return rootScope(names.session, s.ref, new Map(s.computed.map((c) => [c.name, { expr: c.expr, type: c.type }])));
  }
  const derived = new Map<string, DerivedColumn>(s.columns.map((c) => [keyOf(c.path, c.name), { expr: c.expr, type: c.type }]));
  return { session: names.session, variables: new Map(), derived };
}

/** Names an instance of the state has at the top level (for alias collisions). */
export function visibleNames(s: State): Set<string> {
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

export function bindIn(scope: Scope, e: Expr): BoundExpr {
  return bindExpr(scope.ref === undefined ? rewritePaths(e, new Set(scope.derived.keys())) : e, scope);
}

export function bindConditionIn(scope: Scope, e: Expr, what: string): BoundExpr {
  return bindBoolean(scope.ref === undefined ? rewritePaths(e, new Set(scope.derived.keys())) : e, scope, what);
}

export function bindOrderItems(scope: Scope, items: readonly OrderItem[]): ApplyOrder[] {
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
export function distinctOrder(order: readonly ApplyOrder[]): ApplyOrder[] {
  return order.filter((o, i) => !order.slice(0, i).some((p) => sameExpr(p.expr, o.expr)));
}

/** A total order of the state's rows: the key of an entity, or every column of a rows state. */
export function tieBreak(s: State): ApplyOrder[] {
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
export function close(names: Names, s: State, o: CloseOptions = {}): { state: State; extra: BoundExpr[] } {
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

export function checkAlias(alias: string, taken: ReadonlySet<string>, pos: number, what: string): void {
  if (taken.has(alias)) {
    throw odataInvalid(`${what} alias '${alias}' (position ${pos}) is already the name of a property or alias; choose another name`, { target: alias });
  }
}

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
export function finish(s: State): Finished {
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

/**
 * Binds a transformation sequence from a state. groupby and concat nest sequences but are bound by
 * the sequence binder itself, so they receive it as a parameter instead of importing it.
 */
export type SequenceBinder = (names: Names, seq: ApplySequence, s: State) => State;
