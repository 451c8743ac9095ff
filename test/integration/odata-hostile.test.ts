// Hostile input → 4xx and intact data: SQL injection attempts everywhere, deep nesting, huge or-chains, bad encodings, NUL bytes, long names.
import http from 'node:http';
import request from 'supertest';
import { loadReadFixture } from '../helpers/fixtures';
import { createTestApp, READ_KEY, type TestApp } from '../helpers/test-app';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
  await loadReadFixture(t.database.db);
});

afterAll(() => t.close());

function get(url: string, app: http.Server | TestApp['app'] = t.app) {
  return request(app).get(url.replace(/ /g, '%20')).set('x-api-key', READ_KEY);
}

/** Sends the request line byte for byte (the test client would percent-encode quotes and other characters). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(t.app).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      const req = http.request({ host: '127.0.0.1', port, path, headers: { 'x-api-key': READ_KEY } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          server.close();
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on('error', (err) => {
        server.close();
        reject(err);
      });
      req.end();
    });
  });
}

function expect4xx(status: number, body: string): void {
  expect({ status, clientError: status >= 400 && status < 500 }).toMatchObject({ clientError: true });
  expect(body.replace(/ at position \d+/g, '')).not.toMatch(/SELECT|\.ts:|\n\s+at /);
}

async function expectIntact(): Promise<void> {
  const res = await get('/odata/Analytics/$count');
  expect(res.text).toBe('5');
  const sessions = await get('/odata/Sessions/$count');
  expect(sessions.text).toBe('3');
}

describe('SQL injection attempts', () => {
  it.each([
    // In string literals: matched as plain text, so only the row whose data is that very text comes back.
    ["$filter=custom1 eq 'x'' or 1=1 --'", ['a1']],
    ["$filter=intent eq 'x'' or 1=1 --'", []],
    ["$filter=intent eq 'x'';DROP TABLE analytics;--'", []],
    ["$filter=intent eq 'x'' UNION SELECT id FROM sessions --'", []],
    ["$filter=contains(inputText,''' or ''1''=''1')", []],
    ["$filter=startswith(custom1,'x'' or')", ['a1']],
    ["$filter=intent in ('x'') or (''1''=''1')", []],
    ["$filter=intent eq '$$ or 1=1 $$'", []],
    // In aliases.
    ["$filter=intent eq @p&@p='x'' or ''1''=''1'", []],
    ["$filter=custom1 eq @p&@p='x'' or 1=1 --'", ['a1']],
    // In $search.
    ["$search=\"'; DROP TABLE analytics; --\"", []],
  ])('%s → 200 with exactly %j', async (query, expected) => {
    const res = await get(`/odata/Analytics?$select=id&${query}`);
    expect({ status: res.status, ids: res.status === 200 ? res.body.value.map((r: { id: string }) => r.id).sort() : res.body }).toEqual({
      status: 200,
      ids: expected,
    });
  });

  it.each([
    // In key values: no such entity.
    ["/odata/Analytics('a1'' or ''1''=''1')"],
    ["/odata/Analytics('a1''--')"],
    ["/odata/Analytics(id='x'' or id=''a1')"],
    ["/odata/ContactProfiles(projectId='p1'' or ''1''=''1',contactId='c1')"],
    ["/odata/Analytics('a1'')%3B%20DROP%20TABLE%20analytics%3B--')"],
  ])('%s → 404', async (url) => {
    const res = await get(url);
    expect(res.status).toBe(404);
    expect4xx(res.status, res.text);
  });

  it.each([
    // Quotes that end the literal early leave text the grammar rejects (OData strings have no backslash escape).
    ["/odata/Analytics?$filter=intent eq 'x%27%20or%20%271%27=%271'"],
    ["/odata/Analytics?$filter=intent eq '\\' or 1=1 --'"],
    ["/odata/Analytics?$filter=intent eq 'x'::text or true'"],
    ["/odata/Analytics?$search=x' OR '1'='1"],
    // In aliases that try to leave the literal.
    ['/odata/Analytics?$filter=intent eq @p&@p=1 or 1=1'],
    ["/odata/Analytics?$filter=intent eq @p&@p='x') or (1 eq 1"],
    ['/odata/Analytics?$filter=intent eq @p&@p=intent;DROP TABLE analytics'],
    // In property names.
    ["/odata/Analytics?$filter=intent;DROP TABLE analytics eq 'x'"],
    ["/odata/Analytics?$filter=\"intent\" eq 'x'"],
    ["/odata/Analytics?$filter=intent--x eq 'x'"],
    ["/odata/Analytics?$filter=intent/**/eq 'x'"],
    ["/odata/Analytics?$filter=t0.intent eq 'x'"],
    // In $orderby.
    ['/odata/Analytics?$orderby=id; DROP TABLE analytics'],
    ['/odata/Analytics?$orderby=id desc, (SELECT 1)'],
    ['/odata/Analytics?$orderby=id desc nulls first'],
    ['/odata/Analytics?$orderby=1; SELECT pg_sleep(10)'],
    ['/odata/Analytics?$orderby=intent collate "C"'],
    ['/odata/Analytics?$orderby="id"'],
    // In $select.
    ['/odata/Analytics?$select=id,(SELECT password FROM pg_shadow)'],
    ['/odata/Analytics?$select=id;DROP TABLE analytics'],
    ['/odata/Analytics?$select=*,pg_catalog.pg_tables'],
    ['/odata/Analytics?$select="id"'],
    ['/odata/Analytics?$select=id--'],
    // In $expand, $compute and the entity set name.
    ['/odata/Analytics?$expand=session($filter=1=1)'],
    ['/odata/Analytics?$expand=session;DROP TABLE sessions'],
    ["/odata/Analytics?$compute=intent as \"x\"\"; DROP TABLE analytics; --\""],
    ['/odata/Analytics;DROP TABLE analytics'],
    ['/odata/pg_catalog.pg_tables'],
    ['/odata/analytics%22%3B%20DROP%20TABLE%20analytics%3B--'],
  ])('%s → 4xx', async (url) => {
    const res = await get(url);
    expect4xx(res.status, res.text);
  });

  it.each([['/odata/Analytics?$filter=pg_sleep(10) eq null'], ['/odata/Analytics?$filter=version() eq null'], ['/odata/Analytics?$filter=pg_catalog.version() eq null']])(
    'a database function name %s is an unknown OData function → 501',
    async (url) => {
      const res = await get(url);
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 501, code: 'ODATA_NOT_IMPLEMENTED' });
    },
  );

  it('raw (unencoded) quotes reach the parser unchanged and are handled the same', async () => {
    const matched = await rawGet("/odata/Analytics?$select=id&$filter=custom1%20eq%20'x''%20or%201=1%20--'");
    expect(matched.status).toBe(200);
    expect(JSON.parse(matched.body).value).toEqual([{ id: 'a1' }]);
    const key = await rawGet("/odata/Analytics('a1'';--')");
    expect(key.status).toBe(404);
  });

  it('left every table intact', async () => {
    await expectIntact();
  });
});

