// OData URL text → these types: the parse-stage AST (names as the user wrote them, no model resolution).
//
// Every node is a readonly plain object with a `kind` discriminant. Expression nodes carry `pos`,
// the 0-based offset of their first character in the percent-decoded option value they came from
// (for resource paths: in the raw path).

// ---------------------------------------------------------------------------------------------
// Expressions ($filter, $orderby, $compute, aliases, $apply, …)
// ---------------------------------------------------------------------------------------------

export type Expr =
  | LiteralExpr
  | AliasExpr
  | PathExpr
  | CallExpr
  | UnaryExpr
  | BinaryExpr
  | ListExpr
  | ArrayExpr
  | ObjectExpr
  | CastExpr
  | IsofExpr
  | CaseExpr;

/** `null` */
export interface NullLiteral {
  readonly kind: 'literal';
  readonly type: 'null';
  readonly pos: number;
}

/** `true` / `false` (case-insensitive in URLs) */
export interface BooleanLiteral {
  readonly kind: 'literal';
  readonly type: 'Edm.Boolean';
  readonly value: boolean;
  readonly pos: number;
}

/**
 * Numbers. Integers are Edm.Int32 when they fit, else Edm.Int64 when they fit, else Edm.Decimal;
 * `3.14` is Edm.Decimal; a number with an exponent, `INF`, `-INF`, `NaN` is Edm.Double.
 * `value` may lose precision (Int64, Decimal): use `text` (the lexeme, e.g. "-1.5e3", "+42") for exact values.
 */
export interface NumberLiteral {
  readonly kind: 'literal';
  readonly type: 'Edm.Int32' | 'Edm.Int64' | 'Edm.Decimal' | 'Edm.Double';
  readonly value: number;
  readonly text: string;
  readonly pos: number;
}

/**
 * Literals whose value is kept as text:
 * - Edm.String: the unescaped content ('O''Neil' → O'Neil; also JSON "…" strings inside arrays/objects)
 * - Edm.Date `2024-01-15`, Edm.DateTimeOffset `2024-01-15T12:00:00.5+01:00` (T/Z upper-cased),
 *   Edm.TimeOfDay `12:30:00.5`: the lexeme, validated (calendar, hour ≤ 23, minute ≤ 59, second ≤ 60)
 * - Edm.Duration: the ISO 8601 body of `duration'P1DT2H'` (without prefix and quotes). A 4.01
 *   prefix-less `'P1D'` lexes as Edm.String; the binder may convert it by context.
 * - Edm.Guid: as written; Edm.Binary: the base64url body of `binary'…'`
 * - Edm.Geography / Edm.Geometry: the `SRID=…;Point(…)` body, validated syntactically only.
 */
export interface TextLiteral {
  readonly kind: 'literal';
  readonly type:
    | 'Edm.String'
    | 'Edm.Date'
    | 'Edm.DateTimeOffset'
    | 'Edm.TimeOfDay'
    | 'Edm.Duration'
    | 'Edm.Guid'
    | 'Edm.Binary'
    | 'Edm.Geography'
    | 'Edm.Geometry';
  readonly value: string;
  readonly pos: number;
}

/** `Ns.Color'Red,Blue'` → { typeName: 'Ns.Color', members: ['Red', 'Blue'] } (members may be integers, e.g. '+42'). */
export interface EnumLiteral {
  readonly kind: 'literal';
  readonly type: 'enum';
  readonly typeName: string;
  readonly members: readonly string[];
  readonly pos: number;
}

export type LiteralExpr = NullLiteral | BooleanLiteral | NumberLiteral | TextLiteral | EnumLiteral;

/** Parameter alias reference `@p` (name without '@'); its value is in ParsedQuery.aliases. */
export interface AliasExpr {
  readonly kind: 'alias';
  readonly name: string;
  readonly pos: number;
}

/**
 * Where a path starts: implicit (a property of the current instance), `$it`, `$this`, `$these`,
 * `$root` (then the first segment names an entity set or singleton), an alias `@p/…`, or an
 * in-scope lambda variable `x/…` (resolved syntactically from the enclosing `any(x: …)`/`all(x: …)`).
 */
