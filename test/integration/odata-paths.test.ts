// Resource paths and option names: key access, /Property, /$value, navigation from a key, option spelling, the /v2.3 prefix.
import request from 'supertest';
import { SERVICE, useReadApp } from '../helpers/read-app';

const fixture = useReadApp();
const get = fixture.get;

describe('key access', () => {
  it.each([
    ["/odata/Analytics('a1')", 'a1'],
    ["/odata/Analytics(id='a1')", 'a1'],
    ["/odata/Analytics(%27a1%27)", 'a1'],
    ["/odata/Sessions('p1:s1')", 'p1:s1'],
  ])('%s → one entity', async (url, id) => {
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe(`${SERVICE}/$metadata#${url.split('/')[2]?.replace(/\(.*$/, '')}/$entity`);
    expect(res.body.id).toBe(id);
    expect(res.body.value).toBeUndefined();
  });

  it('refuses a key alias whose value is not a literal', async () => {
    expect((await get('/odata/Analytics(@k)?@k=intent')).status).toBe(400);
  });

  it('returns every property, nulls written explicitly', async () => {
    const res = await get("/odata/Analytics('a3')");
    expect(res.body).toMatchObject({ id: 'a3', intent: null, intentScore: null, understood: false, custom1: 'vip', executionTime: 45 });
    expect(Object.keys(res.body)).toContain('ratingComment');
  });

  it('honours $select with the projection in the context URL', async () => {
    const res = await get("/odata/Analytics('a1')?$select=id,intent");
    expect(res.body).toEqual({ '@odata.context': `${SERVICE}/$metadata#Analytics(id,intent)/$entity`, id: 'a1', intent: 'order.food' });
  });

  it.each([
    ["/odata/ContactProfiles(projectId='p1',contactId='c1')", { contactId: 'c1', firstname: 'Ada' }],
    ["/odata/ContactProfiles(contactId='c1',projectId='p1')", { contactId: 'c1', firstname: 'Ada' }],
    ["/odata/ContactProfiles(projectId='p2',contactId='c3')", { contactId: 'c3', firstname: 'Cy' }],
    ["/odata/LiveAgentEscalations(projectId='p1',id='h1')", { id: 'h1', status: 'resolved' }],
    ["/odata/ContactTasks(projectId='p1',contactId='c1',task='Account Registration')", { task: 'Account Registration', count: 1 }],
  ])('composite key %s', async (url, expected) => {
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(expected);
  });

  it('accepts a key value given as a parameter alias', async () => {
    const res = await get("/odata/Analytics(id=@k)?@k='a2'&$select=id");
    expect(res.body).toMatchObject({ id: 'a2' });
  });

  it('decodes percent-encoded key characters', async () => {
    const res = await get("/odata/Sessions('p1%3As2')?$select=id");
    expect(res.body).toMatchObject({ id: 'p1:s2' });
  });

  it.each([
    ["/odata/Analytics('zz')", 404],
    ["/odata/Analytics('A1')", 404],
    ["/odata/ContactProfiles(projectId='p1',contactId='c3')", 404],
    ["/odata/ContactProfiles('c1')", 400],
    ["/odata/ContactProfiles(projectId='p1')", 400],
    ["/odata/ContactProfiles(projectId='p1',nope='c1')", 400],
    ['/odata/Analytics(1)', 400],
    ["/odata/Analytics('a1')/$count", 400],
  ])('%s → %i', async (url, status) => {
    const res = await get(url);
    expect({ status: res.status, hasCode: typeof res.body.error?.code === 'string' }).toEqual({ status, hasCode: true });
  });
});

