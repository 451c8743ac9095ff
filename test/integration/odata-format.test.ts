// Response format: metadata levels, OData-Version, Content-Type, IEEE754Compatible, explicit nulls, context URLs, $metadata negotiation.
import request from 'supertest';
import { loadReadFixture } from '../helpers/fixtures';
import { createTestApp, READ_KEY, type TestApp } from '../helpers/test-app';

let t: TestApp;
const SERVICE = 'http://taskfeed.test/odata';
const POWER_QUERY_ACCEPT =
  'application/json;odata.metadata=minimal;q=1.0,application/json;odata=minimalmetadata;q=0.9,application/atomsvc+xml;q=0.8,application/atom+xml;q=0.8,application/xml;q=0.7,text/plain;q=0.7';

beforeAll(async () => {
  t = await createTestApp();
  await loadReadFixture(t.database.db);
});

afterAll(() => t.close());

function get(url: string, headers: Record<string, string> = {}) {
  const req = request(t.app).get(url.replace(/ /g, '%20')).set('x-api-key', READ_KEY);
  for (const [name, value] of Object.entries(headers)) req.set(name, value);
  return req;
}

/** Every OData-Version header line of the response, as sent (not merged). */
function versionHeaders(res: request.Response): string[] {
  const raw = (res as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === 'odata-version') values.push(raw[i + 1] ?? '');
  return values;
}

describe('OData-Version: exactly one header, 4.0 for OData-MaxVersion 4.0 and 4.01 otherwise', () => {
  const urls = [
    '/odata/',
    '/odata/Analytics?$top=1',
    "/odata/Analytics('a1')",
    "/odata/Analytics('a1')/intent",
    "/odata/Analytics('a1')/intent/$value",
    '/odata/Analytics/$count',
    '/odata/Analytics?$filter=nope eq 1',
    '/odata/Nope',
  ];

  it.each(urls)('%s with OData-MaxVersion: 4.0', async (url) => {
    const res = await get(url, { 'OData-MaxVersion': '4.0' });
    expect(versionHeaders(res)).toEqual(['4.0']);
  });

  it.each(urls)('%s without OData-MaxVersion', async (url) => {
    const res = await get(url);
    expect(versionHeaders(res)).toEqual(['4.01']);
  });

  it.each(urls)('%s with OData-MaxVersion: 4.01', async (url) => {
    const res = await get(url, { 'OData-MaxVersion': '4.01' });
    expect(versionHeaders(res)).toEqual(['4.01']);
  });

  it('$metadata sends exactly one OData-Version header', async () => {
    expect(versionHeaders(await get('/odata/$metadata', { 'OData-MaxVersion': '4.0' }))).toHaveLength(1);
    expect(versionHeaders(await get('/odata/$metadata'))).toHaveLength(1);
  });

  it('rejects an OData-MaxVersion below 4.0 and an unknown OData-Version', async () => {
    expect((await get('/odata/Analytics', { 'OData-MaxVersion': '3.0' })).status).toBe(406);
    expect((await get('/odata/Analytics', { 'OData-Version': '5.0' })).status).toBe(400);
  });
});

