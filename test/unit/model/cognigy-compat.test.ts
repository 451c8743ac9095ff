import { withCognigyKeyNames } from '../../../src/model/cognigy-compat';
import type { EntityModel, EntitySetDef } from '../../../src/model/edm';
import { findEntitySet, findProperty, taskfeedModel } from '../../../src/model/entity-model';
import { checkModel } from '../../../src/model/model-dir';

const v23 = withCognigyKeyNames(taskfeedModel);
const set = (model: EntityModel, name: string) => findEntitySet(model, name) as EntitySetDef;

describe('withCognigyKeyNames', () => {
  it.each(taskfeedModel.entitySets.filter((s) => findProperty(s, 'id') !== undefined).map((s) => [s.name]))(
    '%s: id becomes _id on the same column',
    (name) => {
      const before = findProperty(set(taskfeedModel, name), 'id');
      const s = set(v23, name);
      expect(findProperty(s, 'id')).toBeUndefined();
      expect(findProperty(s, '_id')).toEqual({ ...before, name: '_id' });
      expect(s.properties.map((p) => p.name)).toEqual(set(taskfeedModel, name).properties.map((p) => (p.name === 'id' ? '_id' : p.name)));
    },
  );

  it('renames keys', () => {
    expect(Object.fromEntries(v23.entitySets.map((s) => [s.name, s.key]))).toEqual({
      Analytics: ['_id'],
      Conversations: ['_id'],
      Steps: ['_id'],
      ExecutedSteps: ['_id'],
      Sessions: ['_id'],
      LiveAgentEscalations: ['projectId', '_id'],
      ContactProfiles: ['projectId', 'contactId'],
      ContactTasks: ['projectId', 'contactId', 'task'],
      CompletedTasks: ['_id'],
      Goals: ['projectId', 'goalId'],
      GoalSteps: ['version', 'goalStepId'],
      GoalStepMetrics: ['version', 'goalStepMetricId'],
      GoalEvents: ['_id'],
      GoalCycles: ['_id'],
      ContactGoals: ['projectId', 'contactId', 'goalId'],
    });
  });

  it('keeps the model consistent and everything else unchanged', () => {
    expect(checkModel(v23)).toEqual([]);
    expect(v23.entitySets.map((s) => s.navigations)).toEqual(taskfeedModel.entitySets.map((s) => s.navigations));
    expect(set(v23, 'ContactProfiles')).toEqual(set(taskfeedModel, 'ContactProfiles'));
    expect(findProperty(set(taskfeedModel, 'Sessions'), 'id')).toBeDefined();
    expect(Object.isFrozen(v23)).toBe(true);
  });

  it('renames join pairs that use id, on each side', () => {
    const parent: EntitySetDef = {
      name: 'Parents',
      typeName: 'Parent',
      table: 'parents',
      key: ['id'],
      properties: [{ name: 'id', column: 'id', type: 'Edm.String', nullable: false }],
      navigations: [{ name: 'children', target: 'Children', collection: true, on: [{ from: 'id', to: 'parentId' }] }],
    };
    const child: EntitySetDef = {
      name: 'Children',
      typeName: 'Child',
      table: 'children',
      key: ['id'],
      properties: [
        { name: 'id', column: 'id', type: 'Edm.String', nullable: false },
        { name: 'parentId', column: 'parent_id', type: 'Edm.String', nullable: false },
      ],
      navigations: [{ name: 'parent', target: 'Parents', collection: false, on: [{ from: 'parentId', to: 'id' }] }],
    };
    const model = withCognigyKeyNames({ namespace: 'T', containerName: 'C', entitySets: [parent, child] });
    expect(set(model, 'Parents').navigations[0]?.on).toEqual([{ from: '_id', to: 'parentId' }]);
    expect(set(model, 'Children').navigations[0]?.on).toEqual([{ from: 'parentId', to: '_id' }]);
    expect(checkModel(model)).toEqual([]);
  });

  it('refuses a set that already has _id next to id', () => {
    const clash: EntitySetDef = {
      name: 'Clash',
      typeName: 'Clash',
      table: 'clash',
      key: ['id'],
      properties: [
        { name: 'id', column: 'id', type: 'Edm.String', nullable: false },
        { name: '_id', column: 'legacy_id', type: 'Edm.String', nullable: true },
      ],
      navigations: [],
    };
    expect(() => withCognigyKeyNames({ namespace: 'T', containerName: 'C', entitySets: [clash] })).toThrow(/Clash has both "id" and "_id"/);
  });
});
