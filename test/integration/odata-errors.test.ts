// Client errors → OData error JSON {error:{code,message}} with the right status; never a stack trace, SQL text or a 500.
import request from 'supertest';
import { READ_KEY } from '../helpers/test-app';
import { useReadApp } from '../helpers/read-app';

const fixture = useReadApp();
const get = fixture.get;

/** The error body carries no stack frame, source location or SQL ("at position N" is the parser's own wording). */
function expectCleanErrorBody(res: { status: number; text: string; body: unknown; headers: Record<string, unknown> }): void {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
  const { error } = res.body as { error: { code: string; message: string } };
  expect(error.code.length).toBeGreaterThan(0);
  expect(error.message.length).toBeGreaterThan(0);
  const text = res.text.replace(/ at position \d+/g, '');
  expect(text).not.toContain('SELECT');
  expect(text).not.toMatch(/\bFROM "|\bWHERE\b|\$\d+::/);
  expect(text).not.toContain(' at ');
  expect(text).not.toContain('.ts:');
  expect(text).not.toContain('.js:');
  expect(text).not.toContain('node_modules');
}

describe('400: syntax and semantics', () => {
  it.each([
    ["$filter=intent eq 'x' and", 'ODATA_PARSE_SYNTAX', /position 17/],
    ["$filter=intent eq 'x", 'ODATA_PARSE_SYNTAX', /position 10/],
    ['$filter=(intent eq null', 'ODATA_PARSE_SYNTAX', /position \d+/],
    ['$filter=intent eq', 'ODATA_PARSE_SYNTAX', /position 9/],
    ['$filter=intent eq 1 eq', 'ODATA_PARSE_SYNTAX', /position \d+/],
    ['$orderby=id,', 'ODATA_PARSE_SYNTAX', /position 3/],
    ['$select=id id', 'ODATA_PARSE_SYNTAX', /position \d+/],
    ['$expand=session(', 'ODATA_PARSE_SYNTAX', /position \d+/],
    ['$filter=timestamp gt 2024-13-01T00:00:00Z', 'ODATA_PARSE_SYNTAX', /position 13/],
    ['$search=(pizza', 'ODATA_PARSE_SYNTAX', /position \d+/],
  ])('%s → %s, message with the position', async (query, code, position) => {
    const res = await get(`/odata/Analytics?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toMatch(position);
    expectCleanErrorBody(res);
  });

  it.each([
    ['$filter=nope eq 1', 'ODATA_MODEL_UNKNOWN_PROPERTY', 'nope'],
    ['$select=id,nope', 'ODATA_MODEL_UNKNOWN_PROPERTY', 'nope'],
    ['$orderby=nope', 'ODATA_MODEL_UNKNOWN_PROPERTY', 'nope'],
    ["$filter=session/nope eq 'x'", 'ODATA_MODEL_UNKNOWN_PROPERTY', 'nope'],
    ['$filter=Intent eq null', 'ODATA_MODEL_UNKNOWN_PROPERTY', 'Intent'],
  ])('%s → %s naming the property', async (query, code, target) => {
    const res = await get(`/odata/Analytics?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toContain(`'${target}'`);
    expectCleanErrorBody(res);
  });

  it.each([
    ['$filter=intent eq 1'],
    ['$filter=executionTime eq \'abc\''],
    ['$filter=timestamp gt 5'],
    ["$filter=contains(executionTime,'1')"],
    ['$filter=understood gt true'],
    ['$filter=intent add 1 eq 2'],
    ['$filter=executionTime'],
    ["$filter=intent in (1, 2)"],
    ['$filter=not intent'],
  ])('%s → 400 ODATA_MODEL_TYPE_MISMATCH', async (query) => {
    const res = await get(`/odata/Analytics?${query}`);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'ODATA_MODEL_TYPE_MISMATCH' });
    expectCleanErrorBody(res);
  });

  it.each([
    ["$filter=contains(inputText)"],
    ["$filter=substring(inputText,1,2,3) eq 'x'"],
    ['$count=maybe'],
    ['$top=-1'],
    ['$skiptoken=%%%'],
    ['$foo=1'],
    ['$top=1&$top=2'],
  ])('%s → 400', async (query) => {
    const res = await get(`/odata/Analytics?${query}`);
    expect(res.status).toBe(400);
    expectCleanErrorBody(res);
  });

  it.each([
    ["$filter=cast(inputText,Edm.Int32) eq 1", 'a value the database cannot cast'],
    ['$filter=executionTime div 0 eq 1', 'a division by zero'],
    ['$filter=executionTime mod 0 eq 1', 'a modulo by zero'],
    ["$filter=matchesPattern(inputText,'(')", 'an invalid regular expression'],
    ["$filter=intent eq 'a%00b'", 'a NUL character in a string'],
  ])('%s (%s) → 4xx, not 500', async (query) => {
    const res = await get(`/odata/Analytics?${query}`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expectCleanErrorBody(res);
  });
});

describe('404', () => {
  it.each([
    ['/odata/Nope', 'ODATA_MODEL_UNKNOWN_ENTITY_SET'],
    ['/odata/analytics', 'ODATA_MODEL_UNKNOWN_ENTITY_SET'],
    ['/odata/Nope/$count', 'ODATA_MODEL_UNKNOWN_ENTITY_SET'],
    ["/odata/Analytics('zz')", 'ODATA_MODEL_NOT_FOUND'],
    ["/odata/Analytics('zz')/intent", 'ODATA_MODEL_NOT_FOUND'],
    ["/odata/ContactProfiles(projectId='p1',contactId='zz')", 'ODATA_MODEL_NOT_FOUND'],
    ["/odata/Sessions('zz')/analytics", 'ODATA_MODEL_NOT_FOUND'],
  ])('%s → 404 %s', async (url, code) => {
    const res = await get(url);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 404, code });
    expectCleanErrorBody(res);
  });

  it('an unknown route outside the service → 404 JSON', async () => {
    const res = await get('/nothing-here');
    expect(res.status).toBe(404);
    expectCleanErrorBody(res);
  });
});

