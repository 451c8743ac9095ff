// EntityModel → $metadata as CSDL XML (Version 4.0, what Power Query reads): types, navigation, container, capabilities annotations.
import { assertNever } from '../errors';
import { AGGREGATION_METHODS, APPLY_TRANSFORMATIONS, FILTER_FUNCTIONS } from './capabilities';
import type { EdmPrimitive, EntityModel, EntitySetDef, NavigationDef, PropertyDef } from './edm';

export interface CsdlOptions {
  /** Advertised as Capabilities.ExpandRestrictions/MaxLevels; the limit the validator enforces. */
  readonly maxExpandDepth: number;
  /** Capabilities.SupportedFormats: the response formats the serializer produces. */
  readonly supportedFormats?: readonly string[];
  /** Capabilities.SupportedMetadataFormats: the formats $metadata is served in. */
  readonly supportedMetadataFormats?: readonly string[];
}

/** What src/http/odata-format.ts negotiates: every metadata level, with and without IEEE754Compatible. */
export const DEFAULT_SUPPORTED_FORMATS: readonly string[] = ['minimal', 'full', 'none'].flatMap((level) =>
  ['false', 'true'].map((ieee) => `application/json;odata.metadata=${level};odata.streaming=true;IEEE754Compatible=${ieee}`),
);

export const DEFAULT_SUPPORTED_METADATA_FORMATS: readonly string[] = ['application/xml', 'application/json'];

/** Vocabularies referenced by $metadata, with the aliases the annotations use. */
export const VOCABULARIES = [
  { namespace: 'Org.OData.Core.V1', alias: 'Core' },
  { namespace: 'Org.OData.Capabilities.V1', alias: 'Capabilities' },
  { namespace: 'Org.OData.Aggregation.V1', alias: 'Aggregation' },
] as const;

/** OASIS location of a vocabulary; ext 'xml' for CSDL XML references, 'json' for CSDL JSON. */
export function vocabularyUri(namespace: string, ext: 'xml' | 'json'): string {
  return `https://oasis-tcs.github.io/odata-vocabularies/vocabularies/${namespace}.${ext}`;
}

// Annotation values as plain data, so the XML and JSON documents render the same content.
export type AnnotationValue =
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'enum'; readonly type: string; readonly member: string }
  | { readonly kind: 'propertyPath'; readonly path: string }
  | { readonly kind: 'collection'; readonly items: readonly AnnotationValue[] }
  | { readonly kind: 'record'; readonly fields: readonly RecordField[] };

export interface RecordField {
  readonly name: string;
  readonly value: AnnotationValue;
}

export interface Annotation {
  /** Alias-qualified term, e.g. 'Capabilities.TopSupported'. */
  readonly term: string;
  readonly value: AnnotationValue;
}

const bool = (value: boolean): AnnotationValue => ({ kind: 'bool', value });
const int = (value: number): AnnotationValue => ({ kind: 'int', value });
const str = (value: string): AnnotationValue => ({ kind: 'string', value });
const strings = (values: readonly string[]): AnnotationValue => ({ kind: 'collection', items: values.map(str) });
const enumMember = (type: string, member: string): AnnotationValue => ({ kind: 'enum', type, member });
const record = (fields: Record<string, AnnotationValue>): AnnotationValue => ({
  kind: 'record',
  fields: Object.entries(fields).map(([name, value]) => ({ name, value })),
});
const annotation = (term: string, value: AnnotationValue): Annotation => ({ term, value });

const NUMERIC_TYPES: readonly EdmPrimitive[] = ['Edm.Int16', 'Edm.Int32', 'Edm.Int64', 'Edm.Decimal', 'Edm.Double'];

/** $apply methods advertised for a property: every method for numbers, countdistinct for the rest. */
export function aggregationMethodsFor(type: EdmPrimitive): readonly string[] {
  return NUMERIC_TYPES.includes(type) ? AGGREGATION_METHODS : ['countdistinct'];
}

