// Config → Limits: the bounds every request is validated against before any SQL is built.

export interface Limits {
  readonly pageSize: number;
  readonly maxPageSize: number;
  /** Nodes of one request's expressions ($filter, $orderby, $compute, $apply, nested options). */
  readonly maxNodes: number;
  readonly maxExpandDepth: number;
  readonly maxInItems: number;
}

export const DEFAULT_LIMITS: Limits = { pageSize: 1000, maxPageSize: 5000, maxNodes: 1000, maxExpandDepth: 3, maxInItems: 1000 };
