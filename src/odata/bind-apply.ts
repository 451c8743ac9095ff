// $apply sequence × resource × the other query options → BoundApply: names resolved, types checked, laid out as SQL levels (CTEs).
//
// The binder walks the transformations with a *state*: the relation the next transformation reads.
// An entity state still has the entity set's columns (filter, search, compute, orderby keep it);
// a rows state holds generated columns (after groupby, aggregate, concat). Transformations that
// need a new SQL level (top, skip, topcount…, groupby, concat) close the state into a CTE; the
// others only add conditions or expressions to it, so PostgreSQL sees one flat query where it can.
//
// Modules: bind-apply-state.ts (the state, generated names, close), bind-apply-sequence.ts (the
// transformation dispatcher; filter, search, orderby, top, skip), bind-apply-rows.ts (compute,
// topcount & co.), bind-apply-group.ts (groupby, rollup, aggregate), bind-apply-concat.ts (concat).
// This one binds the query options that follow $apply and decides the response shape.
import { findNavigation } from '../model/entity-model';
import { odataNotImplemented, odataUnknownProperty } from '../errors';
import type { ParsedQuery, SelectItem } from './ast';
import type { BindSession } from './bind-expr';
import type { ApplyExpr, ApplyShapes, BoundApply, BoundExpr, OutputColumn, TableRef } from './bound';
import { resultColumn } from './result-columns';
import { bindConditionIn, bindOrderItems, createNames, distinctOrder, finish, keyOf, scopeOf, type RowColumn, type State } from './bind-apply-state';
import { bindSequence, bindTransformation } from './bind-apply-sequence';
import { bindCompute } from './bind-apply-rows';

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