describe('deep nesting and huge expressions', () => {
  it('5,000 nested parentheses → 400', async () => {
    const res = await get(`/odata/Analytics?$filter=${'('.repeat(5000)}true${')'.repeat(5000)}`);
    expect(res.status).toBe(400);
    expect4xx(res.status, res.text);
  });

  it.each([
    ['not', `${'not '.repeat(1000)}true`],
    ['negation', `${'-'.repeat(3000)}executionTime eq 1`],
    ['nested function calls', `${'tolower('.repeat(1000)}intent${')'.repeat(1000)} eq 'x'`],
    ['nested lambdas', `${'analytics/any(a: a/session/'.repeat(200)}id eq 'x'${')'.repeat(200)}`],
    ['nested $expand', `x&$expand=${'session($expand=analytics($expand='.repeat(200)}session${'))'.repeat(200)}`],
    ['a long left-nested arithmetic chain', `executionTime${' add 1'.repeat(1000)} gt 0`],
  ])('deeply nested %s → 400', async (_name, filter) => {
    const set = filter.includes('analytics/any') ? 'Sessions' : 'Analytics';
    const res = await get(`/odata/${set}?$filter=${filter}`);
    expect4xx(res.status, res.text);
    expect(res.status).toBe(400);
  });

  describe('with ODATA_MAX_NODES raised, large expressions of other shapes are still answered with 200 or 4xx', () => {
    let server: http.Server;
    beforeAll(async () => {
      const raised = await createTestApp({ env: { ODATA_MAX_NODES: '1000000', MAX_URL_LENGTH: '1000000' }, database: t.database });
      server = http.createServer({ maxHeaderSize: 1024 * 1024 }, raised.app);
    });

    it.each([
      ['a 5,000-term left-nested add chain', `$filter=executionTime${' add 1'.repeat(5000)} gt 0`],
      ['5,000 nested concat() calls', `$filter=${'concat('.repeat(5000)}intent${",'x')".repeat(5000)} eq 'y'`],
      ['a 3,000-item $orderby', `$orderby=${Array.from({ length: 3000 }, (_, i) => `executionTime add ${i}`).join(',')}`],
      ['a 3,000-item $compute', `$compute=${Array.from({ length: 3000 }, (_, i) => `executionTime add ${i} as c${i}`).join(',')}`],
    ])('%s', async (_name, query) => {
      const res = await get(`/odata/Analytics?$select=id&${query}`, server);
      expect({ status: res.status, serverError: res.status >= 500 }).toMatchObject({ serverError: false });
      if (res.status >= 400) expect4xx(res.status, res.text);
    });
  });

  describe('a 10,000-term or-chain', () => {
    const chain = Array.from({ length: 10000 }, (_, i) => `executionTime%20eq%20${i}`).join('%20or%20');

    it('works with ODATA_MAX_NODES and MAX_URL_LENGTH raised', async () => {
      const raised = await createTestApp({ env: { ODATA_MAX_NODES: '100000', MAX_URL_LENGTH: '1000000' }, database: t.database });
      const server = http.createServer({ maxHeaderSize: 1024 * 1024 }, raised.app);
      const res = await get(`/odata/Analytics?$select=id&$filter=${chain}`, server);
      expect(res.status).toBe(200);
      expect(res.body.value.map((r: { id: string }) => r.id).sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    });

    it('with the default ODATA_MAX_NODES → 400 ODATA_LIMIT_EXCEEDED, not a crash', async () => {
      const longUrls = await createTestApp({ env: { MAX_URL_LENGTH: '1000000' }, database: t.database });
      const server = http.createServer({ maxHeaderSize: 1024 * 1024 }, longUrls.app);
      const res = await get(`/odata/Analytics?$filter=${chain}`, server);
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'ODATA_LIMIT_EXCEEDED' });
    });

    it('a 10,000-item in-list works with the limits raised', async () => {
      const raised = await createTestApp({ env: { ODATA_MAX_NODES: '100000', ODATA_MAX_IN_ITEMS: '10000', MAX_URL_LENGTH: '1000000' }, database: t.database });
      const server = http.createServer({ maxHeaderSize: 1024 * 1024 }, raised.app);
      const list = Array.from({ length: 10000 }, (_, i) => i).join(',');
      const res = await get(`/odata/Analytics?$select=id&$filter=executionTime%20in%20(${list})`, server);
      expect(res.status).toBe(200);
      expect(res.body.value).toHaveLength(5);
    });
  });
});

