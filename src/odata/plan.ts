// Bound query → plan: which rows, in which order, how many per page; the key tie-break and the page's extra row.
// planEntities for entity reads (keyset paging), planApply for $apply results (offset paging).
import type { BoundApply, BoundExpand, BoundExpr, BoundOrder, EntityQuery, OutputColumn, TableRef } from './bound';
import { withKeyTieBreak } from './order-keys';

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
 * → order [timestamp desc, id desc], limit 1001, offset $skip on the first page, none after a skiptoken.
 * `after` holds the decoded keyset skiptoken (see skiptoken.ts).
 */
export function planEntities(q: EntityQuery, options: { pageSize: number; after?: readonly unknown[] }): EntityPlan {
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

export interface ApplyPlan {
  readonly bound: BoundApply;
  /** Rows skipped: $skip on the first page, the skiptoken's absolute offset after it. */
  readonly offset: number;
  /** pageSize + 1: the extra row tells whether a next page exists. */
  readonly limit: number;
  readonly pageSize: number;
  readonly remaining?: number;
}

/**
 * planApply(bound $apply with $top=2500, page size 1000, after offset 1000)
 * → offset 1000, limit 1001, page 1000, remaining 2500. `after` is the decoded offset skiptoken.
 */
export function planApply(bound: BoundApply, options: { pageSize: number; after?: number }): ApplyPlan {
  const page = pageFor(bound.top, options.pageSize);
  return { bound, offset: options.after ?? bound.skip, limit: page.size + 1, pageSize: page.size, remaining: page.remaining };
}