export type PathRoot =
  | { readonly kind: 'implicit' }
  | { readonly kind: 'it' }
  | { readonly kind: 'this' }
  | { readonly kind: 'these' }
  | { readonly kind: 'root' }
  | { readonly kind: 'alias'; readonly name: string }
  | { readonly kind: 'variable'; readonly name: string };

/**
 * A member path: `Customer/Address/City`, `Items/$count`, `Items/any(i: i/Qty gt 1)`, `$it/Name`,
 * `$root/Employees('A1')/Name`, `Model.Fn(p=1)/Name`. With an implicit root `segments` is non-empty;
 * `$it` / `$this` / a lambda variable alone give an empty `segments`.
 */
export interface PathExpr {
  readonly kind: 'path';
  readonly root: PathRoot;
  readonly segments: readonly PathSegment[];
  readonly pos: number;
}

export type PathSegment =
  | MemberSegment
  | KeySegment
  | FunctionSegment
  | CountSegment
  | FilterSegment
  | LambdaSegment
  | AnnotationSegment
  | AggregateSegment;

/** `Name` (property or navigation) or `Ns.Type` / `Type` (a type cast); the binder decides which. */
export interface MemberSegment {
  readonly kind: 'member';
  readonly name: string;
  readonly pos: number;
}

/** `(1)`, `('a')`, `(@k)`, `(ID=1,Code='x')` after a collection-valued segment. Values are expressions; the binder checks they are literals or aliases. */
export interface KeySegment {
  readonly kind: 'key';
  readonly values: readonly NamedOrPositionalArg[];
  readonly pos: number;
}

export interface NamedOrPositionalArg {
  /** Absent for a positional value. */
  readonly name?: string;
  readonly value: Expr;
  readonly pos: number;
}

/**
 * Model function call with named parameters: `Ns.Fn(a=1,b=@p)`, `Fn()`. An unqualified `Name(k=v)`
 * is emitted as member + key (it is a compound key or an unqualified function; the binder decides).
 */
export interface FunctionSegment {
  readonly kind: 'function';
  readonly name: string;
  readonly params: readonly NamedArg[];
  readonly pos: number;
}

export interface NamedArg {
  readonly name: string;
  readonly value: Expr;
  readonly pos: number;
}

/** `/$count`, optionally filtered/searched (4.01): `Items/$count($filter=Qty gt 1;$search=blue)` */
export interface CountSegment {
  readonly kind: 'count';
  readonly filter?: Expr;
  readonly search?: SearchExpr;
  readonly pos: number;
}

/** `/$filter(expr)` path segment (4.01) */
export interface FilterSegment {
  readonly kind: 'filter';
  readonly predicate: Expr;
  readonly pos: number;
}

/** `/any(x: pred)`, `/any()`, `/all(x: pred)` */
export interface LambdaSegment {
  readonly kind: 'lambda';
  readonly operator: 'any' | 'all';
  /** Absent only for `any()`. */
  readonly variable?: string;
  readonly predicate?: Expr;
  readonly pos: number;
}

/** `/@Ns.Term#Qualifier` (term as written, without '@') */
export interface AnnotationSegment {
  readonly kind: 'annotation';
  readonly term: string;
  readonly qualifier?: string;
  readonly pos: number;
}

/** `/aggregate(Amount with sum)` (Data Aggregation): an aggregate over the collection before it. */
export interface AggregateSegment {
  readonly kind: 'aggregate';
  readonly aggregate: AggregateItem;
  readonly pos: number;
}

/**
 * Function call with positional arguments, any name as written: `contains(Name,'x')`,
 * `geo.distance(a,b)`, `now()`, `Model.Available()`. Names are case-insensitive for canonical
 * functions (4.01): compare with `name.toLowerCase()`.
 */
export interface CallExpr {
  readonly kind: 'call';
  readonly name: string;
  readonly args: readonly Expr[];
  readonly pos: number;
}

export interface UnaryExpr {
  readonly kind: 'unary';
  readonly operator: 'not' | 'negate';
  readonly operand: Expr;
  readonly pos: number;
}

