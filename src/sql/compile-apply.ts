// BoundApply → CompiledQuery: ONE statement (WITH s1 AS (…), s2 AS (…) SELECT …) for a page of the $apply result, one for its count.
import { assertNever } from '../errors';
import type { ApplyExpr, ApplyFrom, ApplyOrder, ApplyRelation, ApplySelect, BoundApply } from '../odata/bound';
import type { BoundExpr } from '../odata/bound';
import { compileExpr, joinCondition, projectRestriction, tableSql, type CompileContext } from './compile-expr';
import { join, param, raw, render, sql, type CompiledQuery, type Sql } from './fragment';
import { orderListSql } from './order';

/** OVER (PARTITION BY … ORDER BY … frame) */
function windowSql(partition: readonly BoundExpr[] | undefined, order: readonly ApplyOrder[], frame: string, ctx: CompileContext): Sql {
  const parts = [
    ...(partition !== undefined && partition.length > 0 ? [sql`PARTITION BY ${join(partition.map((p) => compileExpr(p, ctx)))}`] : []),
    ...(order.length > 0 ? [sql`ORDER BY ${orderListSql(order, ctx)}`] : []),
    ...(frame === '' ? [] : [raw(frame)]),
  ];
  return sql`OVER (${join(parts, ' ')})`;
}

function aggregateSql(method: Extract<ApplyExpr, { kind: 'aggregate' | 'navigationAggregate' }>, arg: Sql | undefined, filter: Sql | undefined): Sql {
  const f = filter === undefined ? sql`` : sql` FILTER (WHERE ${filter})`;
  const a = arg ?? sql`*`;
  switch (method.method) {
    case 'count':
      return sql`(count(*)${f})::bigint`;
    case 'countdistinct':
      return sql`(count(DISTINCT ${a})${f})::bigint`;
    case 'sum':
      return sql`sum(${a})${f}`;
    case 'min':
      return sql`min(${a})${f}`;
    case 'max':
      return sql`max(${a})${f}`;
    case 'average':
      // numeric averages carry 16+ fraction digits; trailing zeros say nothing.
      return method.type === 'Edm.Decimal' ? sql`trim_scale(avg(${a})${f})` : sql`avg(${a})${f}`;
    default:
      return assertNever(method.method);
  }
}

function applyExprSql(e: ApplyExpr, ctx: CompileContext): Sql {
  switch (e.kind) {
    case 'aggregate':
      return aggregateSql(e, e.arg === undefined ? undefined : compileExpr(e.arg, ctx), e.filter === undefined ? undefined : compileExpr(e.filter, ctx));
    case 'navigationAggregate': {
      const inner = e.join.parent;
      const target = e.join.target;
      const related = [
        joinCondition(e.join, ctx),
        ...(e.filter === undefined ? [] : [compileExpr(e.filter, ctx)]),
        ...e.match.map((m) => sql`${compileExpr(m.inner, ctx)} IS NOT DISTINCT FROM ${compileExpr(m.outer, ctx)}`),
      ];
      const exists = sql`EXISTS (SELECT 1 FROM ${raw(e.source)} AS ${raw(inner.alias)} WHERE ${join(related, ' AND ')})`;
      const value = aggregateSql(e, e.value === undefined ? undefined : compileExpr(e.value, ctx), undefined);
      return sql`(SELECT ${value} FROM ${tableSql(target.set)} AS ${raw(target.alias)} WHERE ${exists})`;
    }
    case 'runningSum':
      return sql`sum(${compileExpr(e.arg, ctx)}) ${windowSql(e.partition, e.order, 'ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING', ctx)}`;
    case 'totalSum':
      return sql`sum(${compileExpr(e.arg, ctx)}) ${windowSql(e.partition, [], '', ctx)}`;
    case 'grouping':
      return sql`GROUPING(${join(e.args.map((a) => compileExpr(a, ctx)))})`;
    case 'rowNumber':
      return sql`row_number() ${windowSql(e.partition, e.order, '', ctx)}`;
    case 'cutoff': {
      const threshold = sql`${param(e.threshold)}::numeric`;
      const limit = e.total === undefined ? threshold : sql`${threshold} * ${compileExpr(e.total, ctx)} / 100`;
      return sql`(coalesce(${compileExpr(e.running, ctx)}, 0) ${raw(e.op === 'lt' ? '<' : '>')} ${limit})`;
    }
    default:
      return compileExpr(e, ctx);
  }
}

