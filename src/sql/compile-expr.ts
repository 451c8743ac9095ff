// BoundExpr → Sql: operators and canonical functions as PostgreSQL, every literal a typed $n parameter.
import type { EdmPrimitive, EntitySetDef } from '../model/edm';
import { findProperty } from '../model/entity-model';
import { assertNever } from '../errors';
import type { BoundExpr, BoundType, NavigationJoin, SearchNode, TableRef } from '../odata/bound';
import { escapeLike, join, param, qualified, quoteIdent, raw, sql, type Sql } from './fragment';

/** Which projects the caller's key may read; every table reference is restricted to them. */
export interface CompileContext {
  readonly projects: readonly string[] | 'all';
}

export const SQL_TYPE: Record<EdmPrimitive, string> = {
  'Edm.String': 'text',
  'Edm.Boolean': 'boolean',
  'Edm.Int16': 'smallint',
  'Edm.Int32': 'integer',
  'Edm.Int64': 'bigint',
  'Edm.Decimal': 'numeric',
  'Edm.Double': 'double precision',
  'Edm.DateTimeOffset': 'timestamptz',
  'Edm.Date': 'date',
  'Edm.TimeOfDay': 'time',
  'Edm.Duration': 'interval',
  'Edm.Guid': 'uuid',
};

export function tableSql(set: EntitySetDef): Sql {
  return qualified(...set.table.split('.'));
}

export function columnSql(alias: string, column: string): Sql {
  return raw(`${alias}.${quoteIdent(column)}`);
}

function propertyColumn(set: EntitySetDef, property: string): string {
  const p = findProperty(set, property);
  if (p === undefined) throw new Error(`model: ${set.name} has no property ${property}`);
  return p.column;
}

/** t.project_id = ANY($n), or nothing when the key reads every project or the set has no project property. */
export function projectRestriction(ref: TableRef, ctx: CompileContext): Sql | undefined {
  if (ctx.projects === 'all') return undefined;
  if (ref.set.projectProperty === undefined) return sql`false`;
  return sql`${columnSql(ref.alias, propertyColumn(ref.set, ref.set.projectProperty))} = ANY(${param(ctx.projects)}::text[])`;
}

/** target.b = parent.a for every pair of the navigation, plus the target's project restriction. */
export function joinCondition(j: NavigationJoin, ctx: CompileContext): Sql {
  const pairs = j.nav.on.map(
    (pair) =>
      sql`${columnSql(j.target.alias, propertyColumn(j.target.set, pair.to))} = ${columnSql(j.parent.alias, propertyColumn(j.parent.set, pair.from))}`,
  );
  const restriction = projectRestriction(j.target, ctx);
  return join(restriction === undefined ? pairs : [...pairs, restriction], ' AND ');
}

function literal(value: unknown, type: BoundType): Sql {
  if (type === 'null' || value === null) return sql`NULL`;
  return sql`${param(value)}::${raw(SQL_TYPE[type])}`;
}

const COMPARISON_SQL = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' } as const;

function isNullLiteral(e: BoundExpr): boolean {
  return e.kind === 'literal' && (e.type === 'null' || e.value === null);
}

function isLiteral(e: BoundExpr): boolean {
  return e.kind === 'literal' && !isNullLiteral(e);
}

/**
 * An expression that is always false. Not the bare constant `false`: PostgreSQL rejects a non-integer constant as
 * an ORDER BY key ("non-integer constant in ORDER BY"), and `$orderby=id in ()` is a valid request.
 */
const ALWAYS_FALSE = sql`(NOT true)`;

/** OData comparisons are two-valued: null eq null is true, null ne 'x' is true, null gt 1 is false. */
function comparison(e: Extract<BoundExpr, { kind: 'comparison' }>, ctx: CompileContext): Sql {
  const left = compileExpr(e.left, ctx);
  const right = compileExpr(e.right, ctx);
  if (e.op === 'eq' || e.op === 'ne') {
    if (isNullLiteral(e.right)) return e.op === 'eq' ? sql`(${left} IS NULL)` : sql`(${left} IS NOT NULL)`;
    if (isNullLiteral(e.left)) return e.op === 'eq' ? sql`(${right} IS NULL)` : sql`(${right} IS NOT NULL)`;
    if (e.op === 'eq' && (isLiteral(e.left) || isLiteral(e.right))) return sql`(${left} = ${right})`;
    return e.op === 'eq' ? sql`(${left} IS NOT DISTINCT FROM ${right})` : sql`(${left} IS DISTINCT FROM ${right})`;
  }
  if (isNullLiteral(e.left) || isNullLiteral(e.right)) {
    // null le null and null ge null are true in OData; any other ordering comparison with null is false.
    if ((e.op === 'le' || e.op === 'ge') && isNullLiteral(e.left)) return sql`(${right} IS NULL)`;
    if ((e.op === 'le' || e.op === 'ge') && isNullLiteral(e.right)) return sql`(${left} IS NULL)`;
    return ALWAYS_FALSE;
  }
  return sql`(${left} ${raw(COMPARISON_SQL[e.op])} ${right})`;
}