export type BinaryOperator =
  | 'or'
  | 'and'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'has'
  | 'in'
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'divby'
  | 'mod';

/**
 * Binary operator (operator names lower-cased). Long `and`/`or` chains are built as balanced trees
 * (depth log n) so recursive later stages never overflow; other operators are left-associative.
 * The right operand of `in` is a ListExpr, an ArrayExpr or any other expression.
 */
export interface BinaryExpr {
  readonly kind: 'binary';
  readonly operator: BinaryOperator;
  readonly left: Expr;
  readonly right: Expr;
  readonly pos: number;
}

/** `('a','b')`, `()` — only as the right operand of `in`. */
export interface ListExpr {
  readonly kind: 'list';
  readonly items: readonly LiteralExpr[];
  readonly pos: number;
}

/** JSON array `["a",1,Name]` (JSON strings become Edm.String literals). */
export interface ArrayExpr {
  readonly kind: 'array';
  readonly items: readonly Expr[];
  readonly pos: number;
}

/** JSON object `{"Name":"x","Price":Price}` */
export interface ObjectExpr {
  readonly kind: 'object';
  readonly members: readonly { readonly name: string; readonly value: Expr; readonly pos: number }[];
  readonly pos: number;
}

/** `cast(Edm.String)`, `cast(Price,Edm.Int32)`, `cast(x,Collection(Ns.T))` */
export interface CastExpr {
  readonly kind: 'cast';
  /** Absent: cast of the current instance ($it). */
  readonly operand?: Expr;
  readonly typeName: TypeName;
  readonly pos: number;
}

/** `isof(Ns.T)`, `isof(x,Edm.String)` */
export interface IsofExpr {
  readonly kind: 'isof';
  readonly operand?: Expr;
  readonly typeName: TypeName;
  readonly pos: number;
}

export interface TypeName {
  /** As written, e.g. 'Edm.Int32', 'Customer', 'Ns.Customer' */
  readonly name: string;
  /** `Collection(…)` */
  readonly collection: boolean;
}

/** `case(X gt 0:1, true:0)` */
export interface CaseExpr {
  readonly kind: 'case';
  readonly branches: readonly { readonly when: Expr; readonly then: Expr }[];
  readonly pos: number;
}

// ---------------------------------------------------------------------------------------------
// $search
// ---------------------------------------------------------------------------------------------

export type SearchExpr = SearchTerm | SearchPhrase | SearchAnd | SearchOr | SearchNot;

/** A search word, percent-decoded: `blue`, `3.14`, `Daniel's` */
export interface SearchTerm {
  readonly kind: 'searchTerm';
  readonly term: string;
  readonly pos: number;
}

/** `"blue green"` (\" and \\ unescaped), or a whole single-quoted 4.01 value `'"blue'` (content unescaped). */
export interface SearchPhrase {
  readonly kind: 'searchPhrase';
  readonly phrase: string;
  readonly pos: number;
}

export interface SearchAnd {
  readonly kind: 'searchAnd';
  readonly left: SearchExpr;
  readonly right: SearchExpr;
  readonly pos: number;
}

export interface SearchOr {
  readonly kind: 'searchOr';
  readonly left: SearchExpr;
  readonly right: SearchExpr;
  readonly pos: number;
}

export interface SearchNot {
  readonly kind: 'searchNot';
  readonly operand: SearchExpr;
  readonly pos: number;
}

// ---------------------------------------------------------------------------------------------
// $select, $expand, $orderby, $compute
// ---------------------------------------------------------------------------------------------

export type SelectItem = SelectStar | SelectAllOperations | SelectPath;

/** `*` */
export interface SelectStar {
  readonly kind: 'selectStar';
  readonly pos: number;
}

/** `Ns.*` */
export interface SelectAllOperations {
  readonly kind: 'selectAllOperations';
  readonly namespace: string;
  readonly pos: number;
}

/**
 * `Name`, `Address/Street`, `Address/Ns.Sub/Location`, `@Core.Messages`, `Ns.Fn(p1,p2)`,
 * `Addresses($filter=…;$top=5)`. `path` holds segments as written (type casts contain '.', annotations start with '@').
 */
