// resource path segments × model → the addressed resource: a collection, one entity, or one property of it.
import type { EntitySetDef, NavigationDef, PropertyDef } from '../model/edm';
import { findEntitySet, findNavigation, findProperty } from '../model/entity-model';
import { odataInvalid, odataNotImplemented, odataUnknownEntitySet, odataUnknownProperty } from '../errors';
import type { KeyValue, ResourceSegment } from './ast';
import { bindExpr, rootScope, type BindSession } from './bind-expr';
import type { BoundExpr, TableRef } from './bound';

/** The entity a navigation started from: it must exist, or the navigation's collection is 404 rather than empty. */
export interface ParentEntity {
  readonly ref: TableRef;
  readonly where: readonly BoundExpr[];
}

export type Resource =
  | {
      readonly kind: 'collection';
      readonly ref: TableRef;
      readonly where: readonly BoundExpr[];
      readonly count: boolean;
      readonly parent?: ParentEntity;
    }
  | { readonly kind: 'entity'; readonly ref: TableRef; readonly where: readonly BoundExpr[]; readonly path: string }
  | {
      readonly kind: 'property';
      readonly ref: TableRef;
      readonly where: readonly BoundExpr[];
      readonly property: PropertyDef;
      readonly raw: boolean;
      readonly path: string;
    };

function keyConditions(session: BindSession, ref: TableRef, key: readonly KeyValue[], pos: number): BoundExpr[] {
  const set = ref.set;
  const named = key.every((k) => k.name !== undefined);
  if (!named && !(key.length === 1 && set.key.length === 1)) {
    throw odataInvalid(`${set.name} has the key (${set.key.join(',')}); write it as ${set.name}(${set.key.map((k) => `${k}='…'`).join(',')}) (position ${pos})`);
  }
  if (key.length !== set.key.length) throw odataInvalid(`${set.name} needs ${set.key.length} key value(s), got ${key.length} (position ${pos})`);
  const scope = rootScope(session, ref);
  return key.map((k, i) => {
    const name = k.name ?? set.key[i];
    if (name === undefined || !set.key.includes(name)) throw odataInvalid(`'${k.name ?? ''}' is not a key property of ${set.name} (position ${k.pos})`);
    const property = findProperty(set, name) as PropertyDef;
    const value = bindExpr(k.value, scope);
    if (value.kind !== 'literal') throw odataInvalid(`Key values must be literals (position ${k.pos})`);
    if (value.kind === 'literal' && value.type !== property.type && !(value.type === 'Edm.Int32' && property.type === 'Edm.Int64')) {
      throw odataInvalid(`Key ${name} of ${set.name} is ${property.type}; got ${value.type} (position ${k.pos})`);
    }
    return {
      kind: 'comparison',
      op: 'eq',
      left: { kind: 'column', alias: ref.alias, column: property.column, type: property.type },
      right: value,
      type: 'Edm.Boolean',
    } as const;
  });
}

function and(conditions: readonly BoundExpr[]): BoundExpr | undefined {
  return conditions.reduce<BoundExpr | undefined>(
    (acc, c) => (acc === undefined ? c : { kind: 'logical', op: 'and', left: acc, right: c, type: 'Edm.Boolean' }),
    undefined,
  );
}

/** Rows of the navigation's target that are related to a parent row matching `parentWhere`. */
function relatedTo(parent: TableRef, parentWhere: readonly BoundExpr[], nav: NavigationDef, target: TableRef): BoundExpr {
  const back: NavigationDef = { name: `${nav.name}$parent`, target: parent.set.name, collection: true, on: nav.on.map((p) => ({ from: p.to, to: p.from })) };
  return { kind: 'lambda', op: 'any', join: { parent: target, nav: back, target: parent }, predicate: and(parentWhere), type: 'Edm.Boolean' };
}

function keyText(segment: Extract<ResourceSegment, { kind: 'name' }>): string {
  return segment.key === undefined ? '' : `(${segment.key.map((k) => (k.name !== undefined ? `${k.name}=…` : '…')).join(',')})`;
}

/**
 * bindResource(['Sessions'('s1'), 'analytics', $count]) → collection of Analytics related to session s1, count only.
 */
export function bindResource(session: BindSession, segments: readonly ResourceSegment[]): Resource {
  const [first, ...rest] = segments;
  if (first === undefined || first.kind !== 'name') throw odataInvalid('The path must start with an entity set name');
  const set = findEntitySet(session.model, first.name);
  if (set === undefined) {
    const names = session.model.entitySets.map((s) => s.name).join(', ');
    throw odataUnknownEntitySet(`No entity set named '${first.name}'; this service has: ${names}`, { target: first.name });
  }
  let ref = session.tableRef(set);
  let where: BoundExpr[] = [];
  let single = false;
  let parent: ParentEntity | undefined;
  let path = set.name;
  if (first.key !== undefined) {
    where = keyConditions(session, ref, first.key, first.pos);
    single = true;
    path += keyText(first);
  }
  for (let i = 0; i < rest.length; i++) {
    const segment = rest[i] as ResourceSegment;
    const isLast = i === rest.length - 1;
    if (segment.kind === 'count') {
      if (!isLast || single) throw odataInvalid(`/$count must follow a collection and end the path (position ${segment.pos})`);
      return { kind: 'collection', ref, where, count: true, parent };
    }
    if (segment.kind === 'ref') throw odataNotImplemented(`/$ref is not supported (position ${segment.pos})`);
    if (segment.kind === 'value') throw odataInvalid(`/$value must follow a property (position ${segment.pos})`);
    if (!single) throw odataInvalid(`Address one ${ref.set.typeName} by its key before '${segment.name}' (position ${segment.pos})`);
    const property = findProperty(ref.set, segment.name);
    if (property !== undefined) {
      const next = rest[i + 1];
      if (segment.key !== undefined) throw odataInvalid(`'${segment.name}' is a property and takes no key (position ${segment.pos})`);
      if (next === undefined) return { kind: 'property', ref, where, property, raw: false, path };
      if (next.kind === 'value' && i + 2 === rest.length) return { kind: 'property', ref, where, property, raw: true, path };
      throw odataInvalid(`Only /$value may follow the property '${segment.name}' (position ${next.pos})`);
    }
    const nav = findNavigation(ref.set, segment.name);
    if (nav === undefined) {
      if (segment.name.includes('.')) throw odataNotImplemented(`Type casts and bound operations are not supported (position ${segment.pos})`);
      throw odataUnknownProperty(`${ref.set.typeName} has no property or navigation '${segment.name}' (position ${segment.pos})`, { target: segment.name });
    }
    const targetSet = findEntitySet(session.model, nav.target) as EntitySetDef;
    const target = session.tableRef(targetSet);
    parent = { ref, where };
    where = [relatedTo(ref, where, nav, target)];
    ref = target;
    path = targetSet.name;
    single = !nav.collection;
    if (segment.key !== undefined) {
      if (!nav.collection) throw odataInvalid(`'${segment.name}' is a single entity and takes no key (position ${segment.pos})`);
      where = [...where, ...keyConditions(session, ref, segment.key, segment.pos)];
      single = true;
      path += keyText(segment);
    }
  }
  return single ? { kind: 'entity', ref, where, path } : { kind: 'collection', ref, where, count: false, parent };
}