describe('Content-Type', () => {
  it.each([
    ['no Accept', {}, 'minimal', 'false'],
    ["Power Query's Accept", { Accept: POWER_QUERY_ACCEPT, 'OData-MaxVersion': '4.0' }, 'minimal', 'false'],
    ['metadata=full', { Accept: 'application/json;odata.metadata=full' }, 'full', 'false'],
    ['metadata=none', { Accept: 'application/json;odata.metadata=none' }, 'none', 'false'],
    ['unprefixed metadata=full', { Accept: 'application/json;metadata=full' }, 'full', 'false'],
    ['IEEE754Compatible=true', { Accept: 'application/json;odata.metadata=minimal;IEEE754Compatible=true' }, 'minimal', 'true'],
    ['*/*', { Accept: '*/*' }, 'minimal', 'false'],
  ])('%s → application/json with the metadata parameter', async (_name, headers, metadata, ieee) => {
    const res = await get('/odata/Analytics?$top=1', headers);
    expect(res.status).toBe(200);
    const type = res.headers['content-type'] as string;
    expect(type).toMatch(new RegExp(`^application/json;odata\\.metadata=${metadata}(;|$)`));
    expect(type).toContain(`IEEE754Compatible=${ieee}`);
    expect(type).not.toMatch(/charset/i);
  });

  it.each([
    ['$format=json', 'minimal'],
    ['$format=application/json;odata.metadata=full', 'full'],
    ['$format=application/json;odata.metadata=none', 'none'],
  ])('%s overrides Accept', async (format, metadata) => {
    const res = await get(`/odata/Analytics?$top=1&${format}`, { Accept: 'application/xml' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(new RegExp(`^application/json;odata\\.metadata=${metadata}(;|$)`));
  });

  it.each([
    ['$format=xml', {}],
    ['$format=atom', {}],
    ['', { Accept: 'application/xml' }],
    ['', { Accept: 'application/json;odata.metadata=huge' }],
  ])('406 for data in %s %j', async (format, headers) => {
    const res = await get(`/odata/Analytics?$top=1&${format}`, headers);
    expect(res.status).toBe(406);
    expect(res.body.error.code).toBe('NOT_ACCEPTABLE');
  });
});

describe('metadata levels', () => {
  it('minimal (default): context first, no per-entity control information', async () => {
    const res = await get("/odata/Analytics?$select=id,timestamp&$filter=id eq 'a1'");
    expect(res.body).toEqual({
      '@odata.context': `${SERVICE}/$metadata#Analytics(id,timestamp)`,
      value: [{ id: 'a1', timestamp: '2024-01-15T09:00:10Z' }],
    });
  });

  it('full: type, id and readLink per entity, type annotations for non-JSON-native types (4.0 with #)', async () => {
    const res = await get("/odata/Analytics?$select=id,timestamp,executionTime,intentScore&$filter=id eq 'a1'", {
      Accept: 'application/json;odata.metadata=full',
      'OData-MaxVersion': '4.0',
    });
    const entity = res.body.value[0];
    expect(entity).toMatchObject({
      '@odata.type': '#Taskfeed.Analytic',
      '@odata.id': `${SERVICE}/Analytics('a1')`,
      id: 'a1',
      'timestamp@odata.type': '#DateTimeOffset',
      timestamp: '2024-01-15T09:00:10Z',
      executionTime: 120,
      intentScore: 0.91,
    });
    expect(Object.keys(entity)[0]).toBe('@odata.type');
  });

  it('full: the entity id of a composite key', async () => {
    const res = await get("/odata/ContactProfiles?$select=contactId&$filter=contactId eq 'c1'", { Accept: 'application/json;odata.metadata=full' });
    expect(res.body.value[0]['@odata.id']).toBe(`${SERVICE}/ContactProfiles(projectId='p1',contactId='c1')`);
  });

  it('none: no context and no annotations, but the count and the next link stay', async () => {
    const res = await get('/odata/Analytics?$select=id&$orderby=id&$count=true&$compute=executionTime divby 2 as h', {
      Accept: 'application/json;odata.metadata=none',
      Prefer: 'odata.maxpagesize=2',
    });
    expect(Object.keys(res.body)).toEqual(['@odata.count', 'value', '@odata.nextLink']);
    expect(res.body['@odata.count']).toBe(5);
    expect(res.body.value).toEqual([{ id: 'a1' }, { id: 'a2' }]);
  });

  it('none: a single entity has no context', async () => {
    const res = await get("/odata/Analytics('a1')?$select=id", { Accept: 'application/json;odata.metadata=none' });
    expect(res.body).toEqual({ id: 'a1' });
  });
});

describe('IEEE754Compatible', () => {
  const ieee = { Accept: 'application/json;odata.metadata=minimal;IEEE754Compatible=true' };

  it('writes Int64 and Decimal, and @odata.count, as strings', async () => {
    const res = await get("/odata/Sessions?$select=id,n,q&$filter=id eq 'p1:s1'&$count=true&$compute=analytics/$count as n,stepsCount divby 4 as q", ieee);
    expect(res.status).toBe(200);
    expect(res.body['@odata.count']).toBe('1');
    expect(res.body.value[0].n).toBe('3');
    expect(typeof res.body.value[0].q).toBe('string');
    expect(Number(res.body.value[0].q)).toBe(0.5);
  });

  it('keeps Int32 and Double as numbers', async () => {
    const res = await get("/odata/Analytics?$select=executionTime,intentScore&$filter=id eq 'a1'", ieee);
    expect(res.body.value).toEqual([{ executionTime: 120, intentScore: 0.91 }]);
  });

  it('writes nested counts as strings', async () => {
    const res = await get("/odata/Sessions?$select=id&$filter=id eq 'p1:s1'&$expand=analytics($select=id;$count=true;$top=0)", ieee);
    expect(res.body.value[0]['analytics@odata.count']).toBe('3');
  });

  it('without it, Int64 and Decimal are JSON numbers (Power Query does not ask for strings)', async () => {
    const res = await get("/odata/Sessions?$select=id,n,q&$filter=id eq 'p1:s1'&$count=true&$compute=analytics/$count as n,stepsCount divby 4 as q", {
      Accept: POWER_QUERY_ACCEPT,
      'OData-MaxVersion': '4.0',
    });
    expect(res.body['@odata.count']).toBe(1);
    expect(res.body.value[0].n).toBe(3);
    expect(res.body.value[0].q).toBe(0.5);
    expect(res.body.value[0]['q@odata.type']).toBe('#Decimal');
  });
});

describe('payload shape', () => {
  it('writes every selected property, null values explicitly', async () => {
    const res = await get("/odata/Analytics?$select=id,intent,intentScore,custom1&$filter=id eq 'a3'");
    expect(res.body.value).toEqual([{ id: 'a3', intent: null, intentScore: null, custom1: 'vip' }]);
    const profile = await get("/odata/ContactProfiles(projectId='p1',contactId='c2')");
    expect(profile.body).toMatchObject({ lastname: null, email: null, age: null, accepted_gdpr: null, birthday: null, custom: null });
  });

  it('writes instants in UTC with Z, keeping fractional seconds', async () => {
    const res = await get("/odata/Analytics?$select=timestamp&$filter=id in ('a1','a2')&$orderby=id");
    expect(res.body.value).toEqual([{ timestamp: '2024-01-15T09:00:10Z' }, { timestamp: '2024-01-15T09:01:00.123456Z' }]);
  });

  it.each([
    ['service document', '/odata/', `${SERVICE}/$metadata`],
    ['collection', '/odata/Analytics?$top=1', `${SERVICE}/$metadata#Analytics`],
    ['collection with $count', '/odata/Analytics?$top=1&$count=true', `${SERVICE}/$metadata#Analytics`],
    ['projection', '/odata/Analytics?$top=1&$select=id', `${SERVICE}/$metadata#Analytics(id)`],
    ['expansion', '/odata/Sessions?$top=1&$select=id&$expand=analytics($select=id)', `${SERVICE}/$metadata#Sessions(id,analytics(id))`],
    ['entity', "/odata/Analytics('a1')", `${SERVICE}/$metadata#Analytics/$entity`],
    ['property', "/odata/Analytics('a1')/intent", `${SERVICE}/$metadata#Analytics('a1')/intent`],
    ['navigation', "/odata/Sessions('p1:s1')/analytics?$top=1", `${SERVICE}/$metadata#Analytics`],
    ['empty collection', '/odata/Analytics?$filter=id eq \'none\'', `${SERVICE}/$metadata#Analytics`],
  ])('%s: an absolute @odata.context comes first', async (_name, url, context) => {
    const res = await get(url, { Accept: POWER_QUERY_ACCEPT, 'OData-MaxVersion': '4.0' });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)[0]).toBe('@odata.context');
    expect(res.body['@odata.context']).toBe(context);
  });

  it('lists every entity set in the service document', async () => {
    const res = await get('/odata/');
    expect(res.body.value.map((s: { name: string }) => s.name)).toEqual([
      'Analytics',
      'Conversations',
      'Steps',
      'ExecutedSteps',
      'Sessions',
      'LiveAgentEscalations',
      'ContactProfiles',
      'ContactTasks',
      'CompletedTasks',
      'Goals',
      'GoalSteps',
      'GoalStepMetrics',
      'GoalEvents',
      'GoalCycles',
      'ContactGoals',
    ]);
    expect(res.body.value[0]).toEqual({ name: 'Analytics', kind: 'EntitySet', url: 'Analytics' });
  });
});