export interface SelectPath {
  readonly kind: 'selectPath';
  readonly path: readonly string[];
  /** Parameter names of an overloaded function: `Ns.Fn(a,b)` */
  readonly parameterNames?: readonly string[];
  readonly options?: NestedQueryOptions;
  readonly pos: number;
}

export type ExpandItem = ExpandPath | ExpandStar | ExpandValue;

/**
 * `Items`, `Customer/$ref`, `Items/$count($filter=…)`, `Items($select=…;$expand=…;$levels=2)`,
 * `Address/Country`, `Items/Ns.Special`. `path` holds segments as written, ending in the
 * navigation property or a type cast after it.
 */
export interface ExpandPath {
  readonly kind: 'expandPath';
  readonly path: readonly string[];
  /** 'entities' (default), 'ref' (`/$ref`), 'count' (`/$count`) */
  readonly mode: 'entities' | 'ref' | 'count';
  readonly options: NestedQueryOptions;
  readonly pos: number;
}

/** `*`, `*` + `/$ref`, `*($levels=2)`, `Address/*` (star expansion) */
export interface ExpandStar {
  readonly kind: 'expandStar';
  /** Complex-property path before the star (usually empty). */
  readonly path: readonly string[];
  readonly ref: boolean;
  readonly levels?: Levels;
  readonly pos: number;
}

/** `$value` (the media stream) */
export interface ExpandValue {
  readonly kind: 'expandValue';
  readonly pos: number;
}

export type Levels = number | 'max';

export interface OrderItem {
  readonly kind: 'orderItem';
  readonly expr: Expr;
  readonly direction: 'asc' | 'desc';
  readonly pos: number;
}

export interface ComputeItem {
  readonly kind: 'computeItem';
  readonly expr: Expr;
  readonly alias: string;
  readonly pos: number;
}

/** Options allowed inside $expand(…) / $select(…) / after /$ref or /$count (subsets enforced by the parser). */
export interface NestedQueryOptions {
  readonly filter?: Expr;
  readonly select?: readonly SelectItem[];
  readonly expand?: readonly ExpandItem[];
  readonly orderby?: readonly OrderItem[];
  readonly top?: number;
  readonly skip?: number;
  readonly count?: boolean;
  readonly search?: SearchExpr;
  readonly levels?: Levels;
  readonly compute?: readonly ComputeItem[];
  readonly apply?: readonly ApplyTransformation[];
  /** Nested alias assignments `@a=$this` (name without '@'). */
  readonly aliases?: Readonly<Record<string, Expr>>;
}

// ---------------------------------------------------------------------------------------------
// $apply (OData Data Aggregation v4.0 CS03)
// ---------------------------------------------------------------------------------------------

export type ApplyTransformation =
  | AggregateTransformation
  | GroupByTransformation
  | FilterTransformation
  | SearchTransformation
  | ComputeTransformation
  | OrderByTransformation
  | TopTransformation
  | SkipTransformation
  | TopBottomTransformation
  | ConcatTransformation
  | IdentityTransformation
  | NestTransformation
  | AddNestedTransformation
  | JoinTransformation
  | HierarchyTransformation
  | TraverseTransformation
  | CustomFunctionTransformation;

/** A transformation sequence `t1/t2/…` */
export type ApplySequence = readonly ApplyTransformation[];

/** `aggregate(Amount with sum as Total, $count as N, Forecast)` */
export interface AggregateTransformation {
  readonly kind: 'aggregate';
  readonly items: readonly AggregateItem[];
  readonly pos: number;
}

/**
 * One aggregate expression. `alias` is required inside the aggregate() transformation (except for
 * custom aggregates) and absent inside the `/aggregate(…)` expression function.
 */
export type AggregateItem = AggregateWith | AggregateCount | AggregateCustom;

/** `Amount with sum as Total`, `(A sub B) mul C with Custom.m from Time with average as X` */
export interface AggregateWith {
  readonly kind: 'aggregateWith';
  readonly expr: Expr;
  /** sum | min | max | average | countdistinct | Ns.custom */
  readonly method: string;
  readonly from: readonly AggregateFrom[];
  readonly alias?: string;
  readonly pos: number;
}