function likePattern(arg: BoundExpr, prefix: string, suffix: string, ctx: CompileContext): Sql {
  if (arg.kind === 'literal' && typeof arg.value === 'string') return sql`${param(prefix + escapeLike(arg.value) + suffix)}::text`;
  const inner = compileExpr(arg, ctx);
  const escaped = sql`replace(replace(replace(${inner}, '\\', '\\\\'), '%', '\\%'), '_', '\\_')`;
  return sql`(${raw(`'${prefix}'`)} || ${escaped} || ${raw(`'${suffix}'`)})`;
}

function call(e: Extract<BoundExpr, { kind: 'call' }>, ctx: CompileContext): Sql {
  const a = e.args.map((x) => compileExpr(x, ctx));
  const arg = (i: number): Sql => {
    const v = a[i];
    if (v === undefined) throw new Error(`${e.name}: argument ${i} missing after validation`);
    return v;
  };
  const utc = (x: Sql) => sql`(${x} AT TIME ZONE 'UTC')`;
  const argExpr = (i: number): BoundExpr => e.args[i] as BoundExpr;
  switch (e.name) {
    case 'contains':
      return sql`(${arg(0)} LIKE ${likePattern(argExpr(1), '%', '%', ctx)} ESCAPE '\\')`;
    case 'startswith':
      return sql`(${arg(0)} LIKE ${likePattern(argExpr(1), '', '%', ctx)} ESCAPE '\\')`;
    case 'endswith':
      return sql`(${arg(0)} LIKE ${likePattern(argExpr(1), '%', '', ctx)} ESCAPE '\\')`;
    case 'length':
      return sql`char_length(${arg(0)})`;
    case 'indexof':
      return sql`(strpos(${arg(0)}, ${arg(1)}) - 1)`;
    case 'substring': {
      // substr takes integers: Int64 arguments are clamped into range first.
      const position = (x: Sql) => sql`least(greatest(${x}, 0), 2147483646)::integer`;
      return a.length === 3
        ? sql`substr(${arg(0)}, ${position(arg(1))} + 1, ${position(arg(2))})`
        : sql`substr(${arg(0)}, ${position(arg(1))} + 1)`;
    }
    case 'tolower':
      return sql`lower(${arg(0)})`;
    case 'toupper':
      return sql`upper(${arg(0)})`;
    case 'trim':
      return sql`btrim(${arg(0)})`;
    case 'concat':
      return sql`(${arg(0)} || ${arg(1)})`;
    case 'matchesPattern':
      return sql`(${arg(0)} ~ ${arg(1)})`;
    case 'year':
      return sql`extract(year from ${utc(arg(0))})::integer`;
    case 'month':
      return sql`extract(month from ${utc(arg(0))})::integer`;
    case 'day':
      return sql`extract(day from ${utc(arg(0))})::integer`;
    case 'hour':
      return argExpr(0).type === 'Edm.TimeOfDay' ? sql`extract(hour from ${arg(0)})::integer` : sql`extract(hour from ${utc(arg(0))})::integer`;
    case 'minute':
      return argExpr(0).type === 'Edm.TimeOfDay' ? sql`extract(minute from ${arg(0)})::integer` : sql`extract(minute from ${utc(arg(0))})::integer`;
    case 'second':
      return argExpr(0).type === 'Edm.TimeOfDay'
        ? sql`floor(extract(second from ${arg(0)}))::integer`
        : sql`floor(extract(second from ${utc(arg(0))}))::integer`;
    case 'fractionalseconds':
      return sql`(extract(second from ${arg(0)}) - floor(extract(second from ${arg(0)})))`;
    case 'date':
      return sql`${utc(arg(0))}::date`;
    case 'time':
      return sql`${utc(arg(0))}::time`;
    case 'totaloffsetminutes':
      // Instants are stored in UTC; the offset a client sent is not kept.
      return sql`(CASE WHEN ${arg(0)} IS NULL THEN NULL ELSE 0 END)`;
    case 'now':
      return sql`now()`;
    case 'mindatetime':
      return sql`'0001-01-01T00:00:00Z'::timestamptz`;
    case 'maxdatetime':
      return sql`'9999-12-31T23:59:59.999999Z'::timestamptz`;
    case 'round':
      return sql`round(${arg(0)})`;
    case 'floor':
      return sql`floor(${arg(0)})`;
    case 'ceiling':
      return sql`ceil(${arg(0)})`;
    case 'cast':
    case 'isof':
      throw new Error(`${e.name} is bound to its own node kind`);
    default:
      return assertNever(e.name);
  }
}