/** Description of a property or navigation as a Core.Description annotation (or nothing). */
export function descriptionAnnotations(description: string | undefined): Annotation[] {
  return description === undefined || description === '' ? [] : [annotation('Core.Description', str(description))];
}

function applySupportedBase(): Record<string, AnnotationValue> {
  return {
    // An omitted list would mean "every transformation", so it is always spelled out.
    Transformations: strings(APPLY_TRANSFORMATIONS),
    Rollup: enumMember('Aggregation.RollupType', 'MultipleHierarchies'),
  };
}

/** What the service as a whole supports: conformance, formats, batch/async, filter functions, $apply defaults. */
export function containerAnnotations(options: CsdlOptions): Annotation[] {
  return [
    annotation('Core.ODataVersions', str('4.01')),
    // Intermediate, not Advanced: there is no $batch and no $ref.
    annotation('Capabilities.ConformanceLevel', enumMember('Capabilities.ConformanceLevelType', 'Intermediate')),
    annotation('Capabilities.SupportedFormats', strings(options.supportedFormats ?? DEFAULT_SUPPORTED_FORMATS)),
    annotation('Capabilities.SupportedMetadataFormats', strings(options.supportedMetadataFormats ?? DEFAULT_SUPPORTED_METADATA_FORMATS)),
    annotation('Capabilities.AsynchronousRequestsSupported', bool(false)),
    annotation('Capabilities.BatchSupported', bool(false)),
    annotation('Capabilities.FilterFunctions', strings(FILTER_FUNCTIONS)),
    annotation('Aggregation.ApplySupportedDefaults', record(applySupportedBase())),
  ];
}

/** What one entity set supports: read-only, count/top/skip/compute/filter/sort/select, $search, $expand, $apply. */
export function entitySetAnnotations(set: EntitySetDef, options: CsdlOptions): Annotation[] {
  const searchable = set.properties.some((p) => p.searchable === true);
  const expandable = set.navigations.length > 0;
  const propertyPath = (p: PropertyDef): AnnotationValue => ({ kind: 'propertyPath', path: p.name });
  return [
    ...descriptionAnnotations(set.description),
    annotation('Capabilities.CountRestrictions', record({ Countable: bool(true) })),
    annotation('Capabilities.TopSupported', bool(true)),
    annotation('Capabilities.SkipSupported', bool(true)),
    annotation('Capabilities.ComputeSupported', bool(true)),
    annotation('Capabilities.FilterRestrictions', record({ Filterable: bool(true) })),
    annotation('Capabilities.SortRestrictions', record({ Sortable: bool(true) })),
    annotation('Capabilities.SearchRestrictions', record({ Searchable: bool(searchable) })),
    annotation('Capabilities.SelectSupport', record({ Supported: bool(true) })),
    annotation(
      'Capabilities.ExpandRestrictions',
      record(expandable ? { Expandable: bool(true), MaxLevels: int(options.maxExpandDepth) } : { Expandable: bool(false) }),
    ),
    annotation('Capabilities.InsertRestrictions', record({ Insertable: bool(false) })),
    annotation('Capabilities.UpdateRestrictions', record({ Updatable: bool(false) })),
    annotation('Capabilities.DeleteRestrictions', record({ Deletable: bool(false) })),
    annotation(
      'Aggregation.ApplySupported',
      record({
        ...applySupportedBase(),
        GroupableProperties: { kind: 'collection', items: set.properties.map(propertyPath) },
        AggregatableProperties: {
          kind: 'collection',
          items: set.properties.map((p) =>
            record({ Property: propertyPath(p), SupportedAggregationMethods: strings(aggregationMethodsFor(p.type)) }),
          ),
        },
      }),
    ),
  ];
}

function samePairs(a: NavigationDef['on'], b: NavigationDef['on']): boolean {
  return a.length === b.length && a.every((pa) => b.some((pb) => pb.from === pa.from && pb.to === pa.to));
}

