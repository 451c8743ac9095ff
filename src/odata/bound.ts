// Resolved query types: every name is a model column (or a generated alias) with a known Edm type; the SQL compiler accepts only these.
import type { EdmPrimitive, EntitySetDef, NavigationDef } from '../model/edm';
import type { FilterFunction } from '../model/capabilities';

export type BoundType = EdmPrimitive | 'null';

/** A table reference in the statement: the alias is generated (t0, t1, …), never taken from the request. */
export interface TableRef {
  readonly alias: string;
  readonly set: EntitySetDef;
}

/** A navigation from one table reference to its target, joined on the navigation's property pairs. */
export interface NavigationJoin {
  readonly parent: TableRef;
  readonly nav: NavigationDef;
  readonly target: TableRef;
}

export type ComparisonOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type ArithmeticOp = 'add' | 'sub' | 'mul' | 'div' | 'divby' | 'mod';

export type SearchNode =
  | { readonly kind: 'term'; readonly text: string }
  | { readonly kind: 'and' | 'or'; readonly left: SearchNode; readonly right: SearchNode }
  | { readonly kind: 'not'; readonly operand: SearchNode };

export type BoundExpr =
  | { readonly kind: 'literal'; readonly type: BoundType; readonly value: unknown }
  | { readonly kind: 'column'; readonly alias: string; readonly column: string; readonly type: EdmPrimitive }
  | { readonly kind: 'comparison'; readonly op: ComparisonOp; readonly left: BoundExpr; readonly right: BoundExpr; readonly type: 'Edm.Boolean' }
  | { readonly kind: 'logical'; readonly op: 'and' | 'or'; readonly left: BoundExpr; readonly right: BoundExpr; readonly type: 'Edm.Boolean' }
  | { readonly kind: 'not'; readonly operand: BoundExpr; readonly type: 'Edm.Boolean' }
  | { readonly kind: 'negate'; readonly operand: BoundExpr; readonly type: EdmPrimitive }
  | { readonly kind: 'arithmetic'; readonly op: ArithmeticOp; readonly left: BoundExpr; readonly right: BoundExpr; readonly type: EdmPrimitive }
  | { readonly kind: 'in'; readonly operand: BoundExpr; readonly items: readonly BoundExpr[]; readonly type: 'Edm.Boolean' }
  | { readonly kind: 'call'; readonly name: FilterFunction; readonly args: readonly BoundExpr[]; readonly type: BoundType }
  | { readonly kind: 'cast'; readonly operand: BoundExpr; readonly type: EdmPrimitive }
  | { readonly kind: 'lambda'; readonly op: 'any' | 'all'; readonly join: NavigationJoin; readonly predicate?: BoundExpr; readonly type: 'Edm.Boolean' }
  | { readonly kind: 'navCount'; readonly join: NavigationJoin; readonly filter?: BoundExpr; readonly type: 'Edm.Int64' }
  | { readonly kind: 'navValue'; readonly join: NavigationJoin; readonly value: BoundExpr; readonly type: BoundType }
  | { readonly kind: 'search'; readonly alias: string; readonly columns: readonly string[]; readonly query: SearchNode; readonly type: 'Edm.Boolean' }
  /** A column of a derived relation ($apply, $compute): referenced by its generated SQL name. */
  | { readonly kind: 'derived'; readonly alias: string; readonly sqlName: string; readonly type: BoundType };

export interface BoundOrder {
  readonly expr: BoundExpr;
  readonly desc: boolean;
}

/** One output property: a model property, a $compute alias or an aggregate; `path` nests it (groupby over navigation). */
export interface OutputColumn {
  /** Name in the payload. */
  readonly name: string;
  readonly expr: BoundExpr;
  readonly type: BoundType;
  /** Navigation names leading to the property, outermost first (empty for a plain property). */
  readonly path?: readonly string[];
  /** Written with an @odata.type annotation (dynamic properties of $apply and $compute). */
  readonly dynamic?: boolean;
}

export interface BoundExpand {
  readonly join: NavigationJoin;
  readonly select: readonly OutputColumn[];
  /** Whether the client listed properties (shapes the context URL). */
  readonly explicitSelect: boolean;
  readonly filter?: BoundExpr;
  readonly orderby: readonly BoundOrder[];
  readonly top?: number;
  readonly skip?: number;
  readonly count: boolean;
  readonly expand: readonly BoundExpand[];
  /** $apply inside $expand: the related entities aggregated, in the same statement; select is its output. */
  readonly apply?: BoundApply;
}

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

// --- $apply ------------------------------------------------------------------------------------

/** An ORDER BY key; see sql/order for the null rule (nullsLast: top/bottom transformations, where a missing value is never "the highest"). */
export interface ApplyOrder {
  readonly expr: BoundExpr;
  readonly desc: boolean;
  readonly nullsLast?: boolean;
  readonly notNull?: boolean;
}

