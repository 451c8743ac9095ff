// Read keys: where the key may come from, which keys are refused, project isolation on every entity set, keys in next links.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { taskfeedModel } from '../../src/model/entity-model';
import { loadReadFixture } from '../helpers/fixtures';
import { createTestApp, P1_KEY, READ_KEY, WRITE_KEY, type TestApp } from '../helpers/test-app';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { ODATA_PAGE_SIZE: '2' } });
  await loadReadFixture(t.database.db);
  await t.database.db.exec(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'odata-isolation.sql'), 'utf8'));
});

afterAll(() => t.close());

function encode(url: string): string {
  return url.replace(/ /g, '%20');
}

function local(link: string): string {
  return link.replace(/^https?:\/\/[^/]+/, '');
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

type Row = Record<string, unknown>;

/** Every row of a collection, following next links with the same key. */
async function pullAll(url: string, key: string): Promise<{ status: number; rows: Row[]; count?: unknown; body?: unknown }> {
  const rows: Row[] = [];
  let next: string | undefined = encode(url);
  let count: unknown;
  while (next !== undefined) {
    const res: request.Response = await request(t.app).get(next).set('x-api-key', key);
    if (res.status !== 200) return { status: res.status, rows, body: res.body };
    rows.push(...(res.body.value as Row[]));
    count ??= res.body['@odata.count'];
    next = res.body['@odata.nextLink'] === undefined ? undefined : local(res.body['@odata.nextLink'] as string);
  }
  return { status: 200, rows, count };
}

describe('where the key may come from', () => {
  it.each([
    ['apikey query parameter (Cognigy, Power BI "Web API" key)', `/odata/Analytics?apikey=${READ_KEY}&$select=id&$top=1`, {}],
    ['X-Api-Key header', '/odata/Analytics?$select=id&$top=1', { 'X-Api-Key': READ_KEY }],
    ['apikey header (Cognigy)', '/odata/Analytics?$select=id&$top=1', { apikey: READ_KEY }],
    ['Basic with any user name', '/odata/Analytics?$select=id&$top=1', { Authorization: basic('anyone', READ_KEY) }],
    ['Basic with an empty user name', '/odata/Analytics?$select=id&$top=1', { Authorization: basic('', READ_KEY) }],
    ['Bearer', '/odata/Analytics?$select=id&$top=1', { Authorization: `Bearer ${READ_KEY}` }],
    ['bearer, lower case scheme', '/odata/Analytics?$select=id&$top=1', { Authorization: `bearer ${READ_KEY}` }],
  ])('%s', async (_name, url, headers) => {
    const req = request(t.app).get(url);
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    const res = await req;
    expect(res.status).toBe(200);
    expect(res.body.value).toEqual([{ id: 'a1' }]);
  });

  it.each([
    ['apikey query parameter', `/odata/Analytics?apikey=${WRITE_KEY}`, {}],
    ['X-Api-Key header', '/odata/Analytics', { 'X-Api-Key': WRITE_KEY }],
    ['Basic', '/odata/Analytics', { Authorization: basic('u', WRITE_KEY) }],
    ['Bearer', '/odata/Analytics', { Authorization: `Bearer ${WRITE_KEY}` }],
    ['the $metadata document', '/odata/$metadata', { 'X-Api-Key': WRITE_KEY }],
  ])('a write key is not a read key: %s → 401', async (_name, url, headers) => {
    const req = request(t.app).get(url);
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    const res = await req;
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBeDefined();
  });

  it.each([
    ['no key', '/odata/Analytics', {}],
    ['a wrong key', '/odata/Analytics', { 'X-Api-Key': 'nope' }],
    ['a wrong apikey parameter', '/odata/Analytics?apikey=nope', {}],
    ['a key with a suffix', '/odata/Analytics', { 'X-Api-Key': `${READ_KEY}x` }],
    ['a key prefix', '/odata/Analytics', { 'X-Api-Key': READ_KEY.slice(0, -1) }],
    ['Basic with the key as user name', '/odata/Analytics', { Authorization: basic(READ_KEY, '') }],
    ['an empty Bearer token', '/odata/Analytics', { Authorization: 'Bearer ' }],
    ['the service document', '/odata/', {}],
    ['$metadata', '/odata/$metadata', {}],
    ['/v2.3', '/v2.3/Analytics', {}],
  ])('%s → 401 with WWW-Authenticate', async (_name, url, headers) => {
    const req = request(t.app).get(url);
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    const res = await req;
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/Basic realm=/);
    expect(res.text).not.toContain(READ_KEY);
  });
});

