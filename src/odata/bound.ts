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
