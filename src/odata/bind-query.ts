// ParsedQuery × entity set × limits → EntityQuery: every option resolved against the model and checked against the limits.
import type { EntitySetDef, PropertyDef } from '../model/edm';
import { findEntitySet, findNavigation, findProperty } from '../model/entity-model';
import { assertNever, odataInvalid, odataLimit, odataNotImplemented, odataUnknownProperty } from '../errors';
import type { ComputeItem, ExpandItem, NestedQueryOptions, OrderItem, ParsedQuery, SelectItem } from './ast';
import { bindApply } from './bind-apply';
import { bindBoolean, bindExpr, bindSearch, type BindSession, type DerivedColumn, rootScope, type Scope } from './bind-expr';
import type { BoundExpand, BoundExpr, BoundOrder, EntityQuery, NavigationJoin, OutputColumn, TableRef } from './bound';
import { keyColumns, propertyColumns } from './entity-columns';
import { withKeyTieBreak } from './order-keys';

export function bindComputes(scope: Scope, items: readonly ComputeItem[] | undefined): Map<string, DerivedColumn> {
  const derived = new Map(scope.derived);
  for (const item of items ?? []) {
    const taken = scope.ref !== undefined && (findProperty(scope.ref.set, item.alias) !== undefined || findNavigation(scope.ref.set, item.alias) !== undefined);
    if (taken || derived.has(item.alias)) {
      throw odataInvalid(`$compute alias '${item.alias}' (position ${item.pos}) is already a property name`, { target: item.alias });
    }
    const expr = bindExpr(item.expr, { ...scope, derived });
    derived.set(item.alias, { expr, type: expr.type });
  }
  return derived;
}

export function bindOrderBy(scope: Scope, items: readonly OrderItem[] | undefined): BoundOrder[] {
  return (items ?? []).map((item) => {
    const expr = bindExpr(item.expr, scope);
    if (expr.type === 'null') throw odataInvalid(`$orderby item at position ${item.pos} is a constant null`);
    return { expr, desc: item.direction === 'desc' };
  });
}

/** $select → output columns in model order ($compute aliases after), or every property when absent or '*'. */
function bindSelect(
  ref: TableRef,
  items: readonly SelectItem[] | undefined,
  computed: ReadonlyMap<string, DerivedColumn>,
  computedNames: readonly string[],
): { columns: OutputColumn[]; explicit: boolean } {
  const all = propertyColumns(ref);
  const computedColumns = (names: readonly string[]) =>
    names.map((name) => {
      const c = computed.get(name) as DerivedColumn;
      return { name, expr: c.expr, type: c.type, dynamic: true };
    });
  if (items === undefined || items.length === 0) return { columns: [...all, ...computedColumns(computedNames)], explicit: false };
  const wanted = new Set<string>();
  let star = false;
  for (const item of items) {
    switch (item.kind) {
      case 'selectStar':
        star = true;
        break;
      case 'selectAllOperations':
        break;
      case 'selectPath': {
        if (item.options !== undefined) throw odataNotImplemented(`Options inside $select are not supported (position ${item.pos}); this model has no collection-valued properties`);
        const [name, ...rest] = item.path;
        if (name === undefined) break;
        if (rest.length > 0) throw odataInvalid(`$select path '${item.path.join('/')}' (position ${item.pos}): only properties of ${ref.set.typeName} can be selected; use $expand for related entities`, { target: item.path.join('/') });
        if (findProperty(ref.set, name) !== undefined || computed.has(name)) wanted.add(name);
        else if (findNavigation(ref.set, name) === undefined) {
          throw odataUnknownProperty(`${ref.set.typeName} has no property '${name}' (position ${item.pos})`, { target: name });
        }
        break;
      }
      default:
        assertNever(item);
    }
  }
  const columns = star ? all : all.filter((c) => wanted.has(c.name));
  return { columns: [...columns, ...computedColumns(computedNames.filter((n) => wanted.has(n)))], explicit: !star };
}

function where(...parts: (BoundExpr | undefined)[]): BoundExpr[] {
  return parts.filter((p): p is BoundExpr => p !== undefined);
}