function searchSql(alias: string, columns: readonly string[], node: SearchNode): Sql {
  switch (node.kind) {
    case 'term': {
      const pattern = param(`%${escapeLike(node.text)}%`);
      return sql`(${join(
        columns.map((c) => sql`${columnSql(alias, c)} ILIKE ${pattern}::text ESCAPE '\\'`),
        ' OR ',
      )})`;
    }
    case 'and':
      return sql`(${searchSql(alias, columns, node.left)} AND ${searchSql(alias, columns, node.right)})`;
    case 'or':
      return sql`(${searchSql(alias, columns, node.left)} OR ${searchSql(alias, columns, node.right)})`;
    case 'not':
      return sql`(NOT coalesce(${searchSql(alias, columns, node.operand)}, false))`;
    default:
      return assertNever(node);
  }
}

const ARITHMETIC_SQL = { add: '+', sub: '-', mul: '*', div: '/', mod: '%' } as const;

/**
 * compileExpr({ kind: 'comparison', op: 'gt', left: column t0.execution_time, right: literal 30 })
 * → sql`(t0."execution_time" > $1::integer)` with values [30].
 */
export function compileExpr(e: BoundExpr, ctx: CompileContext): Sql {
  switch (e.kind) {
    case 'literal':
      return literal(e.value, e.type);
    case 'column':
      return columnSql(e.alias, e.column);
    case 'derived':
      return columnSql(e.alias, e.sqlName);
    case 'comparison':
      return comparison(e, ctx);
    case 'logical':
      return sql`(${compileExpr(e.left, ctx)} ${raw(e.op === 'and' ? 'AND' : 'OR')} ${compileExpr(e.right, ctx)})`;
    case 'not':
      return sql`(NOT coalesce(${compileExpr(e.operand, ctx)}, false))`;
    case 'negate':
      return sql`(- ${compileExpr(e.operand, ctx)})`;
    case 'arithmetic': {
      const left = compileExpr(e.left, ctx);
      const right = compileExpr(e.right, ctx);
      // trim_scale: 1 divby 2 is 0.5, not 0.50000000000000000000.
      if (e.op === 'divby') return sql`trim_scale(${left}::numeric / ${right}::numeric)`;
      // A date plus a duration is an instant in UTC, not a timestamp without time zone.
      if (e.left.type === 'Edm.Date' && e.right.type === 'Edm.Duration') {
        return sql`((${left})::timestamp AT TIME ZONE 'UTC' ${raw(e.op === 'sub' ? '-' : '+')} ${right})`;
      }
      if (e.op === 'mod' && (e.left.type === 'Edm.Double' || e.right.type === 'Edm.Double')) {
        return sql`(${left}::numeric % ${right}::numeric)::double precision`;
      }
      return sql`(${left} ${raw(ARITHMETIC_SQL[e.op])} ${right})`;
    }
    case 'in': {
      const operand = compileExpr(e.operand, ctx);
      const values = e.items.filter((i) => isLiteral(i));
      const others = e.items.filter((i) => !isLiteral(i) && !isNullLiteral(i));
      const parts: Sql[] = [];
      if (values.length > 0) {
        const type = values[0]?.type as EdmPrimitive;
        parts.push(sql`${operand} = ANY(${param(values.map((v) => (v.kind === 'literal' ? v.value : null)))}::${raw(SQL_TYPE[type])}[])`);
      }
      for (const o of others) parts.push(sql`${operand} IS NOT DISTINCT FROM ${compileExpr(o, ctx)}`);
      if (e.items.some(isNullLiteral)) parts.push(sql`${operand} IS NULL`);
      return parts.length === 0 ? ALWAYS_FALSE : sql`(${join(parts, ' OR ')})`;
    }
    case 'call':
      return call(e, ctx);
    case 'cast':
      return sql`(${compileExpr(e.operand, ctx)})::${raw(SQL_TYPE[e.type])}`;
    case 'lambda': {
      const from = sql`${tableSql(e.join.target.set)} AS ${raw(e.join.target.alias)}`;
      const on = joinCondition(e.join, ctx);
      if (e.op === 'any') {
        const where = e.predicate === undefined ? on : sql`${on} AND ${compileExpr(e.predicate, ctx)}`;
        return sql`EXISTS (SELECT 1 FROM ${from} WHERE ${where})`;
      }
      const predicate = e.predicate === undefined ? sql`true` : compileExpr(e.predicate, ctx);
      return sql`NOT EXISTS (SELECT 1 FROM ${from} WHERE ${on} AND NOT coalesce(${predicate}, false))`;
    }
    case 'navCount': {
      const from = sql`${tableSql(e.join.target.set)} AS ${raw(e.join.target.alias)}`;
      const on = joinCondition(e.join, ctx);
      const where = e.filter === undefined ? on : sql`${on} AND ${compileExpr(e.filter, ctx)}`;
      return sql`(SELECT count(*) FROM ${from} WHERE ${where})`;
    }
    case 'navValue': {
      const from = sql`${tableSql(e.join.target.set)} AS ${raw(e.join.target.alias)}`;
      return sql`(SELECT ${compileExpr(e.value, ctx)} FROM ${from} WHERE ${joinCondition(e.join, ctx)} LIMIT 1)`;
    }
    case 'search':
      return searchSql(e.alias, e.columns, e.query);
    default:
      return assertNever(e);
  }
}