/** The navigation of the target type that leads back along the same join, if exactly one does. */
export function findPartner(model: EntityModel, set: EntitySetDef, nav: NavigationDef): NavigationDef | undefined {
  const target = model.entitySets.find((s) => s.name === nav.target);
  if (target === undefined) return undefined;
  const reversed = nav.on.map((pair) => ({ from: pair.to, to: pair.from }));
  const candidates = target.navigations.filter((m) => m !== nav && m.target === set.name && samePairs(m.on, reversed));
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** Dependent → principal property pairs of a to-one navigation; collections have none. */
export function referentialConstraints(model: EntityModel, set: EntitySetDef, nav: NavigationDef): NavigationDef['on'] {
  if (nav.collection) return [];
  const target = model.entitySets.find((s) => s.name === nav.target);
  if (target === undefined) return [];
  return nav.on.filter(
    (pair) => set.properties.some((p) => p.name === pair.from) && target.properties.some((p) => p.name === pair.to),
  );
}

export function qualifiedTypeName(model: EntityModel, set: EntitySetDef): string {
  return `${model.namespace}.${set.typeName}`;
}

/** Qualified entity type of a navigation's target set. */
export function targetTypeName(model: EntityModel, nav: NavigationDef): string {
  const target = model.entitySets.find((s) => s.name === nav.target);
  return `${model.namespace}.${target?.typeName ?? nav.target}`;
}

// --- XML rendering -------------------------------------------------------------------------------

interface XmlElement {
  readonly name: string;
  readonly attributes: readonly (readonly [string, string])[];
  readonly children: readonly XmlElement[];
  readonly text?: string;
}

function el(name: string, attributes: Record<string, string | undefined>, children: readonly XmlElement[] = [], text?: string): XmlElement {
  const attrs = Object.entries(attributes).filter((e): e is [string, string] => e[1] !== undefined);
  return { name, attributes: attrs, children, ...(text !== undefined ? { text } : {}) };
}

// XML 1.0 cannot carry these characters at all, not even as references.
function xmlSafe(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0) ?? 0;
    const allowed = c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000;
    out += allowed ? ch : '\uFFFD';
  }
  return out;
}

