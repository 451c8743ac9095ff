import { AGGREGATION_METHODS, APPLY_TRANSFORMATIONS, FILTER_FUNCTIONS } from '../../../src/model/capabilities';
import { buildCsdlJson } from '../../../src/model/csdl-json';
import { buildCsdlXml, DEFAULT_SUPPORTED_FORMATS } from '../../../src/model/csdl-xml';
import type { EntityModel } from '../../../src/model/edm';
import { taskfeedModel } from '../../../src/model/entity-model';

type Obj = Record<string, unknown>;
const doc = buildCsdlJson(taskfeedModel, { maxExpandDepth: 3 }) as Obj;
const schema = doc.Taskfeed as Obj;
const container = schema.Container as Obj;

describe('buildCsdlJson', () => {
  it('has the document header and vocabulary references', () => {
    expect(doc.$Version).toBe('4.0');
    expect(doc.$EntityContainer).toBe('Taskfeed.Container');
    expect(doc.$Reference).toEqual({
      'https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.json': {
        $Include: [{ $Namespace: 'Org.OData.Core.V1', $Alias: 'Core' }],
      },
      'https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.json': {
        $Include: [{ $Namespace: 'Org.OData.Capabilities.V1', $Alias: 'Capabilities' }],
      },
      'https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Aggregation.V1.json': {
        $Include: [{ $Namespace: 'Org.OData.Aggregation.V1', $Alias: 'Aggregation' }],
      },
    });
    expect(Object.keys(schema)).toEqual([...taskfeedModel.entitySets.map((s) => s.typeName), 'Container']);
  });

  it('renders an entity type with CSDL JSON defaults left out', () => {
    expect(schema.ContactTask).toEqual({
      $Kind: 'EntityType',
      $Key: ['projectId', 'contactId', 'task'],
      projectId: {},
      contactId: {},
      task: {},
      firstCompletedAt: { $Type: 'Edm.DateTimeOffset', $Precision: 6 },
      lastCompletedAt: { $Type: 'Edm.DateTimeOffset', $Precision: 6 },
      count: { $Type: 'Edm.Int32' },
      lastSessionId: { $Nullable: true },
      contactProfile: {
        $Kind: 'NavigationProperty',
        $Type: 'Taskfeed.ContactProfile',
        $Nullable: true,
        $Partner: 'tasks',
        $ReferentialConstraint: { projectId: 'projectId', contactId: 'contactId' },
      },
    });
  });

  it('renders collection navigations with partners and descriptions', () => {
    const session = schema.Session as Obj;
    expect(session.analytics).toEqual({ $Kind: 'NavigationProperty', $Type: 'Taskfeed.Analytic', $Collection: true, $Partner: 'session' });
    expect((schema.ContactProfile as Obj).sessions).toEqual({ $Kind: 'NavigationProperty', $Type: 'Taskfeed.Session', $Collection: true });
    expect(session.lastActivityAt).toEqual({
      $Type: 'Edm.DateTimeOffset',
      $Precision: 6,
      '@Core.Description': 'Extension: not part of the Cognigy OData feed.',
    });
  });

  it('annotates the container', () => {
    expect(Object.fromEntries(Object.entries(container).filter(([k]) => k.startsWith('@')))).toEqual({
      '@Core.ODataVersions': '4.01',
      '@Capabilities.ConformanceLevel': 'Intermediate',
      '@Capabilities.SupportedFormats': [...DEFAULT_SUPPORTED_FORMATS],
      '@Capabilities.SupportedMetadataFormats': ['application/xml', 'application/json'],
      '@Capabilities.AsynchronousRequestsSupported': false,
      '@Capabilities.BatchSupported': false,
      '@Capabilities.FilterFunctions': [...FILTER_FUNCTIONS],
      '@Aggregation.ApplySupportedDefaults': { Transformations: [...APPLY_TRANSFORMATIONS], Rollup: 'MultipleHierarchies' },
    });
  });

  it('renders entity sets with bindings and annotations', () => {
    const set = container.ContactTasks as Obj;
    expect(set).toMatchObject({
      $Collection: true,
      $Type: 'Taskfeed.ContactTask',
      $NavigationPropertyBinding: { contactProfile: 'ContactProfiles' },
      '@Core.Description': expect.stringContaining('Per contact and task'),
      '@Capabilities.CountRestrictions': { Countable: true },
      '@Capabilities.TopSupported': true,
      '@Capabilities.SkipSupported': true,
      '@Capabilities.ComputeSupported': true,
      '@Capabilities.FilterRestrictions': { Filterable: true },
      '@Capabilities.SortRestrictions': { Sortable: true },
      '@Capabilities.SearchRestrictions': { Searchable: true },
      '@Capabilities.SelectSupport': { Supported: true },
      '@Capabilities.ExpandRestrictions': { Expandable: true, MaxLevels: 3 },
      '@Capabilities.InsertRestrictions': { Insertable: false },
      '@Capabilities.UpdateRestrictions': { Updatable: false },
      '@Capabilities.DeleteRestrictions': { Deletable: false },
    });
    const apply = set['@Aggregation.ApplySupported'] as Obj;
    expect(apply.Transformations).toEqual([...APPLY_TRANSFORMATIONS]);
    expect(apply.Rollup).toBe('MultipleHierarchies');
    expect((apply.GroupableProperties as Obj[])[0]).toEqual({ $PropertyPath: 'projectId' });
    expect(apply.AggregatableProperties as Obj[]).toContainEqual({ Property: { $PropertyPath: 'count' }, SupportedAggregationMethods: [...AGGREGATION_METHODS] });
    expect(apply.AggregatableProperties as Obj[]).toContainEqual({ Property: { $PropertyPath: 'task' }, SupportedAggregationMethods: ['countdistinct'] });
    expect(container.Steps as Obj).not.toHaveProperty('$NavigationPropertyBinding');
  });

  it('has the same types, properties, keys and annotation terms as the XML document', () => {
    const xml = buildCsdlXml(taskfeedModel, { maxExpandDepth: 3 });
    for (const set of taskfeedModel.entitySets) {
      const type = schema[set.typeName] as Obj;
      const members = Object.keys(type).filter((k) => !k.startsWith('$'));
      const xmlType = new RegExp(`<EntityType Name="${set.typeName}">([\\s\\S]*?)</EntityType>`).exec(xml)?.[1] ?? '';
      const xmlMembers = [...xmlType.matchAll(/<(?:Property|NavigationProperty) Name="([^"]+)"/g)].map((m) => m[1]);
      expect(members).toEqual(xmlMembers);
      const xmlSet = new RegExp(`<EntitySet Name="${set.name}"[^>]*>([\\s\\S]*?)\\n {8}</EntitySet>`).exec(xml)?.[1] ?? '';
      const xmlTerms = [...xmlSet.matchAll(/^ {10}<Annotation Term="([^"]+)"/gm)].map((m) => `@${m[1]}`);
      expect(Object.keys(container[set.name] as Obj).filter((k) => k.startsWith('@'))).toEqual(xmlTerms);
    }
  });

  it('is deterministic and plain JSON', () => {
    const copy = JSON.parse(JSON.stringify(taskfeedModel)) as EntityModel;
    expect(JSON.stringify(buildCsdlJson(copy, { maxExpandDepth: 3 }))).toBe(JSON.stringify(doc));
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});
