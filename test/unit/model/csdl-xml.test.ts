import { AGGREGATION_METHODS, APPLY_TRANSFORMATIONS, FILTER_FUNCTIONS } from '../../../src/model/capabilities';
import { buildCsdlXml, escapeXmlAttribute, escapeXmlText } from '../../../src/model/csdl-xml';
import type { EntityModel, EntitySetDef } from '../../../src/model/edm';
import { taskfeedModel } from '../../../src/model/entity-model';

const xml = buildCsdlXml(taskfeedModel, { maxExpandDepth: 3 });

function element(doc: string, tag: string, name: string): string {
  const match = new RegExp(`^( *)<${tag} Name="${name}"[^>]*>[\\s\\S]*?^\\1</${tag}>`, 'm').exec(doc);
  if (match === null) throw new Error(`no <${tag} Name="${name}">`);
  return match[0];
}

const lines = (...l: string[]) => l.join('\n');

const tiny = (sets: EntitySetDef[]): EntityModel => ({ namespace: 'T', containerName: 'C', entitySets: sets });
const plainSet: EntitySetDef = {
  name: 'Things',
  typeName: 'Thing',
  table: 'things',
  key: ['id'],
  properties: [
    { name: 'id', column: 'id', type: 'Edm.Int32', nullable: false },
    { name: 'amount', column: 'amount', type: 'Edm.Decimal', nullable: true, precision: 12, scale: 'variable' },
    { name: 'code', column: 'code', type: 'Edm.String', nullable: true, maxLength: 3 },
  ],
  navigations: [],
};

