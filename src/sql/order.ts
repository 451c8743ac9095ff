// The one ORDER BY rule of the service, for entity reads, expansions and $apply alike.
import type { BoundExpr } from '../odata/bound';
import { compileExpr, type CompileContext } from './compile-expr';
import { join, raw, sql, type Sql } from './fragment';

export interface OrderKey {
  readonly expr: BoundExpr;
  readonly desc: boolean;
  /** Nulls rank last in both directions (top/bottom transformations: a missing value is never "the highest"). */
  readonly nullsLast?: boolean;
  /** The key is never null (a key property, a NOT NULL column): plain ASC/DESC, which an index serves. */
  readonly notNull?: boolean;
}

/**
 * OData sorts null before every value ascending and after every value descending (PostgreSQL's default is the
 * reverse). A key that cannot be null keeps plain ASC/DESC so that an index on it still serves the order; top/bottom
 * transformations rank nulls last in both directions.
 */
export function orderDirection(o: Omit<OrderKey, 'expr'>): string {
  if (o.notNull === true) return o.desc ? 'DESC' : 'ASC';
  if (o.nullsLast === true) return o.desc ? 'DESC NULLS LAST' : 'ASC NULLS LAST';
  return o.desc ? 'DESC NULLS LAST' : 'ASC NULLS FIRST';
}

/** `expr DIRECTION, …` */
export function orderListSql(keys: readonly OrderKey[], ctx: CompileContext): Sql {
  return join(keys.map((o) => sql`${compileExpr(o.expr, ctx)} ${raw(orderDirection(o))}`));
}
