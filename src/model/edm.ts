// Types of the entity model: the single mapping between OData names (entity sets, properties) and SQL names.

export type EdmPrimitive =
  | 'Edm.String'
  | 'Edm.Boolean'
  | 'Edm.Int16'
  | 'Edm.Int32'
  | 'Edm.Int64'
  | 'Edm.Decimal'
  | 'Edm.Double'
  | 'Edm.DateTimeOffset'
  | 'Edm.Date'
  | 'Edm.TimeOfDay'
  | 'Edm.Duration'
  | 'Edm.Guid';

export interface PropertyDef {
  /** Name in OData, as the client writes it. */
  readonly name: string;
  /** Column of the entity set's table or view. */
  readonly column: string;
  readonly type: EdmPrimitive;
  readonly nullable: boolean;
  /** Included in $search free-text matching. */
  readonly searchable?: boolean;
  readonly maxLength?: number;
  readonly precision?: number;
  /** A number, or 'variable' for PostgreSQL numeric without a declared scale. */
  readonly scale?: number | 'variable';
  readonly description?: string;
}

export interface NavigationDef {
  readonly name: string;
  /** Name of the target entity set. */
  readonly target: string;
  readonly collection: boolean;
  /** Join condition: source property name = target property name, for every pair. */
  readonly on: readonly { readonly from: string; readonly to: string }[];
  readonly description?: string;
}

export interface EntitySetDef {
  /** Entity set name, e.g. 'Analytics'. */
  readonly name: string;
  /** Entity type name, e.g. 'Analytic'. */
  readonly typeName: string;
  /** Table or view; optionally schema-qualified as 'schema.table'. */
  readonly table: string;
  /** Key property names (one or several). */
  readonly key: readonly string[];
  readonly properties: readonly PropertyDef[];
  readonly navigations: readonly NavigationDef[];
  /**
   * Property holding the project id; every statement restricts it to the caller's projects.
   * Sets without one are readable only with keys for all projects.
   */
  readonly projectProperty?: string;
  readonly description?: string;
}

export interface EntityModel {
  readonly namespace: string;
  readonly containerName: string;
  readonly entitySets: readonly EntitySetDef[];
}
