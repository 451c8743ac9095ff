// EntityPlan → CompiledQuery: ONE statement for the page (expansions as correlated JSON subqueries), one for $count.
import type { BoundExpand, BoundExpr, BoundOrder, OutputColumn, TableRef } from '../odata/bound';
import { isNotNullColumn } from '../odata/order-keys';
import type { EntityPlan } from '../odata/plan';
import { resultColumn } from '../odata/result-columns';
import { compileExpr, joinCondition, projectRestriction, SQL_TYPE, tableSql, type CompileContext } from './compile-expr';
import { join, param, quoteIdent, raw, render, sql, type CompiledQuery, type Sql } from './fragment';
import { compileApplyRows } from './compile-apply';
import { orderDirection, orderListSql } from './order';

function where(parts: readonly Sql[]): Sql {
  return parts.length === 0 ? sql`` : sql` WHERE ${join(parts, ' AND ')}`;
}

function orderSql(orderby: readonly BoundOrder[], ctx: CompileContext, root: TableRef): Sql {
  if (orderby.length === 0) return sql``;
  return sql` ORDER BY ${orderListSql(orderby.map((o) => ({ ...o, notNull: isNotNullColumn(o.expr, root) })), ctx)}`;
}

function typedValue(value: unknown, e: BoundExpr): Sql {
  const type = e.type === 'null' ? 'Edm.String' : e.type;
  return sql`${param(value)}::${raw(SQL_TYPE[type])}`;
}

/**
 * Rows strictly after `values` in the order `orderby` (nulls first ascending, last descending).
 * Non-null columns in one direction use a row comparison, which an index on those columns serves.
 */
export function keysetCondition(orderby: readonly BoundOrder[], values: readonly unknown[], root: TableRef, ctx: CompileContext): Sql {
  const first = orderby[0];
  const sameDirection = orderby.every((o) => o.desc === first?.desc);
  if (sameDirection && values.every((v) => v !== null) && orderby.every((o) => isNotNullColumn(o.expr, root))) {
    const left = join(orderby.map((o) => compileExpr(o.expr, ctx)));
    const right = join(orderby.map((o, i) => typedValue(values[i], o.expr)));
    return sql`((${left}) ${raw(first?.desc ? '<' : '>')} (${right}))`;
  }
  const branches = orderby.map((o, i) => {
    const equalities = orderby.slice(0, i).map((p, j) => sql`${compileExpr(p.expr, ctx)} IS NOT DISTINCT FROM ${typedValue(values[j], p.expr)}`);
    const x = compileExpr(o.expr, ctx);
    const v = values[i];
    // Nulls come first ascending and last descending (see orderDirection).
    let after: Sql;
    if (!o.desc) after = v === null ? sql`(${x} IS NOT NULL)` : sql`(${x} > ${typedValue(v, o.expr)})`;
    else after = v === null ? sql`false` : sql`(${x} < ${typedValue(v, o.expr)} OR ${x} IS NULL)`;
    return join([...equalities, after], ' AND ');
  });
  return sql`(${join(branches.map((b) => sql`(${b})`), ' OR ')})`;
}

function restrictedWhere(root: TableRef, conditions: readonly BoundExpr[], ctx: CompileContext, extra: readonly Sql[] = []): Sql[] {
  const restriction = projectRestriction(root, ctx);
  return [...(restriction === undefined ? [] : [restriction]), ...conditions.map((c) => compileExpr(c, ctx)), ...extra];
}

/** An expansion as one JSON value: an array of positional rows (collection) or one row or null (single). */
function expansionSql(x: BoundExpand, ctx: CompileContext): Sql {
  if (x.apply !== undefined) {
    const values = x.apply.output.map((_, i) => sql`x.${raw(resultColumn.select(i))}`);
    return sql`(SELECT coalesce(json_agg(json_build_array(${join(values)}) ORDER BY x.rn), '[]'::json) FROM (${compileApplyRows(x.apply, ctx)}) AS x)`;
  }
  const target = x.join.target;
  const values = [...x.select.map((c) => compileExpr(c.expr, ctx)), ...x.expand.flatMap((n) => expansionValues(n, ctx))];
  const row = sql`json_build_array(${join(values)})`;
  const conditions = [joinCondition(x.join, ctx), ...(x.filter === undefined ? [] : [compileExpr(x.filter, ctx)])];
  const from = sql`${tableSql(target.set)} AS ${raw(target.alias)}`;
  if (!x.join.nav.collection) {
    return sql`(SELECT ${row} FROM ${from}${where(conditions)} LIMIT 1)`;
  }
  const orders = x.orderby.map((o, i) => sql`${compileExpr(o.expr, ctx)} AS ${raw(resultColumn.order(i))}`);
  const limit = x.top === undefined ? sql`` : sql` LIMIT ${param(x.top)}::bigint`;
  const offset = x.skip === undefined || x.skip === 0 ? sql`` : sql` OFFSET ${param(x.skip)}::bigint`;
  const inner = sql`SELECT ${join([sql`${row} AS v`, ...orders])} FROM ${from}${where(conditions)}${orderSql(x.orderby, ctx, target)}${limit}${offset}`;
  const aggOrder = x.orderby.length === 0 ? sql`` : sql` ORDER BY ${join(x.orderby.map((o, i) => sql`x.${raw(resultColumn.order(i))} ${raw(orderDirection({ ...o, notNull: isNotNullColumn(o.expr, target) }))}`))}`;
  return sql`(SELECT coalesce(json_agg(x.v${aggOrder}), '[]'::json) FROM (${inner}) AS x)`;
}

