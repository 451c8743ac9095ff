// groupby, rollup and aggregate: grouping paths (grouping by a navigation expands to the related
// entity's properties), aggregate items and their result types, navigation aggregates, the `from`
// keyword, sequences nested in groupby (filtered aggregates, or ranking and paging per group) and
// rollup as GROUPING SETS. Nested sequences are bound by the caller's sequence binder.
import type { EntitySetDef } from '../model/edm';
import { findEntitySet, findNavigation, findProperty } from '../model/entity-model';
import { assertNever, odataInvalid, odataNotImplemented, odataTypeMismatch, odataUnknownProperty } from '../errors';
import type { AggregateItem, AggregateTransformation, ApplySequence, ApplyTransformation, Expr, GroupByTransformation, GroupingPath, PathExpr } from './ast';
import { bindExpr, bindSearch, isNumeric, rootScope, type Scope } from './bind-expr';
import type { AggregateMethod, ApplyExpr, ApplySelect, BoundExpr, BoundType, NavigationJoin, TableRef } from './bound';
import { bindTopBottom, rowNumberCut } from './bind-apply-rows';
import {
  bindConditionIn,
  bindIn,
  checkAlias,
  close,
  derivedRef,
  distinctOrder,
  fromAlias,
  keyOf,
  relationFrom,
  scopeOf,
  tieBreak,
  visibleNames,
  type EntityState,
  type Names,
  type RowColumn,
  type RowsState,
  type SequenceBinder,
  type State,
} from './bind-apply-state';

function and(conditions: readonly BoundExpr[]): BoundExpr | undefined {
  return conditions.reduce<BoundExpr | undefined>(
    (acc, c) => (acc === undefined ? c : { kind: 'logical', op: 'and', left: acc, right: c, type: 'Edm.Boolean' }),
    undefined,
  );
}

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
function bindPartitioned(names: Names, s: State, keys: readonly GroupKey[], sequence: ApplySequence, pos: number, bindSequence: SequenceBinder): State {
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
        state = bindSequence(names, [t], state);
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

export function bindGroupBy(names: Names, s: State, written: GroupByTransformation, bindSequence: SequenceBinder): State {
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
    return bindPartitioned(names, s, keys, t.sequence, t.pos, bindSequence);
  }
  return bindGrouping(names, s, keys, bindNested(names, s, t.sequence), effective);
}
/** aggregate(items) without groupby: one group of the whole input, or the sequence a `from` abbreviates. */
export function bindAggregate(names: Names, s: State, t: AggregateTransformation, bindSequence: SequenceBinder): State {
  const sequence = withoutFrom([], t.items, t.pos);
  if (sequence !== undefined) return bindSequence(names, sequence, s);
  return bindGrouping(names, s, [], { conditions: [], scope: scopeOf(names, s), items: t.items });
}