function bindExpandItems(session: BindSession, parent: TableRef, items: readonly ExpandItem[] | undefined, depth: number): BoundExpand[] {
  if (items === undefined || items.length === 0) return [];
  if (depth > session.limits.maxExpandDepth) {
    throw odataLimit(`$expand is nested deeper than ${session.limits.maxExpandDepth} levels; raise ODATA_MAX_EXPAND_DEPTH or split the request`, { target: '$expand' });
  }
  const result: BoundExpand[] = [];
  for (const item of items) {
    switch (item.kind) {
      case 'expandStar':
        if (item.ref || item.path.length > 0) throw odataNotImplemented(`$expand=*/$ref is not supported (position ${item.pos})`);
        for (const nav of parent.set.navigations) result.push(bindExpansion(session, parent, nav.name, {}, depth, item.pos));
        break;
      case 'expandValue':
        throw odataNotImplemented(`$expand=$value is not supported: there are no media entities (position ${item.pos})`);
      case 'expandPath': {
        if (item.mode !== 'entities') throw odataNotImplemented(`$expand with /$${item.mode} is not supported (position ${item.pos})`);
        const [name, ...rest] = item.path;
        if (name === undefined || rest.length > 0) throw odataInvalid(`$expand path '${item.path.join('/')}' (position ${item.pos}) must be one navigation property`);
        result.push(bindExpansion(session, parent, name, item.options, depth, item.pos));
        break;
      }
      default:
        assertNever(item);
    }
  }
  const names = result.map((r) => r.join.nav.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw odataInvalid(`Navigation property '${duplicate}' is expanded twice`, { target: '$expand' });
  return result;
}

function bindExpansion(session: BindSession, parent: TableRef, name: string, options: NestedQueryOptions, depth: number, pos: number): BoundExpand {
  const nav = findNavigation(parent.set, name);
  if (nav === undefined) {
    throw odataUnknownProperty(`${parent.set.typeName} has no navigation property '${name}' (position ${pos})`, { target: name });
  }
  const targetSet = findEntitySet(session.model, nav.target) as EntitySetDef;
  const target = session.tableRef(targetSet);
  if (options.levels !== undefined && options.levels !== 1) throw odataNotImplemented(`$levels is not supported: no navigation of this model is recursive`);
  if (options.apply !== undefined) return bindApplyExpansion(session, { parent, nav, target }, options, pos);
  if (options.compute !== undefined) throw odataNotImplemented(`$compute inside $expand is not supported without $apply`);
  if (!nav.collection && (options.top !== undefined || options.skip !== undefined || options.orderby !== undefined || options.count !== undefined)) {
    throw odataInvalid(`'${name}' is a single entity: $top, $skip, $orderby and $count do not apply to it`, { target: name });
  }
  const scope = rootScope(session, target);
  const filter = options.filter === undefined ? undefined : bindBoolean(options.filter, scope, '$filter');
  const search = options.search === undefined ? undefined : bindSearch(target, options.search);
  const combined =
    filter !== undefined && search !== undefined
      ? ({ kind: 'logical', op: 'and', left: filter, right: search, type: 'Edm.Boolean' } as const)
      : (filter ?? search);
  const select = bindSelect(target, options.select, new Map(), []);
  return {
    join: { parent, nav, target },
    select: select.columns,
    explicitSelect: select.explicit,
    filter: combined,
    orderby: nav.collection ? withKeyTieBreak(bindOrderBy(scope, options.orderby), keyColumns(target)) : [],
    top: options.top,
    skip: options.skip,
    count: options.count === true,
    expand: bindExpandItems(session, target, options.expand, depth + 1),
  };
}

/**
 * Products?$expand=Sales($apply=aggregate(Amount with sum as Total)): the $apply of the related entities of each
 * parent row, correlated to it by the navigation's property pairs.
 */
function bindApplyExpansion(session: BindSession, join: NavigationJoin, options: NestedQueryOptions, pos: number): BoundExpand {
  const name = join.nav.name;
  if (!join.nav.collection) throw odataInvalid(`'${name}' is a single entity (position ${pos}): $apply applies to collections`, { target: name });
  if (options.count === true) throw odataNotImplemented(`$count next to $apply inside $expand is not supported (position ${pos})`);
  const column = (ref: TableRef, property: string): BoundExpr => {
    const p = findProperty(ref.set, property) as PropertyDef;
    return { kind: 'column', alias: ref.alias, column: p.column, type: p.type };
  };
  const related: BoundExpr[] = join.nav.on.map((pair) => ({
    kind: 'comparison',
    op: 'eq',
    left: column(join.target, pair.to),
    right: column(join.parent, pair.from),
    type: 'Edm.Boolean',
  }));
  const { levels: _levels, aliases: _aliases, ...query } = options;
  const bound = bindApply(session, { ref: join.target, where: related }, { ...query, aliases: {}, customOptions: {} });
  if (bound.shapes !== undefined) throw odataNotImplemented(`concat inside $expand is not supported (position ${pos})`);
  return { join, select: bound.output, explicitSelect: true, orderby: [], count: false, expand: [], apply: bound };
}

/**
 * bindEntityQuery(session, ref over Analytics, parse('$filter=intent eq 'order'&$select=id,intent&$top=5'))
 * → EntityQuery { select: [id, intent], where: [intent = 'order'], top: 5, … }
 */
export function bindEntityQuery(session: BindSession, ref: TableRef, q: ParsedQuery, extraWhere: readonly BoundExpr[] = []): EntityQuery {
  const base = rootScope(session, ref);
  const computed = bindComputes(base, q.compute);
  const scope: Scope = { ...base, derived: computed };
  const filter = q.filter === undefined ? undefined : bindBoolean(q.filter, scope, '$filter');
  const search = q.search === undefined ? undefined : bindSearch(ref, q.search);
  const select = bindSelect(ref, q.select, computed, (q.compute ?? []).map((c) => c.alias));
  return {
    kind: 'entities',
    root: ref,
    select: select.columns,
    explicitSelect: select.explicit,
    keys: keyColumns(ref),
    expand: bindExpandItems(session, ref, q.expand, 1),
    where: where(...extraWhere, filter, search),
    orderby: bindOrderBy(scope, q.orderby),
    top: q.top,
    skip: q.skip,
    count: q.count === true,
  };
}