describe('keys in next links', () => {
  it('carry the apikey when it came in the URL, so the next page works without headers', async () => {
    const res = await request(t.app).get(`/odata/Analytics?$select=id&apikey=${READ_KEY}`);
    const link = res.body['@odata.nextLink'] as string;
    expect(link).toContain(`apikey=${READ_KEY}`);
    const ids: string[] = res.body.value.map((r: { id: string }) => r.id);
    let next: string | undefined = local(link);
    while (next !== undefined) {
      const page = await request(t.app).get(next);
      expect(page.status).toBe(200);
      ids.push(...page.body.value.map((r: { id: string }) => r.id));
      next = page.body['@odata.nextLink'] === undefined ? undefined : local(page.body['@odata.nextLink'] as string);
    }
    expect(ids).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
  });

  it.each([
    ['X-Api-Key', { 'X-Api-Key': READ_KEY }],
    ['apikey header', { apikey: READ_KEY }],
    ['Basic', { Authorization: basic('powerbi', READ_KEY) }],
    ['Bearer', { Authorization: `Bearer ${READ_KEY}` }],
  ])('never carry a key that came in the %s header', async (_name, headers) => {
    const req = request(t.app).get('/odata/Analytics?$select=id');
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    const res = await req;
    const link = res.body['@odata.nextLink'] as string;
    expect(link).toBeDefined();
    expect(link).not.toContain(READ_KEY);
    expect(link).not.toContain(Buffer.from(`powerbi:${READ_KEY}`).toString('base64'));
    expect(link.toLowerCase()).not.toContain('apikey');
  });

  it('a p1 key in the URL keeps reading p1 only on later pages', async () => {
    const ids: string[] = [];
    let next: string | undefined = `/odata/Analytics?$select=id,projectId&apikey=${P1_KEY}`;
    while (next !== undefined) {
      const page = await request(t.app).get(next);
      ids.push(...page.body.value.map((r: { id: string; projectId: string }) => `${r.projectId}/${r.id}`));
      next = page.body['@odata.nextLink'] === undefined ? undefined : local(page.body['@odata.nextLink'] as string);
    }
    expect(ids).toEqual(['p1/a1', 'p1/a2', 'p1/a3', 'p1/a4']);
  });
});

// A p2 entity of every set, addressed by key.
const P2_KEYS: Record<string, string> = {
  Analytics: "('a5')",
  Conversations: "('m3')",
  Steps: "('p2:n1')",
  ExecutedSteps: "('x4')",
  Sessions: "('p2:s3')",
  LiveAgentEscalations: "(projectId='p2',id='h1')",
  ContactProfiles: "(projectId='p2',contactId='c3')",
  ContactTasks: "(projectId='p2',contactId='c3',task='Order Placement')",
  CompletedTasks: "('t4')",
  Goals: "(projectId='p2',goalId='g1')",
  GoalSteps: "(version='22222222-2222-4222-8222-222222222222',goalStepId='start')",
  GoalStepMetrics: "(version='22222222-2222-4222-8222-222222222222',goalStepMetricId='m1')",
  GoalEvents: "('ge2:start')",
  GoalCycles: "('gc2')",
  ContactGoals: "(projectId='p2',contactId='c3',goalId='g1')",
};

const SETS = taskfeedModel.entitySets.map((s) => s.name);