describe('405: the service is read-only', () => {
  it.each([
    ['post', '/odata/Analytics'],
    ['put', "/odata/Analytics('a1')"],
    ['patch', "/odata/Analytics('a1')"],
    ['delete', "/odata/Analytics('a1')"],
    ['post', '/v2.3/Analytics'],
    ['delete', '/odata/Analytics'],
  ] as const)('%s %s → 405 with Allow', async (method, url) => {
    const res = await request(fixture.t.app)[method](url).set('x-api-key', READ_KEY).send({ id: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toMatch(/GET/);
    expect(res.body.error.code).toBe('METHOD_NOT_ALLOWED');
    expectCleanErrorBody(res);
  });

  it('a write does not change the data', async () => {
    await request(fixture.t.app).delete("/odata/Analytics('a1')").set('x-api-key', READ_KEY);
    expect((await get("/odata/Analytics('a1')")).status).toBe(200);
  });
});

describe('406', () => {
  it.each([['/odata/Analytics?$format=xml'], ["/odata/Analytics('a1')?$format=xml"], ['/odata/?$format=xml']])('%s → 406', async (url) => {
    const res = await get(url);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 406, code: 'NOT_ACCEPTABLE' });
    expectCleanErrorBody(res);
  });
});

describe('501: valid OData this service does not implement', () => {
  it.each([
    ['GET $batch', 'get', '/odata/$batch'],
    ['POST $batch', 'post', '/odata/$batch'],
    ['$ref on a path', 'get', "/odata/Analytics('a1')/session/$ref"],
    ['$expand with $ref', 'get', '/odata/Sessions?$expand=analytics/$ref'],
    ['$entity', 'get', "/odata/$entity?$id=Analytics('a1')"],
    ['$crossjoin', 'get', '/odata/$crossjoin(Analytics,Sessions)'],
    ['has with an enum literal', 'get', "/odata/Analytics?$filter=intent has Taskfeed.Color'Red'"],
    ['an enum literal', 'get', "/odata/Analytics?$filter=intent eq Taskfeed.Color'Red'"],
    ['a geography literal', 'get', "/odata/Analytics?$filter=ip eq geography'SRID=4326;Point(1 2)'"],
    ['a geo function', 'get', "/odata/Analytics?$filter=geo.distance(ip,geography'SRID=4326;Point(1 2)') lt 5"],
    ['a geometry literal', 'get', "/odata/Analytics?$filter=ip eq geometry'SRID=0;Point(1 2)'"],
    ['an unknown function', 'get', '/odata/Analytics?$filter=frobnicate(intent)'],
    ['case()', 'get', "/odata/Analytics?$filter=case(intent eq null:1,true:0) eq 1"],
    ['$levels', 'get', '/odata/Sessions?$expand=analytics($levels=2)'],
    ['a bound function in the path', 'get', '/odata/Analytics/Taskfeed.Top()'],
  ] as const)('%s → 501', async (_name, method, url) => {
    const res = await request(fixture.t.app)[method](url.replace(/ /g, '%20')).set('x-api-key', READ_KEY);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 501, code: 'ODATA_NOT_IMPLEMENTED' });
    expectCleanErrorBody(res);
  });
});