function fromSql(from: ApplyFrom): Sql {
  if (from.kind === 'table') return sql`${tableSql(from.ref.set)} AS ${raw(from.ref.alias)}`;
  return from.alias === from.name ? raw(from.name) : raw(`${from.name} AS ${from.alias}`);
}

function selectSql(s: ApplySelect, ctx: CompileContext): Sql {
  const alias = s.from.kind === 'table' ? s.from.ref.alias : s.from.alias;
  const columns = [...(s.star ? [raw(`${alias}.*`)] : []), ...s.columns.map((c) => sql`${applyExprSql(c.expr, ctx)} AS ${raw(c.sqlName)}`)];
  const restriction = s.from.kind === 'table' ? projectRestriction(s.from.ref, ctx) : undefined;
  const conditions = [...(restriction === undefined ? [] : [restriction]), ...s.where.map((w) => applyExprSql(w, ctx))];
  const where = conditions.length === 0 ? sql`` : sql` WHERE ${join(conditions, ' AND ')}`;
  const groupBy =
    s.groupingSets !== undefined
      ? sql` GROUP BY GROUPING SETS (${join(s.groupingSets.map((set) => sql`(${join(set.map((i) => applyExprSql((s.columns[i] as ApplySelect['columns'][number]).expr, ctx)))})`))})`
      : s.groupBy === undefined
        ? sql``
        : s.groupBy === 0
          ? sql` GROUP BY ()`
          : raw(` GROUP BY ${Array.from({ length: s.groupBy }, (_, i) => i + 1).join(', ')}`);
  const orderBy = s.orderBy.length === 0 ? sql`` : sql` ORDER BY ${orderListSql(s.orderBy, ctx)}`;
  const limit = s.limit === undefined ? sql`` : sql` LIMIT ${param(s.limit)}::bigint`;
  const offset = s.offset === undefined || s.offset === 0 ? sql`` : sql` OFFSET ${param(s.offset)}::bigint`;
  const list = columns.length === 0 ? raw('1 AS one') : join(columns);
  return sql`SELECT ${list} FROM ${fromSql(s.from)}${where}${groupBy}${orderBy}${limit}${offset}`;
}

function relationSql(r: ApplyRelation, ctx: CompileContext): Sql {
  switch (r.kind) {
    case 'select':
      return selectSql(r, ctx);
    case 'union':
      return join(
        r.parts.map((p) => sql`(${selectSql(p, ctx)})`),
        ' UNION ALL ',
      );
    default:
      return assertNever(r);
  }
}

function withSql(ctes: readonly ApplyRelation[], ctx: CompileContext): Sql {
  if (ctes.length === 0) return sql``;
  return sql`WITH ${join(ctes.map((c) => sql`${raw(c.name)} AS (${relationSql(c, ctx)})`))} `;
}

/**
 * compileApplyPage(bindApply(…'$apply=groupby((intent),aggregate($count as n))'), { limit: 1001, offset: 0 })
 * → WITH s$1 AS (SELECT t0."intent" AS g$0, (count(*))::bigint AS a$1 FROM "analytics" AS t0 GROUP BY 1)
 *   SELECT s$1."g$0" AS c0, s$1."a$1" AS c1 FROM s$1 ORDER BY s$1."g$0" ASC, s$1."a$1" ASC LIMIT $1::bigint
 */
export function compileApplyPage(plan: BoundApply, page: { readonly limit: number; readonly offset: number }, ctx: CompileContext): CompiledQuery {
  return render(sql`${withSql(plan.ctes, ctx)}${selectSql({ ...plan.final, limit: page.limit, offset: page.offset }, ctx)}`);
}

/**
 * The rows of a $apply result as a subquery with their position `rn`, for $apply inside $expand: the caller
 * correlates it (the plan's conditions name the parent row) and folds it into one JSON value.
 */
export function compileApplyRows(plan: BoundApply, ctx: CompileContext): Sql {
  const position = { sqlName: 'rn', expr: { kind: 'rowNumber' as const, order: plan.final.orderBy, type: 'Edm.Int64' as const } };
  const final = { ...plan.final, columns: [...plan.final.columns, position], limit: plan.top, offset: plan.skip };
  return sql`${withSql(plan.ctes, ctx)}${selectSql(final, ctx)}`;
}

/** $count=true and /$count with $apply: the rows of the result after $filter, without $top/$skip and paging. */
export function compileApplyCount(plan: BoundApply, ctx: CompileContext): CompiledQuery {
  const rows = selectSql({ ...plan.final, orderBy: [] }, ctx);
  return render(sql`${withSql(plan.ctes, ctx)}SELECT count(*) AS count FROM (${rows}) AS r`);
}