describe('a key for project p1 never sees a p2 row', () => {
  it('covers every entity set of the model', () => {
    expect(Object.keys(P2_KEYS).sort()).toEqual([...SETS].sort());
  });

  it.each(SETS)('%s: plain read, across pages', async (set) => {
    const all = await pullAll(`/odata/${set}`, READ_KEY);
    const p1 = await pullAll(`/odata/${set}`, P1_KEY);
    expect(all.rows.some((r) => r.projectId === 'p2')).toBe(true);
    expect(p1.status).toBe(200);
    expect(p1.rows).toEqual(all.rows.filter((r) => r.projectId === 'p1'));
  });

  it.each(SETS)("%s: $filter=projectId eq 'p2', $search and $count=true", async (set) => {
    expect((await pullAll(`/odata/${set}?$filter=projectId eq 'p2'`, P1_KEY)).rows).toEqual([]);
    expect((await pullAll(`/odata/${set}?$filter=projectId ne 'p1'`, P1_KEY)).rows).toEqual([]);
    const all = await pullAll(`/odata/${set}?$count=true`, READ_KEY);
    const p1 = await pullAll(`/odata/${set}?$count=true`, P1_KEY);
    expect(p1.count).toBe(all.rows.filter((r) => r.projectId === 'p1').length);
  });

  it.each(SETS)('%s: /$count', async (set) => {
    const all = await pullAll(`/odata/${set}`, READ_KEY);
    const res = await request(t.app).get(encode(`/odata/${set}/$count`)).set('x-api-key', P1_KEY);
    expect(res.text).toBe(String(all.rows.filter((r) => r.projectId === 'p1').length));
    const none = await request(t.app).get(encode(`/odata/${set}/$count?$filter=projectId eq 'p2'`)).set('x-api-key', P1_KEY);
    expect(none.text).toBe('0');
  });

  it.each(SETS)('%s: key access to a p2 entity → 404 (and 200 with an all-projects key)', async (set) => {
    const url = encode(`/odata/${set}${P2_KEYS[set]}`);
    expect((await request(t.app).get(url).set('x-api-key', READ_KEY)).status).toBe(200);
    const res = await request(t.app).get(url).set('x-api-key', P1_KEY);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('"p2"');
    const property = await request(t.app).get(`${url}/projectId/$value`).set('x-api-key', P1_KEY);
    expect(property.status).toBe(404);
  });

  it.each(SETS.flatMap((set) => (taskfeedModel.entitySets.find((s) => s.name === set)?.navigations ?? []).map((n) => [set, n.name, n.collection] as const)))(
    '%s/%s: $expand from p1 parents, navigation from a p2 key, and lambdas',
    async (set, nav, collection) => {
      const expanded = await pullAll(`/odata/${set}?$expand=${nav}`, P1_KEY);
      expect(expanded.status).toBe(200);
      const related = expanded.rows.flatMap((r) => {
        const v = r[nav];
        return Array.isArray(v) ? (v as Row[]) : v === null || v === undefined ? [] : [v as Row];
      });
      expect(related.filter((r) => r.projectId !== 'p1')).toEqual([]);

      const fromP2 = await request(t.app).get(encode(`/odata/${set}${P2_KEYS[set]}/${nav}`)).set('x-api-key', P1_KEY);
      expect(fromP2.status === 404 || (fromP2.status === 200 && Array.isArray(fromP2.body.value) && fromP2.body.value.length === 0)).toBe(true);
      expect(fromP2.text).not.toContain('"p2"');

      const filter = collection ? `${nav}/any(x: x/projectId eq 'p2')` : `${nav}/projectId eq 'p2'`;
      expect((await pullAll(`/odata/${set}?$filter=${filter}`, P1_KEY)).rows).toEqual([]);
    },
  );

  it('the /v2.3 prefix is restricted the same way', async () => {
    const res = await request(t.app).get('/v2.3/Analytics?$select=_id,projectId&$top=10').set('x-api-key', P1_KEY).set('Prefer', 'odata.maxpagesize=10');
    expect(res.body.value.map((r: { projectId: string }) => r.projectId)).toEqual(['p1', 'p1', 'p1', 'p1']);
    expect((await request(t.app).get("/v2.3/Analytics('a5')").set('x-api-key', P1_KEY)).status).toBe(404);
  });

  it('a p1 key reaches p1 data through every path', async () => {
    expect((await request(t.app).get("/odata/Analytics('a1')").set('x-api-key', P1_KEY)).status).toBe(200);
    const nav = await request(t.app).get("/odata/Sessions('p1:s1')/analytics/$count").set('x-api-key', P1_KEY);
    expect(nav.text).toBe('3');
  });
});
