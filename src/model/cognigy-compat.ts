// EntityModel → the same model with Cognigy v2.3 key names (`_id` instead of `id`), for the /v2.3/ prefix.
import type { EntityModel, EntitySetDef } from './edm';
import { deepFreeze } from './entity-model';

const V24_KEY = 'id';
const V23_KEY = '_id';

function rename(name: string): string {
  return name === V24_KEY ? V23_KEY : name;
}

function renameInSet(set: EntitySetDef): EntitySetDef {
  if (set.properties.some((p) => p.name === V23_KEY) && set.properties.some((p) => p.name === V24_KEY)) {
    throw new Error(`${set.name} has both "${V24_KEY}" and "${V23_KEY}"; cannot rename one to the other`);
  }
  return {
    ...set,
    key: set.key.map(rename),
    properties: set.properties.map((p) => (p.name === V24_KEY ? { ...p, name: V23_KEY } : p)),
    // Pairs name properties of this set (from) and of the target (to); both were renamed the same way.
    navigations: set.navigations.map((n) => ({ ...n, on: n.on.map((pair) => ({ from: rename(pair.from), to: rename(pair.to) })) })),
    ...(set.projectProperty !== undefined ? { projectProperty: rename(set.projectProperty) } : {}),
  };
}

/**
 * withCognigyKeyNames(taskfeedModel) → a model whose Analytics (and every other set) has `_id`
 * (column id) where v2.4 has `id`; keys and navigation pairs follow. `$filter=_id eq 'x'` then works
 * on /v2.3/Analytics as it does against Cognigy's deprecated v2.3 endpoint.
 */
export function withCognigyKeyNames(model: EntityModel): EntityModel {
  return deepFreeze({ ...model, entitySets: model.entitySets.map(renameInSet) });
}