export type AggregateMethod = 'sum' | 'min' | 'max' | 'average' | 'countdistinct' | 'count';

/** Expressions of a SELECT level: bound expressions plus aggregates and window values. */
export type ApplyExpr =
  | BoundExpr
  /** method(arg) FILTER (WHERE filter); count without arg is count(*). */
  | { readonly kind: 'aggregate'; readonly method: AggregateMethod; readonly arg?: BoundExpr; readonly filter?: BoundExpr; readonly type: BoundType }
  /**
   * An aggregate over the entities reached through a navigation, each counted once:
   * method(value) over the target rows related to some row of `source` (read as join.parent)
   * that passes `filter` and belongs to the current group (`match`: inner = outer).
   */
  | {
      readonly kind: 'navigationAggregate';
      readonly method: AggregateMethod;
      readonly source: string;
      readonly join: NavigationJoin;
      readonly value?: BoundExpr;
      readonly filter?: BoundExpr;
      readonly match: readonly { readonly inner: BoundExpr; readonly outer: BoundExpr }[];
      readonly type: BoundType;
    }
  /** sum(arg) over the rows before this one in `order` (null for the first row), within the partition. */
  | { readonly kind: 'runningSum'; readonly arg: BoundExpr; readonly order: readonly ApplyOrder[]; readonly partition?: readonly BoundExpr[]; readonly type: BoundType }
  /** sum(arg) over all rows of the level, or of the partition. */
  | { readonly kind: 'totalSum'; readonly arg: BoundExpr; readonly partition?: readonly BoundExpr[]; readonly type: BoundType }
  | { readonly kind: 'rowNumber'; readonly order: readonly ApplyOrder[]; readonly partition?: readonly BoundExpr[]; readonly type: 'Edm.Int64' }
  /** GROUPING(args): bit i (from the left) is 1 when args[i] was rolled up in this row. */
  | { readonly kind: 'grouping'; readonly args: readonly BoundExpr[]; readonly type: 'Edm.Int32' }
  /**
   * Keeps a row while the sum before it is still short of the threshold:
   * coalesce(running, 0) < threshold (× total / 100 with a total; `gt` for negative topsum thresholds).
   */
  | {
      readonly kind: 'cutoff';
      readonly running: BoundExpr;
      readonly total?: BoundExpr;
      readonly threshold: string;
      readonly op: 'lt' | 'gt';
      readonly type: 'Edm.Boolean';
    };

export type ApplyFrom =
  | { readonly kind: 'table'; readonly ref: TableRef }
  /** A CTE, read under `alias` (the CTE's own name unless it is read twice). */
  | { readonly kind: 'relation'; readonly name: string; readonly alias: string };

export interface ApplySelect {
  readonly kind: 'select';
  /** CTE name ('' for the final statement). */
  readonly name: string;
  readonly from: ApplyFrom;
  /** Also select every column of `from` (entity columns and earlier generated ones pass through). */
  readonly star: boolean;
  readonly columns: readonly { readonly sqlName: string; readonly expr: ApplyExpr }[];
  /** For a table source the compiler adds the key's project restriction first. */
  readonly where: readonly ApplyExpr[];
  /** GROUP BY the first n columns (0: GROUP BY (), one row even for no input). */
  readonly groupBy?: number;
  /** Instead of groupBy: GROUP BY GROUPING SETS, each set given by indexes into `columns` (rollup). */
  readonly groupingSets?: readonly (readonly number[])[];
  readonly orderBy: readonly ApplyOrder[];
  readonly limit?: number;
  readonly offset?: number;
}

export interface ApplyUnion {
  readonly kind: 'union';
  readonly name: string;
  /** UNION ALL of selects with the same column list. */
  readonly parts: readonly ApplySelect[];
}

export type ApplyRelation = ApplySelect | ApplyUnion;

/** Output rows of different structure (concat): which output columns a row of each shape has. */
export interface ApplyShapes {
  /** Result column holding the shape number. */
  readonly column: string;
  /** Per shape number: indexes into BoundApply.output. */
  readonly members: readonly (readonly number[])[];
}

export interface BoundApply {
  readonly kind: 'apply';
  readonly set: EntitySetDef;
  /** CTEs in dependency order. */
  readonly ctes: readonly ApplyRelation[];
  /** The result: columns c0… (the output), plus the shape column; $filter applied; $orderby + tie-break order. */
  readonly final: ApplySelect;
  readonly output: readonly OutputColumn[];
  readonly shapes?: ApplyShapes;
  /** The properties every instance has, for the context URL's select list; undefined: the entity set itself. */
  readonly contextColumns?: readonly OutputColumn[];
  readonly top?: number;
  readonly skip: number;
  readonly count: boolean;
}
