// BoundQuery → SelectPlan: which rows, in which order, how many per page; the key tie-break and the page's extra row.
import type { EntitySetDef } from '../model/edm';
import type { BoundExpand, BoundExpr, BoundOrder, OutputColumn, TableRef } from './bound';

/** A collection read over an entity set (no $apply). */
export interface EntityQuery {
  readonly kind: 'entities';
  readonly root: TableRef;
  readonly select: readonly OutputColumn[];
  readonly explicitSelect: boolean;
  /** Key columns, always fetched (entity ids, skiptokens) even when not selected. */
  readonly keys: readonly OutputColumn[];
  readonly expand: readonly BoundExpand[];
  readonly where: readonly BoundExpr[];
  readonly orderby: readonly BoundOrder[];
  readonly top?: number;
  readonly skip?: number;
  readonly count: boolean;
}

export interface Page {
  /** Rows to return on this page. */
  readonly size: number;
  /** Rows still allowed by $top after earlier pages (undefined: no $top). */
  readonly remaining?: number;
}

export interface EntityPlan {
  readonly kind: 'entities';
  readonly root: TableRef;
  readonly select: readonly OutputColumn[];
  readonly keys: readonly OutputColumn[];
  readonly expand: readonly BoundExpand[];
  readonly where: readonly BoundExpr[];
  /** The client's order followed by every key property not already in it: a total order. */
  readonly orderby: readonly BoundOrder[];
  /** Resume strictly after these order values (from $skiptoken). */
  readonly after?: readonly unknown[];
  readonly offset: number;
  /** pageSize + 1: the extra row tells whether a next page exists. */
  readonly limit: number;
  readonly pageSize: number;
  readonly remaining?: number;
  readonly count: boolean;
}

function sameExpr(a: BoundExpr, b: BoundExpr): boolean {
  return a.kind === 'column' && b.kind === 'column' && a.alias === b.alias && a.column === b.column;
}

/**
 * Appends the key properties the order lacks, in the direction of the last order item, so that
 * `timestamp desc` becomes `timestamp desc, id desc`: one direction lets an index serve the order
 * and lets the next page's condition be a row comparison.
 */
export function withKeyTieBreak(orderby: readonly BoundOrder[], keys: readonly OutputColumn[]): BoundOrder[] {
  const result = [...orderby];
  const desc = orderby[orderby.length - 1]?.desc ?? false;
  for (const key of keys) {
    if (!result.some((o) => sameExpr(o.expr, key.expr))) result.push({ expr: key.expr, desc });
  }
  return result;
}

/**
 * pageFor(top 2500, page size 1000, first page) → { size: 1000, remaining: 2500 };
 * a $top smaller than the page size is the page.
 */
export function pageFor(top: number | undefined, pageSize: number): Page {
  if (top === undefined) return { size: pageSize };
  return { size: Math.min(top, pageSize), remaining: top };
}

/**
 * planEntities(query over Analytics with $orderby=timestamp desc, page size 1000)
 * → order [timestamp desc, id asc], limit 1001, offset $skip on the first page, none after a skiptoken.
 */
export function planEntities(
  q: EntityQuery,
  options: { pageSize: number; after?: readonly unknown[]; set: EntitySetDef },
): EntityPlan {
  const page = pageFor(q.top, options.pageSize);
  return {
    kind: 'entities',
    root: q.root,
    select: q.select,
    keys: q.keys,
    expand: q.expand,
    where: q.where,
    orderby: withKeyTieBreak(q.orderby, q.keys),
    after: options.after,
    offset: options.after === undefined ? (q.skip ?? 0) : 0,
    limit: page.size + 1,
    pageSize: page.size,
    remaining: page.remaining,
    count: q.count,
  };
}