describe('bad encodings, NUL bytes and long identifiers', () => {
  it.each([
    ['%zz in $filter', "/odata/Analytics?$filter=intent eq '%zz'", 'ODATA_PARSE_ENCODING'],
    ['a truncated escape', '/odata/Analytics?$filter=intent eq %2', 'ODATA_PARSE_ENCODING'],
    ['a truncated UTF-8 sequence %E0%A4', "/odata/Analytics?$filter=intent eq '%E0%A4'", 'ODATA_PARSE_ENCODING'],
    ['invalid UTF-8 %C3%28', "/odata/Analytics?$filter=intent eq '%C3%28'", 'ODATA_PARSE_ENCODING'],
    ['an overlong encoding %C0%AF', "/odata/Analytics?$filter=intent eq '%C0%AF'", 'ODATA_PARSE_ENCODING'],
    ['an encoded surrogate %ED%A0%80', "/odata/Analytics?$filter=intent eq '%ED%A0%80'", 'ODATA_PARSE_ENCODING'],
    ['%FF', "/odata/Analytics?$filter=intent eq '%FF'", 'ODATA_PARSE_ENCODING'],
    ['bad encoding in an option name', '/odata/Analytics?%zzfilter=1', 'ODATA_PARSE_ENCODING'],
    ['bad encoding in $select', '/odata/Analytics?$select=id%C3%28', 'ODATA_PARSE_ENCODING'],
    ['bad encoding in $search', '/odata/Analytics?$search=%E0%A4', 'ODATA_PARSE_ENCODING'],
    ['bad encoding in an alias', "/odata/Analytics?$filter=intent eq @p&@p='%C3%28'", 'ODATA_PARSE_ENCODING'],
    ['bad encoding in the path', '/odata/Analytics%zz', 'ODATA_PARSE_ENCODING'],
    ['bad encoding in a key', "/odata/Analytics('%C3%28')", 'ODATA_PARSE_ENCODING'],
    ['NUL in a property name', "/odata/Analytics?$filter=intent%00 eq 'x'", 'ODATA_PARSE_SYNTAX'],
    ['NUL in $select', '/odata/Analytics?$select=id%00', 'ODATA_PARSE_SYNTAX'],
    ['NUL in $orderby', '/odata/Analytics?$orderby=id%00desc', 'ODATA_PARSE_SYNTAX'],
    ['NUL in an option name', '/odata/Analytics?$fil%00ter=1', 'ODATA_PARSE_UNKNOWN_OPTION'],
    ['NUL in the entity set name', '/odata/Analytics%00', undefined],
  ])('%s → 400', async (_name, url, code) => {
    const res = await get(url);
    expect(res.status).toBe(400);
    if (code !== undefined) expect(res.body.error.code).toBe(code);
    expect4xx(res.status, res.text);
  });

  it.each([
    ['NUL inside a string literal', "/odata/Analytics?$select=id&$filter=intent eq 'a%00b'"],
    ['NUL inside a key', "/odata/Analytics('a1%00')"],
    ['NUL inside a $search phrase', '/odata/Analytics?$select=id&$search="a%00b"'],
    ['NUL inside an alias value', "/odata/Analytics?$select=id&$filter=intent eq @p&@p='%00'"],
    ['NUL in the apikey', '/odata/Analytics?apikey=test-read-key%00'],
  ])('%s → 4xx, no row, no crash', async (_name, url) => {
    const res = await get(url);
    expect4xx(res.status, res.text);
  });

  it.each([
    ['a 10,000-character property name', `/odata/Analytics?$filter=${'a'.repeat(10000)} eq 1`, 400],
    ['a 10,000-character $select item', `/odata/Analytics?$select=${'a'.repeat(10000)}`, 400],
    ['a 10,000-character $orderby item', `/odata/Analytics?$orderby=${'a'.repeat(10000)}`, 400],
    ['a 10,000-character function name', `/odata/Analytics?$filter=${'f'.repeat(10000)}(intent)`, 400],
    ['a 10,000-character alias name', `/odata/Analytics?$filter=intent eq @${'p'.repeat(10000)}&@${'p'.repeat(10000)}='x'`, 400],
    ['a 10,000-character entity set name', `/odata/${'A'.repeat(10000)}`, 400],
    ['a 10,000-character navigation name', `/odata/Sessions('p1:s1')/${'n'.repeat(10000)}`, 400],
    ['a 10,000-character lambda variable', `/odata/Sessions?$filter=analytics/any(${'v'.repeat(10000)}: true)`, 400],
  ])('%s → 4xx', async (_name, url, status) => {
    const res = await get(url);
    expect4xx(res.status, res.text);
    expect(Math.floor(res.status / 100)).toBe(Math.floor(status / 100));
  });

  it.each([
    ['a 10,000-character string literal', `$filter=intent eq '${'x'.repeat(10000)}'`, []],
    ['emoji in a literal', "$filter=intent eq '%F0%9F%98%80'", []],
    ['accents in a literal', "$filter=intent eq 'caf%C3%A9'", []],
    ['control characters in a literal', "$filter=intent eq '%01%02%1F%7F'", []],
    ['a long $search word', `$search=${'w'.repeat(10000)}`, []],
  ])('%s → 200, no match', async (_name, query, expected) => {
    const res = await get(`/odata/Analytics?$select=id&${query}`);
    expect(res.status).toBe(200);
    expect(res.body.value).toEqual(expected);
  });

  it('a 10,000-character key → 404', async () => {
    expect((await get(`/odata/Analytics('${'k'.repeat(10000)}')`)).status).toBe(404);
  });

  it.each([
    ['odata.maxpagesize=0'],
    ['odata.maxpagesize=-1'],
    ['odata.maxpagesize=1e30'],
    ['odata.maxpagesize=99999999999999999999999'],
    ['odata.maxpagesize="; DROP TABLE analytics'],
    [`odata.maxpagesize=${'9'.repeat(5000)}`],
  ])('a hostile Prefer header (%s) is ignored or clamped', async (prefer) => {
    const res = await get('/odata/Analytics?$select=id').set('Prefer', prefer);
    expect(res.status).toBe(200);
    expect(res.body.value).toHaveLength(5);
  });

  it.each([
    ['a huge Accept header', { Accept: `application/json;${'x=y;'.repeat(1000)}` }],
    ['an Accept full of q values', { Accept: 'application/json;q=abc,application/json;q=-1,application/json;q=1e999' }],
    ['an OData-MaxVersion of garbage', { 'OData-MaxVersion': 'abc' }],
    ['an OData-Version of garbage', { 'OData-Version': "4.0'; --" }],
    ['a Basic header that is not base64', { 'x-api-key': '', Authorization: 'Basic %%%%' }],
  ])('%s → a clean response', async (_name, headers) => {
    const req = request(t.app).get('/odata/Analytics?$select=id').set('x-api-key', READ_KEY);
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    const res = await req;
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) expect4xx(res.status, res.text);
  });

  it('left every table intact', async () => {
    await expectIntact();
  });
});