function expansionCountSql(x: BoundExpand, ctx: CompileContext): Sql {
  const target = x.join.target;
  const conditions = [joinCondition(x.join, ctx), ...(x.filter === undefined ? [] : [compileExpr(x.filter, ctx)])];
  return sql`(SELECT count(*) FROM ${tableSql(target.set)} AS ${raw(target.alias)}${where(conditions)})`;
}

/** The JSON values one expansion contributes to its parent row: the expansion, then its count if asked. */
function expansionValues(x: BoundExpand, ctx: CompileContext): Sql[] {
  return x.count ? [expansionSql(x, ctx), expansionCountSql(x, ctx)] : [expansionSql(x, ctx)];
}

function selectList(columns: readonly OutputColumn[], name: (i: number) => string, ctx: CompileContext): Sql[] {
  return columns.map((c, i) => sql`${compileExpr(c.expr, ctx)} AS ${raw(name(i))}`);
}

/**
 * Whether PostgreSQL can write the whole entity as JSON: only model properties (their names come from the model),
 * no expansions, and no per-property control information.
 */
export function canWriteJsonInDatabase(plan: EntityPlan, format: { metadata: string; ieee754Compatible: boolean }): boolean {
  return plan.expand.length === 0 && format.metadata !== 'full' && !format.ieee754Compatible && plan.select.every((c) => c.dynamic !== true && c.type !== 'null');
}

/** One property as PostgreSQL's JSON should carry it: the same text serialize/values writes (UTC 'T…Z', INF, NaN). */
function jsonValue(c: OutputColumn, ctx: CompileContext): Sql {
  const value = compileExpr(c.expr, ctx);
  if (c.type === 'Edm.DateTimeOffset') return sql`replace(replace((${value})::text, ' ', 'T'), '+00', 'Z')`;
  if (c.type === 'Edm.Double') {
    return sql`(CASE WHEN ${value} = 'Infinity'::float8 THEN '"INF"'::json WHEN ${value} = '-Infinity'::float8 THEN '"-INF"'::json ELSE to_json(${value}) END)`;
  }
  return value;
}

/** The entity as one JSON text column `j`, keys named after the model's properties (quoted; never request text). */
function entityJsonColumn(select: readonly OutputColumn[], ctx: CompileContext, omitNulls: boolean): Sql {
  const fields = select.map((c) => sql`${jsonValue(c, ctx)} AS ${raw(quoteIdent(c.name))}`);
  const json = omitNulls ? sql`json_strip_nulls(row_to_json(r))` : sql`row_to_json(r)`;
  return sql`(SELECT ${json} FROM (SELECT ${join(fields)}) AS r)::text AS ${raw(resultColumn.entityJson)}`;
}

/**
 * compileEntityPage(plan for Analytics?$filter=intent eq 'order'&$top=2)
 * → SELECT t0."id" AS c0, … FROM "analytics" AS t0 WHERE t0."project_id" = ANY($1::text[]) AND (t0."intent" = $2::text)
 *   ORDER BY t0."id" ASC LIMIT $3::bigint
 */
export function compileEntityPage(
  plan: EntityPlan,
  ctx: CompileContext,
  options: { jsonInDatabase?: boolean; omitNulls?: boolean } = {},
): CompiledQuery {
  const columns = [
    ...(options.jsonInDatabase === true
      ? [entityJsonColumn(plan.select, ctx, options.omitNulls === true)]
      : selectList(plan.select, resultColumn.select, ctx)),
    ...selectList(plan.keys, resultColumn.key, ctx),
    ...plan.orderby.map((o, i) => sql`${compileExpr(o.expr, ctx)} AS ${raw(resultColumn.order(i))}`),
    ...plan.expand.flatMap((x, i) => {
      const [value, count] = expansionValues(x, ctx);
      return count === undefined
        ? [sql`${value} AS ${raw(resultColumn.expand(i))}`]
        : [sql`${value} AS ${raw(resultColumn.expand(i))}`, sql`${count} AS ${raw(resultColumn.expandCount(i))}`];
    }),
  ];
  const keyset = plan.after === undefined ? [] : [keysetCondition(plan.orderby, plan.after, plan.root, ctx)];
  const from = sql`${tableSql(plan.root.set)} AS ${raw(plan.root.alias)}`;
  const offset = plan.offset > 0 ? sql` OFFSET ${param(plan.offset)}::bigint` : sql``;
  return render(
    sql`SELECT ${join(columns)} FROM ${from}${where(restrictedWhere(plan.root, plan.where, ctx, keyset))}${orderSql(plan.orderby, ctx, plan.root)} LIMIT ${param(plan.limit)}::bigint${offset}`,
  );
}

/** $count=true and /$count: filter and search apply; $top, $skip and paging do not. */
export function compileEntityCount(plan: Pick<EntityPlan, 'root' | 'where'>, ctx: CompileContext): CompiledQuery {
  const from = sql`${tableSql(plan.root.set)} AS ${raw(plan.root.alias)}`;
  return render(sql`SELECT count(*) AS count FROM ${from}${where(restrictedWhere(plan.root, plan.where, ctx))}`);
}

/** Whether a row matching `where` exists (and may be read with the caller's key). */
export function compileExists(root: TableRef, conditions: readonly BoundExpr[], ctx: CompileContext): CompiledQuery {
  const from = sql`${tableSql(root.set)} AS ${raw(root.alias)}`;
  return render(sql`SELECT EXISTS (SELECT 1 FROM ${from}${where(restrictedWhere(root, conditions, ctx))}) AS found`);
}
