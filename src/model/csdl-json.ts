// EntityModel → $metadata as CSDL JSON: the same types, container and annotations as the XML document.
import { assertNever } from '../errors';
import {
  type Annotation,
  type AnnotationValue,
  type CsdlOptions,
  containerAnnotations,
  descriptionAnnotations,
  entitySetAnnotations,
  findPartner,
  qualifiedTypeName,
  referentialConstraints,
  targetTypeName,
  VOCABULARIES,
  vocabularyUri,
} from './csdl-xml';
import type { EntityModel, EntitySetDef, NavigationDef, PropertyDef } from './edm';

export type CsdlJson = { readonly [member: string]: unknown };

function jsonValue(v: AnnotationValue): unknown {
  switch (v.kind) {
    case 'bool':
    case 'int':
    case 'string':
      return v.value;
    case 'enum':
      return v.member;
    case 'propertyPath':
      return { $PropertyPath: v.path };
    case 'collection':
      return v.items.map(jsonValue);
    case 'record':
      return Object.fromEntries(v.fields.map((f) => [f.name, jsonValue(f.value)]));
    default:
      return assertNever(v);
  }
}

function annotationMembers(annotations: readonly Annotation[]): Record<string, unknown> {
  return Object.fromEntries(annotations.map((a) => [`@${a.term}`, jsonValue(a.value)]));
}

// CSDL JSON defaults: $Type Edm.String, $Nullable false; members equal to the default are left out.
function propertyJson(p: PropertyDef): Record<string, unknown> {
  return {
    ...(p.type !== 'Edm.String' ? { $Type: p.type } : {}),
    ...(p.nullable ? { $Nullable: true } : {}),
    ...(p.maxLength !== undefined ? { $MaxLength: p.maxLength } : {}),
    ...(p.precision !== undefined ? { $Precision: p.precision } : {}),
    ...(p.scale !== undefined ? { $Scale: p.scale } : {}),
    ...annotationMembers(descriptionAnnotations(p.description)),
  };
}

function navigationJson(model: EntityModel, set: EntitySetDef, nav: NavigationDef): Record<string, unknown> {
  const partner = findPartner(model, set, nav);
  const constraints = referentialConstraints(model, set, nav);
  return {
    $Kind: 'NavigationProperty',
    $Type: targetTypeName(model, nav),
    ...(nav.collection ? { $Collection: true } : { $Nullable: true }),
    ...(partner !== undefined ? { $Partner: partner.name } : {}),
    ...(constraints.length > 0 ? { $ReferentialConstraint: Object.fromEntries(constraints.map((c) => [c.from, c.to])) } : {}),
    ...annotationMembers(descriptionAnnotations(nav.description)),
  };
}

function entityTypeJson(model: EntityModel, set: EntitySetDef): Record<string, unknown> {
  return {
    $Kind: 'EntityType',
    $Key: [...set.key],
    ...Object.fromEntries(set.properties.map((p) => [p.name, propertyJson(p)])),
    ...Object.fromEntries(set.navigations.map((n) => [n.name, navigationJson(model, set, n)])),
  };
}

function entitySetJson(model: EntityModel, set: EntitySetDef, options: CsdlOptions): Record<string, unknown> {
  return {
    $Collection: true,
    $Type: qualifiedTypeName(model, set),
    ...(set.navigations.length > 0
      ? { $NavigationPropertyBinding: Object.fromEntries(set.navigations.map((n) => [n.name, n.target])) }
      : {}),
    ...annotationMembers(entitySetAnnotations(set, options)),
  };
}

/**
 * buildCsdlJson(taskfeedModel, { maxExpandDepth: 3 }) → { $Version: '4.0', $EntityContainer: 'Taskfeed.Container',
 * $Reference: {…}, Taskfeed: { Analytic: { $Kind: 'EntityType', $Key: ['id'], … }, …, Container: {…} } }.
 * Same content as buildCsdlXml; valid against the OASIS csdl.schema.json.
 */
export function buildCsdlJson(model: EntityModel, options: CsdlOptions): CsdlJson {
  return {
    $Version: '4.0',
    $EntityContainer: `${model.namespace}.${model.containerName}`,
    $Reference: Object.fromEntries(
      VOCABULARIES.map((v) => [vocabularyUri(v.namespace, 'json'), { $Include: [{ $Namespace: v.namespace, $Alias: v.alias }] }]),
    ),
    [model.namespace]: {
      ...Object.fromEntries(model.entitySets.map((s) => [s.typeName, entityTypeJson(model, s)])),
      [model.containerName]: {
        $Kind: 'EntityContainer',
        ...annotationMembers(containerAnnotations(options)),
        ...Object.fromEntries(model.entitySets.map((s) => [s.name, entitySetJson(model, s, options)])),
      },
    },
  };
}