describe('401', () => {
  it.each([
    ['no key', {}],
    ['a wrong key', { 'x-api-key': 'wrong' }],
    ['an empty key', { 'x-api-key': '' }],
  ])('%s → 401 with WWW-Authenticate', async (_name, headers) => {
    const req = request(fixture.t.app).get('/odata/Analytics');
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    const res = await req;
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect(res.body.error.code).toBe('AUTH_REQUIRED');
    expectCleanErrorBody(res);
  });
});

describe('an error once rows are streamed', () => {
  beforeAll(async () => {
    // Enough rows that the failing one comes after the first batches have been sent (PostgreSQL streams through a cursor).
    await fixture.t.database.db.exec(`
      INSERT INTO analytics (id, project_id, input_id, session_id, contact_id, execution_time, occurred_at)
      SELECT 'b' || lpad(i::text, 5, '0'), 'p1', 'b' || i, 's9', 'c9', i, timestamptz '2024-02-01T00:00:00Z' + i * interval '1 second'
      FROM generate_series(1, 30000) AS i;
      ANALYZE analytics;`);
  });

  afterAll(async () => {
    await fixture.t.database.db.exec("DELETE FROM analytics WHERE session_id = 's9'");
  });

  it('is a 4xx before the first row, otherwise a cut (malformed) body, never a complete 200 payload', async () => {
    const url = "/odata/Analytics?$compute=100%20div%20(executionTime%20sub%201200)%20as%20x&$select=id,x";
    let outcome: string;
    try {
      const res = await request(fixture.t.app).get(url).set('x-api-key', READ_KEY).set('Prefer', 'odata.maxpagesize=5000');
      if (res.status === 200) {
        let complete = true;
        try {
          JSON.parse(res.text);
        } catch {
          complete = false;
        }
        outcome = complete ? 'a complete 200 payload' : 'cut';
      } else {
        expect(res.status).toBe(400);
        expectCleanErrorBody(res);
        outcome = 'error';
      }
    } catch {
      outcome = 'cut';
    }
    expect(['error', 'cut']).toContain(outcome);
  });
});