describe('buildCsdlXml', () => {
  it('is an EDMX 4.0 document referencing the Core, Capabilities and Aggregation vocabularies', () => {
    expect(xml.split('\n').slice(0, 13).join('\n')).toBe(
      lines(
        '<?xml version="1.0" encoding="utf-8"?>',
        '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">',
        '  <edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml">',
        '    <edmx:Include Namespace="Org.OData.Core.V1" Alias="Core"/>',
        '  </edmx:Reference>',
        '  <edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml">',
        '    <edmx:Include Namespace="Org.OData.Capabilities.V1" Alias="Capabilities"/>',
        '  </edmx:Reference>',
        '  <edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Aggregation.V1.xml">',
        '    <edmx:Include Namespace="Org.OData.Aggregation.V1" Alias="Aggregation"/>',
        '  </edmx:Reference>',
        '  <edmx:DataServices>',
        '    <Schema Namespace="Taskfeed" xmlns="http://docs.oasis-open.org/odata/ns/edm">',
      ),
    );
    expect(xml.endsWith('  </edmx:DataServices>\n</edmx:Edmx>\n')).toBe(true);
  });

  it('renders an entity type: composite key, facets, to-one navigation with partner and referential constraints', () => {
    expect(element(xml, 'EntityType', 'ContactTask')).toBe(
      lines(
        '      <EntityType Name="ContactTask">',
        '        <Key>',
        '          <PropertyRef Name="projectId"/>',
        '          <PropertyRef Name="contactId"/>',
        '          <PropertyRef Name="task"/>',
        '        </Key>',
        '        <Property Name="projectId" Type="Edm.String" Nullable="false"/>',
        '        <Property Name="contactId" Type="Edm.String" Nullable="false"/>',
        '        <Property Name="task" Type="Edm.String" Nullable="false"/>',
        '        <Property Name="firstCompletedAt" Type="Edm.DateTimeOffset" Nullable="false" Precision="6"/>',
        '        <Property Name="lastCompletedAt" Type="Edm.DateTimeOffset" Nullable="false" Precision="6"/>',
        '        <Property Name="count" Type="Edm.Int32" Nullable="false"/>',
        '        <Property Name="lastSessionId" Type="Edm.String"/>',
        '        <NavigationProperty Name="contactProfile" Type="Taskfeed.ContactProfile" Partner="tasks">',
        '          <ReferentialConstraint Property="projectId" ReferencedProperty="projectId"/>',
        '          <ReferentialConstraint Property="contactId" ReferencedProperty="contactId"/>',
        '        </NavigationProperty>',
        '      </EntityType>',
      ),
    );
  });

  it('renders MaxLength, Precision and Scale', () => {
    const doc = buildCsdlXml(tiny([plainSet]), { maxExpandDepth: 2 });
    expect(doc).toContain('<Property Name="amount" Type="Edm.Decimal" Precision="12" Scale="variable"/>');
    expect(doc).toContain('<Property Name="code" Type="Edm.String" MaxLength="3"/>');
  });

  it.each([
    ['Session', 'analytics', 'Collection(Taskfeed.Analytic)', 'session'],
    ['Session', 'escalations', 'Collection(Taskfeed.LiveAgentEscalation)', 'session'],
    ['ContactProfile', 'tasks', 'Collection(Taskfeed.ContactTask)', 'contactProfile'],
    ['ContactProfile', 'completedTasks', 'Collection(Taskfeed.CompletedTask)', 'contactProfile'],
    ['ContactProfile', 'sessions', 'Collection(Taskfeed.Session)', undefined],
    ['Analytic', 'session', 'Taskfeed.Session', 'analytics'],
    ['CompletedTask', 'session', 'Taskfeed.Session', 'completedTasks'],
    ['CompletedTask', 'contactProfile', 'Taskfeed.ContactProfile', 'completedTasks'],
    ['ExecutedStep', 'step', 'Taskfeed.Step', undefined],
  ])('%s.%s has type %s and partner %s', (type, nav, navType, partner) => {
    const partnerAttr = partner === undefined ? '' : ` Partner="${partner}"`;
    expect(element(xml, 'EntityType', type)).toMatch(new RegExp(`<NavigationProperty Name="${nav}" Type="${navType.replace(/[()]/g, '\\$&')}"${partnerAttr}(/>|>)`));
  });

  it('puts referential constraints on to-one navigations only, projectId pair first', () => {
    expect(element(xml, 'EntityType', 'ExecutedStep')).toContain(
      lines(
        '        <NavigationProperty Name="step" Type="Taskfeed.Step">',
        '          <ReferentialConstraint Property="projectId" ReferencedProperty="projectId"/>',
        '          <ReferentialConstraint Property="entityReferenceId" ReferencedProperty="entityReferenceId"/>',
        '        </NavigationProperty>',
      ),
    );
    expect(element(xml, 'EntityType', 'Session')).not.toContain('ReferentialConstraint');
    expect(element(xml, 'EntityType', 'ContactProfile')).not.toContain('ReferentialConstraint');
  });

  it.each(taskfeedModel.entitySets.map((s) => [s.name, s] as const))('EntitySet %s binds each of its navigations', (name, set) => {
    const es = element(xml, 'EntitySet', name);
    expect(es.startsWith(`        <EntitySet Name="${name}" EntityType="Taskfeed.${set.typeName}">`)).toBe(true);
    const bindings = [...es.matchAll(/<NavigationPropertyBinding Path="([^"]+)" Target="([^"]+)"\/>/g)].map((m) => [m[1], m[2]]);
    expect(bindings).toEqual(set.navigations.map((n) => [n.name, n.target]));
  });

  it('annotates the container: versions, conformance, formats, no batch/async, filter functions, $apply defaults', () => {
    const container = /<EntityContainer Name="Container">\n([\s\S]*?)\n {8}<EntitySet /.exec(xml)?.[1];
    expect(container).toBe(
      lines(
        '        <Annotation Term="Core.ODataVersions" String="4.01"/>',
        '        <Annotation Term="Capabilities.ConformanceLevel" EnumMember="Capabilities.ConformanceLevelType/Intermediate"/>',
        '        <Annotation Term="Capabilities.SupportedFormats">',
        '          <Collection>',
        '            <String>application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false</String>',
        '            <String>application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=true</String>',
        '            <String>application/json;odata.metadata=full;odata.streaming=true;IEEE754Compatible=false</String>',
        '            <String>application/json;odata.metadata=full;odata.streaming=true;IEEE754Compatible=true</String>',
        '            <String>application/json;odata.metadata=none;odata.streaming=true;IEEE754Compatible=false</String>',
        '            <String>application/json;odata.metadata=none;odata.streaming=true;IEEE754Compatible=true</String>',
        '          </Collection>',
        '        </Annotation>',
        '        <Annotation Term="Capabilities.SupportedMetadataFormats">',
        '          <Collection>',
        '            <String>application/xml</String>',
        '            <String>application/json</String>',
        '          </Collection>',
        '        </Annotation>',
        '        <Annotation Term="Capabilities.AsynchronousRequestsSupported" Bool="false"/>',
        '        <Annotation Term="Capabilities.BatchSupported" Bool="false"/>',
        '        <Annotation Term="Capabilities.FilterFunctions">',
        '          <Collection>',
        ...FILTER_FUNCTIONS.map((f) => `            <String>${f}</String>`),
        '          </Collection>',
        '        </Annotation>',
        '        <Annotation Term="Aggregation.ApplySupportedDefaults">',
        '          <Record>',
        '            <PropertyValue Property="Transformations">',
        '              <Collection>',
        ...APPLY_TRANSFORMATIONS.map((t) => `                <String>${t}</String>`),
        '              </Collection>',
        '            </PropertyValue>',
        '            <PropertyValue Property="Rollup" EnumMember="Aggregation.RollupType/MultipleHierarchies"/>',
        '          </Record>',
        '        </Annotation>',
      ),
    );
  });

  it('advertises the formats it is given', () => {
    const doc = buildCsdlXml(taskfeedModel, { maxExpandDepth: 3, supportedFormats: ['application/json;odata.metadata=minimal'], supportedMetadataFormats: ['application/xml'] });
    expect(doc).toContain('<Annotation Term="Capabilities.SupportedFormats">\n          <Collection>\n            <String>application/json;odata.metadata=minimal</String>\n          </Collection>');
    expect(doc).toContain('<Annotation Term="Capabilities.SupportedMetadataFormats">\n          <Collection>\n            <String>application/xml</String>\n          </Collection>');
  });

  it('annotates each entity set as read-only and queryable, with its expand depth', () => {
    const es = element(buildCsdlXml(taskfeedModel, { maxExpandDepth: 5 }), 'EntitySet', 'Sessions');
    for (const a of [
      '<Annotation Term="Capabilities.CountRestrictions">\n            <Record>\n              <PropertyValue Property="Countable" Bool="true"/>',
      '<Annotation Term="Capabilities.TopSupported" Bool="true"/>',
      '<Annotation Term="Capabilities.SkipSupported" Bool="true"/>',
      '<Annotation Term="Capabilities.ComputeSupported" Bool="true"/>',
      '<PropertyValue Property="Filterable" Bool="true"/>',
      '<PropertyValue Property="Sortable" Bool="true"/>',
      '<Annotation Term="Capabilities.SearchRestrictions">\n            <Record>\n              <PropertyValue Property="Searchable" Bool="true"/>',
      '<Annotation Term="Capabilities.SelectSupport">\n            <Record>\n              <PropertyValue Property="Supported" Bool="true"/>',
      '<PropertyValue Property="Expandable" Bool="true"/>\n              <PropertyValue Property="MaxLevels" Int="5"/>',
      '<PropertyValue Property="Insertable" Bool="false"/>',
      '<PropertyValue Property="Updatable" Bool="false"/>',
      '<PropertyValue Property="Deletable" Bool="false"/>',
      '<PropertyValue Property="Rollup" EnumMember="Aggregation.RollupType/MultipleHierarchies"/>',
    ]) {
      expect(es).toContain(a);
    }
  });

  it('says not searchable / not expandable where a set has no searchable properties / navigations', () => {
    const es = element(buildCsdlXml(tiny([plainSet]), { maxExpandDepth: 3 }), 'EntitySet', 'Things');
    expect(es).toContain('<PropertyValue Property="Searchable" Bool="false"/>');
    expect(es).toContain('<PropertyValue Property="Expandable" Bool="false"/>');
    expect(es).not.toContain('MaxLevels');
    expect(es).not.toContain('NavigationPropertyBinding');
  });

  it('lists exactly the engine transformations, every property as groupable, and aggregation methods by type', () => {
    const apply = /<Annotation Term="Aggregation.ApplySupported">[\s\S]*?\n {10}<\/Annotation>/.exec(element(xml, 'EntitySet', 'ContactTasks'))?.[0] ?? '';
    const transformations = /Property="Transformations">([\s\S]*?)<\/PropertyValue>/.exec(apply)?.[1] ?? '';
    expect([...transformations.matchAll(/<String>([^<]+)<\/String>/g)].map((m) => m[1])).toEqual([...APPLY_TRANSFORMATIONS]);
    const groupable = /Property="GroupableProperties">([\s\S]*?)<\/PropertyValue>/.exec(apply)?.[1] ?? '';
    expect([...groupable.matchAll(/<PropertyPath>([^<]+)<\/PropertyPath>/g)].map((m) => m[1])).toEqual([
      'projectId', 'contactId', 'task', 'firstCompletedAt', 'lastCompletedAt', 'count', 'lastSessionId',
    ]);
    const aggregatable = [...apply.matchAll(/<PropertyValue Property="Property" PropertyPath="([^"]+)"\/>\s*<PropertyValue Property="SupportedAggregationMethods">\s*<Collection>([\s\S]*?)<\/Collection>/g)].map(
      (m) => [m[1], [...(m[2] ?? '').matchAll(/<String>([^<]+)<\/String>/g)].map((s) => s[1])],
    );
    expect(aggregatable).toEqual([
      ['projectId', ['countdistinct']],
      ['contactId', ['countdistinct']],
      ['task', ['countdistinct']],
      ['firstCompletedAt', ['countdistinct']],
      ['lastCompletedAt', ['countdistinct']],
      ['count', [...AGGREGATION_METHODS]],
      ['lastSessionId', ['countdistinct']],
    ]);
  });

  it('escapes descriptions in attributes and text', () => {
    const described: EntitySetDef = {
      ...plainSet,
      description: 'a <b> & "c"\nd\u0001',
      properties: [{ name: 'id', column: 'id', type: 'Edm.Int32', nullable: false, description: "it's <id>" }],
    };
    const doc = buildCsdlXml(tiny([described]), { maxExpandDepth: 3 });
    expect(doc).toContain('<Annotation Term="Core.Description" String="a &lt;b&gt; &amp; &quot;c&quot;&#10;d\uFFFD"/>');
    expect(doc).toContain('<Annotation Term="Core.Description" String="it\'s &lt;id&gt;"/>');
  });

  it.each([
    ['a & b', 'a &amp; b', 'a &amp; b'],
    ['<x>', '&lt;x&gt;', '&lt;x&gt;'],
    ['"q"', '"q"', '&quot;q&quot;'],
    ['l1\r\nl2\tx', 'l1\r\nl2\tx', 'l1&#13;&#10;l2&#9;x'],
    ['nul\u0000 and \uD800 lone surrogate', 'nul\uFFFD and \uFFFD lone surrogate', 'nul\uFFFD and \uFFFD lone surrogate'],
    ['emoji 😀 ok', 'emoji 😀 ok', 'emoji 😀 ok'],
  ])('escapes %j', (input, text, attribute) => {
    expect(escapeXmlText(input)).toBe(text);
    expect(escapeXmlAttribute(input)).toBe(attribute);
  });

  it('is deterministic', () => {
    const copy: EntityModel = JSON.parse(JSON.stringify(taskfeedModel)) as EntityModel;
    expect(buildCsdlXml(copy, { maxExpandDepth: 3 })).toBe(xml);
  });
});