describe('$metadata', () => {
  it("is CSDL XML for Power Query's Accept header", async () => {
    const res = await get('/odata/$metadata', { Accept: POWER_QUERY_ACCEPT, 'OData-MaxVersion': '4.0' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    expect(res.text).toMatch(/^<\?xml version="1\.0" encoding="utf-8"\?>\s*<edmx:Edmx Version="4\.0"/);
    expect(res.text).toContain('<EntitySet Name="Analytics" EntityType="Taskfeed.Analytic"');
  });

  it.each([
    ['no Accept', {}],
    ['application/xml', { Accept: 'application/xml' }],
    ['*/*', { Accept: '*/*' }],
    ['$format=xml', {}, '?$format=xml'],
  ])('is XML for %s', async (_name, headers, query = '') => {
    const res = await get(`/odata/$metadata${query}`, headers);
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
  });

  it.each([
    ['$format=json', '?$format=json', {}],
    ['Accept: application/json', '', { Accept: 'application/json' }],
  ])('is CSDL JSON for %s', async (_name, query, headers) => {
    const res = await get(`/odata/$metadata${query}`, headers);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.$EntityContainer).toBe('Taskfeed.Container');
    expect(res.body.Taskfeed.Analytic.$Key).toEqual(['id']);
  });

  it('406 for a format it cannot produce', async () => {
    expect((await get('/odata/$metadata?$format=atom')).status).toBe(406);
    expect((await get('/odata/$metadata', { Accept: 'text/html' })).status).toBe(406);
  });
});