describe('never a 500 for client input', () => {
  const urls = [
    "/odata/Analytics?$filter=intent eq 'x' or",
    '/odata/Analytics?$filter=)',
    '/odata/Analytics?$filter=intent eq @p&@p=',
    '/odata/Analytics?$filter=intent eq @p&@p=)',
    '/odata/Analytics?$filter=@p&@p=@p',
    '/odata/Analytics?$filter=$it',
    '/odata/Analytics?$filter=$root/Analytics/any()',
    '/odata/Analytics?$filter=$this eq null',
    '/odata/Analytics?$filter=session',
    '/odata/Analytics?$filter=session/analytics/any()',
    '/odata/Sessions?$filter=analytics',
    '/odata/Sessions?$filter=analytics/any(a: a)',
    '/odata/Sessions?$filter=analytics/any(a: b/intent eq null)',
    '/odata/Sessions?$filter=analytics/$count($search=x) gt 1',
    '/odata/Analytics?$orderby=session',
    '/odata/Analytics?$orderby=null',
    '/odata/Analytics?$select=session/channel',
    '/odata/Analytics?$select=*,*',
    '/odata/Analytics?$select=Taskfeed.*',
    '/odata/Analytics?$expand=*/$ref',
    '/odata/Analytics?$expand=$value',
    '/odata/Analytics?$compute=1 as x,2 as x',
    '/odata/Analytics?$compute=nope as x',
    '/odata/Analytics?$filter=intent eq 1e999',
    '/odata/Analytics?$filter=executionTime eq 99999999999999999999999999999999',
    '/odata/Analytics?$filter=executionTime eq -2147483649',
    '/odata/Analytics?$filter=executionTime add 2147483647 gt 0',
    '/odata/Analytics?$filter=intentScore eq INF',
    '/odata/Analytics?$filter=intentScore eq NaN',
    "/odata/Analytics?$filter=timestamp gt 0001-01-01T00:00:00Z",
    "/odata/Analytics?$filter=timestamp gt 9999-12-31T23:59:59.9999999Z",
    "/odata/Analytics?$filter=date(timestamp) eq 0000-01-01",
    "/odata/Analytics?$filter=substring(inputText,-5,2) eq 'x'",
    "/odata/Analytics?$filter=substring(inputText,2147483647,2147483647) eq 'x'",
    "/odata/Analytics?$filter=timestamp add duration'P1D' gt now()",
    "/odata/Analytics?$filter=timestamp sub duration'P99999999D' gt now()",
    '/odata/Analytics?$filter=timestamp sub timestamp eq duration\'PT0S\'',
    "/odata/Analytics?$filter=id eq 01234567-89ab-cdef-0123-456789abcdef",
    '/odata/Analytics?$filter=isof(Taskfeed.Analytic)',
    '/odata/Analytics?$filter=cast(intent,Taskfeed.Analytic) eq null',
    '/odata/Analytics?$filter=cast(intent,Edm.Geography) eq null',
    "/odata/Analytics?$filter=intent eq binary'AAEC'",
    '/odata/Analytics?$filter=[1,2] eq null',
    '/odata/Analytics?$filter={"a":1} eq null',
    '/odata/Analytics?$top=9007199254740991',
    '/odata/Analytics?$skip=9007199254740991',
    '/odata/Analytics?$skiptoken=eyJrIjpbeyJhIjoxfV19',
    `/odata/Analytics?$skiptoken=${Buffer.from('{"k":["not-a-date"]}').toString('base64url')}&$orderby=timestamp,id`,
    `/odata/Analytics?$skiptoken=${Buffer.from('{"k":["x","y"]}').toString('base64url')}&$orderby=executionTime`,
    `/odata/Analytics?$skiptoken=${Buffer.from('{"k":[1e308,"y"]}').toString('base64url')}&$orderby=executionTime`,
    '/odata/Analytics?$search=',
    '/odata/Analytics?$search=NOT',
    '/odata/Analytics?$search="unterminated',
    '/odata/Analytics?$apply=',
    '/odata/Analytics?$format=',
    '/odata/Analytics?$schemaversion=2',
    '/odata/Analytics?$deltatoken=abc',
    '/odata/Analytics?$index=1',
    '/odata/Analytics?$id=x',
    '/odata/Analytics()',
    "/odata/Analytics('a1')()",
    "/odata/Analytics('a1')('a2')",
    "/odata/Analytics(id='a1',id='a2')",
    '/odata/Analytics(id=)',
    '/odata/Analytics(@k)',
    '/odata/Analytics/$count/$count',
    '/odata/Analytics/$value',
    '/odata/$metadata/Analytics',
    '/odata/$metadata#Analytics',
    '/odata//Analytics',
    '/odata/Analytics/',
  ];

  it.each(urls)('%s', async (url) => {
    const res = await get(url);
    const serverError = res.status >= 500 && res.status !== 501;
    expect({ status: res.status, serverError, body: serverError ? res.text : undefined }).toMatchObject({ serverError: false });
    if (res.status >= 400) expectCleanErrorBody(res);
  });
});