describe('/Property and /Property/$value', () => {
  it.each([
    ["/odata/Analytics('a1')/intent", "Analytics('a1')/intent", 'order.food'],
    ["/odata/Analytics('a1')/executionTime", "Analytics('a1')/executionTime", 120],
    ["/odata/Analytics('a2')/timestamp", "Analytics('a2')/timestamp", '2024-01-15T09:01:00.123456Z'],
    ["/odata/Analytics('a3')/understood", "Analytics('a3')/understood", false],
    ["/odata/ContactProfiles(projectId='p1',contactId='c1')/lastname", "ContactProfiles(projectId='p1',contactId='c1')/lastname", "O'Brien"],
  ])('%s', async (url, context, value) => {
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ '@odata.context': `${SERVICE}/$metadata#${context}`, value });
  });

  it.each([
    ["/odata/Analytics('a1')/intent/$value", 'order.food'],
    ["/odata/Analytics('a1')/executionTime/$value", '120'],
    ["/odata/Analytics('a1')/intentScore/$value", '0.91'],
    ["/odata/Analytics('a1')/timestamp/$value", '2024-01-15T09:00:10Z'],
    ["/odata/Analytics('a1')/understood/$value", 'true'],
    ["/odata/Analytics('a2')/inputText/$value", 'Sign me up: 100% sure_'],
    ["/odata/ContactProfiles(projectId='p1',contactId='c1')/firstname/$value", 'Ada'],
  ])('%s → text/plain', async (url, text) => {
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe(text);
  });

  it.each([["/odata/Analytics('a3')/intent"], ["/odata/Analytics('a3')/intent/$value"], ["/odata/ContactProfiles(projectId='p1',contactId='c2')/lastname"]])(
    'a null value %s → 204 No Content',
    async (url) => {
      const res = await get(url);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
    },
  );

  it.each([
    ["/odata/Analytics('zz')/intent", 404],
    ["/odata/Analytics('zz')/intent/$value", 404],
    ["/odata/Analytics('a1')/nope", 400],
    ["/odata/Analytics('a1')/intent/nope", 400],
    ["/odata/Analytics('a1')/intent/$count", 400],
    ['/odata/Analytics/intent', 400],
  ])('%s → %i', async (url, status) => {
    expect((await get(url)).status).toBe(status);
  });
});

describe('navigation from a key', () => {
  it('collection-valued: the related entities, queryable', async () => {
    const res = await get("/odata/Sessions('p1:s1')/analytics?$select=id,intent&$filter=intent ne null&$orderby=timestamp desc&$count=true");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      '@odata.context': `${SERVICE}/$metadata#Analytics(id,intent)`,
      '@odata.count': 2,
      value: [
        { id: 'a2', intent: 'account.register' },
        { id: 'a1', intent: 'order.food' },
      ],
    });
  });

  it.each([
    ["/odata/Sessions('p1:s1')/analytics/$count", '3'],
    ["/odata/Sessions('p1:s2')/completedTasks/$count", '1'],
    ["/odata/ContactProfiles(projectId='p1',contactId='c1')/tasks/$count", '2'],
    ["/odata/Sessions('p2:s3')/escalations/$count", '0'],
  ])('%s → %s', async (url, text) => {
    const res = await get(url);
    expect({ status: res.status, text: res.text }).toEqual({ status: 200, text });
  });

  it('single-valued: the related entity', async () => {
    const res = await get("/odata/Analytics('a4')/session?$select=id,channel");
    expect(res.body).toEqual({ '@odata.context': `${SERVICE}/$metadata#Sessions(id,channel)/$entity`, id: 'p1:s2', channel: 'voice' });
  });

  it('a property of a related entity', async () => {
    const res = await get("/odata/Analytics('a4')/session/channel/$value");
    expect({ status: res.status, text: res.text }).toEqual({ status: 200, text: 'voice' });
  });

  it('a key inside the related collection', async () => {
    const res = await get("/odata/Sessions('p1:s1')/analytics('a2')?$select=id");
    expect(res.body).toMatchObject({ id: 'a2' });
  });

  it('two navigation steps', async () => {
    const res = await get("/odata/Analytics('a2')/session/completedTasks?$select=id&$orderby=id");
    expect(res.body.value).toEqual([{ id: 't1' }, { id: 't2' }]);
  });

  it.each([
    // a4 belongs to session s2, not s1.
    ["/odata/Sessions('p1:s1')/analytics('a4')", 404],
    // The addressed entity does not exist: a navigation from it is a missing resource, not an empty collection.
    ["/odata/Sessions('nope')/analytics", 404],
    ["/odata/Sessions('nope')/analytics/$count", 404],
    ["/odata/Analytics('zz')/session", 404],
    ['/odata/Sessions/analytics', 400],
    ["/odata/Sessions('p1:s1')/nope", 400],
    ["/odata/Analytics('a1')/session('p1:s1')", 400],
  ])('%s → %i', async (url, status) => {
    expect((await get(url)).status).toBe(status);
  });
});