/** `$count as N`, `Sales/$count as N` (path = navigation/collection path before $count, empty for `$count`) */
export interface AggregateCount {
  readonly kind: 'aggregateCount';
  readonly path: readonly string[];
  readonly from: readonly AggregateFrom[];
  readonly alias?: string;
  readonly pos: number;
}

/** Custom aggregate `Forecast`, `Sales/Forecast as F`, `Forecast from Time with average as X` */
export interface AggregateCustom {
  readonly kind: 'aggregateCustom';
  /** Path before the custom aggregate name (may contain type casts). */
  readonly path: readonly string[];
  readonly name: string;
  readonly from: readonly AggregateFrom[];
  readonly alias?: string;
  readonly pos: number;
}

/** `from Time,Product/Name with average` (method optional only after a custom aggregate) */
export interface AggregateFrom {
  readonly groupings: readonly GroupingPath[];
  readonly method?: string;
}

/** A grouping property path as written: ['Customer', 'Country'], ['Ns.Derived', 'Region'] */
export type GroupingPath = readonly string[];

/** `groupby((Country, rollup(A,B)), aggregate(…)/…)` */
export interface GroupByTransformation {
  readonly kind: 'groupby';
  readonly groupings: readonly GroupByElement[];
  readonly sequence?: ApplySequence;
  readonly pos: number;
}

export type GroupByElement =
  | { readonly kind: 'groupingProperty'; readonly path: GroupingPath; readonly pos: number }
  | { readonly kind: 'rollup'; readonly paths: readonly GroupingPath[]; readonly pos: number }
  | { readonly kind: 'rollupHierarchy'; readonly hierarchy: string; readonly pos: number }
  | {
      readonly kind: 'rolluprecursive';
      readonly hierarchy: RecursiveHierarchyReference;
      readonly sequence?: ApplySequence;
      readonly pos: number;
    };

/** `$root/SalesOrganizations, SalesOrgHierarchy, ID` */
export interface RecursiveHierarchyReference {
  readonly collection: PathExpr;
  readonly qualifier: string;
  readonly nodeProperty: GroupingPath;
}

export interface FilterTransformation {
  readonly kind: 'filter';
  readonly predicate: Expr;
  readonly pos: number;
}

export interface SearchTransformation {
  readonly kind: 'search';
  readonly search: SearchExpr;
  readonly pos: number;
}

export interface ComputeTransformation {
  readonly kind: 'compute';
  readonly items: readonly ComputeItem[];
  readonly pos: number;
}

export interface OrderByTransformation {
  readonly kind: 'orderby';
  readonly items: readonly OrderItem[];
  readonly pos: number;
}

export interface TopTransformation {
  readonly kind: 'top';
  readonly count: number;
  readonly pos: number;
}

export interface SkipTransformation {
  readonly kind: 'skip';
  readonly count: number;
  readonly pos: number;
}

/** `topcount(2, Amount)`, `bottomsum(100, Amount)`, `toppercent(50, Amount)` … */
export interface TopBottomTransformation {
  readonly kind: 'topcount' | 'bottomcount' | 'toppercent' | 'bottompercent' | 'topsum' | 'bottomsum';
  /** The count / percentage / sum threshold (an expression over the collection, e.g. `2` or `$these/$count div 10`). */
  readonly amount: Expr;
  readonly expr: Expr;
  readonly pos: number;
}

/** `concat(seq1, seq2, …)` (two or more) */
export interface ConcatTransformation {
  readonly kind: 'concat';
  readonly sequences: readonly ApplySequence[];
  readonly pos: number;
}

export interface IdentityTransformation {
  readonly kind: 'identity';
  readonly pos: number;
}

export interface NestedSequence {
  readonly sequence: ApplySequence;
  readonly alias: string;
}

/** `nest(groupby((ID)) as Ids, …)` */
export interface NestTransformation {
  readonly kind: 'nest';
  readonly items: readonly NestedSequence[];
  readonly pos: number;
}