export function escapeXmlText(value: string): string {
  return xmlSafe(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also keep quotes and line breaks (attribute normalisation would turn them into spaces). */
export function escapeXmlAttribute(value: string): string {
  return escapeXmlText(value).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

function renderElement(e: XmlElement, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  const attrs = e.attributes.map(([k, v]) => ` ${k}="${escapeXmlAttribute(v)}"`).join('');
  if (e.text !== undefined) {
    out.push(`${pad}<${e.name}${attrs}>${escapeXmlText(e.text)}</${e.name}>`);
  } else if (e.children.length === 0) {
    out.push(`${pad}<${e.name}${attrs}/>`);
  } else {
    out.push(`${pad}<${e.name}${attrs}>`);
    for (const child of e.children) renderElement(child, depth + 1, out);
    out.push(`${pad}</${e.name}>`);
  }
}

// An annotation value inline (attribute on Annotation/PropertyValue) when primitive, as a child element otherwise.
function valueAttributes(v: AnnotationValue): Record<string, string> | undefined {
  switch (v.kind) {
    case 'bool':
      return { Bool: String(v.value) };
    case 'int':
      return { Int: String(v.value) };
    case 'string':
      return { String: v.value };
    case 'enum':
      return { EnumMember: `${v.type}/${v.member}` };
    case 'propertyPath':
      return { PropertyPath: v.path };
    case 'collection':
    case 'record':
      return undefined;
    default:
      return assertNever(v);
  }
}

function valueElement(v: AnnotationValue): XmlElement {
  switch (v.kind) {
    case 'bool':
      return el('Bool', {}, [], String(v.value));
    case 'int':
      return el('Int', {}, [], String(v.value));
    case 'string':
      return el('String', {}, [], v.value);
    case 'enum':
      return el('EnumMember', {}, [], `${v.type}/${v.member}`);
    case 'propertyPath':
      return el('PropertyPath', {}, [], v.path);
    case 'collection':
      return el('Collection', {}, v.items.map(valueElement));
    case 'record':
      return el(
        'Record',
        {},
        v.fields.map((f) => {
          const inline = valueAttributes(f.value);
          return inline !== undefined
            ? el('PropertyValue', { Property: f.name, ...inline })
            : el('PropertyValue', { Property: f.name }, [valueElement(f.value)]);
        }),
      );
    default:
      return assertNever(v);
  }
}

function annotationElement(a: Annotation): XmlElement {
  const inline = valueAttributes(a.value);
  return inline !== undefined
    ? el('Annotation', { Term: a.term, ...inline })
    : el('Annotation', { Term: a.term }, [valueElement(a.value)]);
}

function propertyElement(p: PropertyDef): XmlElement {
  return el(
    'Property',
    {
      Name: p.name,
      Type: p.type,
      Nullable: p.nullable ? undefined : 'false',
      MaxLength: p.maxLength?.toString(),
      Precision: p.precision?.toString(),
      Scale: p.scale?.toString(),
    },
    descriptionAnnotations(p.description).map(annotationElement),
  );
}

function navigationElement(model: EntityModel, set: EntitySetDef, nav: NavigationDef): XmlElement {
  const constraints = referentialConstraints(model, set, nav).map((pair) =>
    el('ReferentialConstraint', { Property: pair.from, ReferencedProperty: pair.to }),
  );
  return el(
    'NavigationProperty',
    { Name: nav.name, Type: nav.collection ? `Collection(${targetTypeName(model, nav)})` : targetTypeName(model, nav), Partner: findPartner(model, set, nav)?.name },
    [...constraints, ...descriptionAnnotations(nav.description).map(annotationElement)],
  );
}

function entityTypeElement(model: EntityModel, set: EntitySetDef): XmlElement {
  return el('EntityType', { Name: set.typeName }, [
    el(
      'Key',
      {},
      set.key.map((k) => el('PropertyRef', { Name: k })),
    ),
    ...set.properties.map(propertyElement),
    ...set.navigations.map((n) => navigationElement(model, set, n)),
  ]);
}

function entitySetElement(model: EntityModel, set: EntitySetDef, options: CsdlOptions): XmlElement {
  return el('EntitySet', { Name: set.name, EntityType: qualifiedTypeName(model, set) }, [
    ...set.navigations.map((n) => el('NavigationPropertyBinding', { Path: n.name, Target: n.target })),
    ...entitySetAnnotations(set, options).map(annotationElement),
  ]);
}

/**
 * buildCsdlXml(taskfeedModel, { maxExpandDepth: 3 }) → '<?xml …?><edmx:Edmx Version="4.0" …>' with one
 * EntityType per set (Key, Property, NavigationProperty with Partner/ReferentialConstraint), the
 * EntityContainer with EntitySet + NavigationPropertyBinding, and the Core/Capabilities/Aggregation
 * annotations. Pure and deterministic: the same model and options give the same bytes.
 */
export function buildCsdlXml(model: EntityModel, options: CsdlOptions): string {
  const root = el('edmx:Edmx', { Version: '4.0', 'xmlns:edmx': 'http://docs.oasis-open.org/odata/ns/edmx' }, [
    ...VOCABULARIES.map((v) =>
      el('edmx:Reference', { Uri: vocabularyUri(v.namespace, 'xml') }, [
        el('edmx:Include', { Namespace: v.namespace, Alias: v.alias }),
      ]),
    ),
    el('edmx:DataServices', {}, [
      el('Schema', { Namespace: model.namespace, xmlns: 'http://docs.oasis-open.org/odata/ns/edm' }, [
        ...model.entitySets.map((s) => entityTypeElement(model, s)),
        el('EntityContainer', { Name: model.containerName }, [
          ...containerAnnotations(options).map(annotationElement),
          ...model.entitySets.map((s) => entitySetElement(model, s, options)),
        ]),
      ]),
    ]),
  ]);
  const out = ['<?xml version="1.0" encoding="utf-8"?>'];
  renderElement(root, 0, out);
  return out.join('\n') + '\n';
}