describe('query option names', () => {
  it.each([
    ["$filter=intent eq 'greeting'&$select=id"],
    ["filter=intent eq 'greeting'&select=id"],
    ["$FILTER=intent eq 'greeting'&$Select=id"],
    ["Filter=intent eq 'greeting'&SELECT=id"],
    ["%24filter=intent eq 'greeting'&%24select=id"],
    ["%24FiLtEr=intent eq 'greeting'&%24SELECT=id"],
    ["$filter=intent eq 'greeting'&$select=id&apikey2=ignored&foo=bar"],
    ["$filter=intent%20eq%20%27greeting%27&$select=id"],
  ])('%s', async (query) => {
    const res = await get(`/odata/Analytics?${query}`);
    expect({ status: res.status, value: res.body.value }).toEqual({ status: 200, value: [{ id: 'a5' }] });
  });

  it.each([['$top=1&$orderby=id&$select=id'], ['top=1&orderby=id&select=id'], ['TOP=1&OrderBy=id&%24Select=id']])('%s', async (query) => {
    const res = await get(`/odata/Analytics?${query}`);
    expect(res.body.value).toEqual([{ id: 'a1' }]);
  });

  it('ignores the apikey custom option when it carries the key', async () => {
    const res = await request(fixture.t.app).get("/odata/Analytics?apikey=test-read-key&$filter=id%20eq%20'a1'&$select=id");
    expect(res.body.value).toEqual([{ id: 'a1' }]);
  });

  it.each([
    ['$foo=1', 'ODATA_PARSE_UNKNOWN_OPTION'],
    ['$Levels=2', 'ODATA_PARSE_UNKNOWN_OPTION'],
    ['%24foo=1', 'ODATA_PARSE_UNKNOWN_OPTION'],
    ['$top=1&$TOP=2', 'ODATA_PARSE_DUPLICATE_OPTION'],
    ['$top=1&top=2', 'ODATA_PARSE_DUPLICATE_OPTION'],
    ['$filter', 'ODATA_PARSE_OPTION_VALUE'],
  ])('%s → 400 %s', async (query, code) => {
    const res = await get(`/odata/Analytics?${query}`);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code });
  });
});

describe('the service root', () => {
  it.each([['/odata'], ['/odata/']])('%s is the service document', async (url) => {
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe(`${SERVICE}/$metadata`);
    expect(res.body.value).toHaveLength(15);
  });
});

describe('the /v2.3 prefix (Cognigy key name _id)', () => {
  it('selects and filters by _id', async () => {
    const res = await get("/v2.3/Analytics?$select=_id&$filter=_id in ('a1','a2')&$orderby=_id");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ '@odata.context': 'http://taskfeed.test/v2.3/$metadata#Analytics(_id)', value: [{ _id: 'a1' }, { _id: 'a2' }] });
  });

  it('addresses an entity by key and writes _id, not id', async () => {
    const res = await get("/v2.3/Analytics('a1')");
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/v2.3/$metadata#Analytics/$entity');
    expect(res.body._id).toBe('a1');
    expect(res.body).not.toHaveProperty('id');
  });

  it('navigates and expands with _id', async () => {
    const nav = await get("/v2.3/Sessions('p1:s2')/analytics?$select=_id");
    expect(nav.body.value).toEqual([{ _id: 'a4' }]);
    const expand = await get("/v2.3/Analytics?$select=_id&$filter=_id eq 'a4'&$expand=session($select=_id)");
    expect(expand.body.value).toEqual([{ _id: 'a4', session: { _id: 'p1:s2' } }]);
  });

  it("declares _id as the key in its $metadata and rejects v2.4's id", async () => {
    const metadata = await get('/v2.3/$metadata');
    expect(metadata.text).toContain('<PropertyRef Name="_id"/>');
    expect(metadata.text).not.toContain('<PropertyRef Name="id"/>');
    const res = await get('/v2.3/Analytics?$select=id');
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'ODATA_MODEL_UNKNOWN_PROPERTY' });
  });

  it('serves the service document with its own context URL, with or without the trailing slash', async () => {
    const bare = await get('/v2.3');
    expect(bare.body['@odata.context']).toBe('http://taskfeed.test/v2.3/$metadata');
    const res = await get('/v2.3/');
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/v2.3/$metadata');
    expect(res.body.value).toContainEqual({ name: 'Analytics', kind: 'EntitySet', url: 'Analytics' });
  });
});