/** `addnested(Sales, filter(Amount gt 3) as Big, …)` */
export interface AddNestedTransformation {
  readonly kind: 'addnested';
  readonly path: readonly string[];
  readonly items: readonly NestedSequence[];
  readonly pos: number;
}

/** `join(Sales as Sale[, seq])`, `outerjoin(…)` */
export interface JoinTransformation {
  readonly kind: 'join' | 'outerjoin';
  readonly path: readonly string[];
  readonly alias: string;
  readonly sequence?: ApplySequence;
  readonly pos: number;
}

/** `ancestors(hierarchy, preservingSeq[, maxDistance][, keep start])`, `descendants(…)` */
export interface HierarchyTransformation {
  readonly kind: 'ancestors' | 'descendants';
  readonly hierarchy: RecursiveHierarchyReference;
  readonly sequence: ApplySequence;
  readonly maxDistance?: number;
  readonly keepStart: boolean;
  readonly pos: number;
}

/** `traverse(hierarchy, preorder|postorder[, preservingSeq][, orderby items])` */
export interface TraverseTransformation {
  readonly kind: 'traverse';
  readonly hierarchy: RecursiveHierarchyReference;
  readonly order: 'preorder' | 'postorder';
  readonly sequence?: ApplySequence;
  readonly orderby?: readonly OrderItem[];
  readonly pos: number;
}

/** Service-defined set transformation `Ns.fn(p=1,…)` */
export interface CustomFunctionTransformation {
  readonly kind: 'customFunction';
  readonly name: string;
  readonly params: readonly NamedArg[];
  readonly pos: number;
}

// ---------------------------------------------------------------------------------------------
// Whole query string and resource path
// ---------------------------------------------------------------------------------------------

/** A parameter alias value: parsed eagerly, but an unparsable one only fails when referenced. */
export type AliasValue =
  | { readonly kind: 'aliasExpr'; readonly text: string; readonly expr: Expr }
  | { readonly kind: 'aliasError'; readonly text: string; readonly error: Error };

export interface ParsedQuery {
  readonly filter?: Expr;
  readonly select?: readonly SelectItem[];
  readonly expand?: readonly ExpandItem[];
  readonly orderby?: readonly OrderItem[];
  readonly top?: number;
  readonly skip?: number;
  readonly count?: boolean;
  readonly search?: SearchExpr;
  readonly compute?: readonly ComputeItem[];
  readonly apply?: ApplySequence;
  readonly format?: string;
  readonly skiptoken?: string;
  readonly deltatoken?: string;
  readonly schemaversion?: string;
  readonly id?: string;
  readonly index?: number;
  /** `@p=…` assignments, keyed by name without '@'. */
  readonly aliases: Readonly<Record<string, AliasValue>>;
  /** Options without '$' that are not system options (e.g. `apikey`), decoded; otherwise ignored. */
  readonly customOptions: Readonly<Record<string, string>>;
}

export type ResourcePath =
  | { readonly kind: 'serviceDocument' }
  | { readonly kind: 'metadata' }
  | { readonly kind: 'batch' }
  /** `$entity` or `$entity/Ns.Type` (the entity comes from the $id option) */
  | { readonly kind: 'entityById'; readonly typeName?: string }
  | { readonly kind: 'resource'; readonly segments: readonly ResourceSegment[] };

export type ResourceSegment =
  | {
      /** Entity set / singleton (first), navigation or property (later), or a qualified type cast (`Ns.Type`). */
      readonly kind: 'name';
      readonly name: string;
      /** Key predicate `(1)`, `('a')`, `(ID=1,Code='x')`, `(@k)`: values are literals or aliases. */
      readonly key?: readonly KeyValue[];
      readonly pos: number;
    }
  | { readonly kind: 'count'; readonly pos: number }
  | { readonly kind: 'value'; readonly pos: number }
  | { readonly kind: 'ref'; readonly pos: number };

export interface KeyValue {
  readonly name?: string;
  readonly value: LiteralExpr | AliasExpr;
  readonly pos: number;
}
