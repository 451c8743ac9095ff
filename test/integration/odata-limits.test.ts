// Configured limits: expression nodes, expand depth, 'in' list size, URL length (16 KiB accepted, longer than MAX_URL_LENGTH → 414), statement timeout.
import http from 'node:http';
import request from 'supertest';
import { openDatabase } from '../../src/db';
import { loadReadFixture } from '../helpers/fixtures';
import { createTestApp, READ_KEY, type TestApp } from '../helpers/test-app';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/test-db';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await loadReadFixture(database.db);
});

afterAll(() => database.drop());

/** An app on the shared database, served like main.ts serves it (a request line as long as MAX_URL_LENGTH fits). */
async function server(env: Record<string, string>): Promise<http.Server> {
  const t: TestApp = await createTestApp({ env, database });
  return http.createServer({ maxHeaderSize: t.ctx.config.maxUrlLength + 16 * 1024 }, t.app);
}

function get(app: http.Server, url: string) {
  return request(app).get(url.replace(/ /g, '%20')).set('x-api-key', READ_KEY);
}

async function ids(app: http.Server, url: string): Promise<{ status: number; ids: unknown }> {
  const res = await get(app, url);
  if (res.status !== 200) return { status: res.status, ids: res.body };
  return { status: 200, ids: (res.body.value as { id: string }[]).map((r) => r.id).sort() };
}

describe('ODATA_MAX_NODES', () => {
  let app: http.Server;
  beforeAll(async () => {
    app = await server({ ODATA_MAX_NODES: '12' });
  });

  it('accepts a request under the limit', async () => {
    expect(await ids(app, "/odata/Analytics?$select=id&$filter=intent eq 'greeting'")).toEqual({ status: 200, ids: ['a5'] });
  });

  it.each([
    ['$filter', "$filter=intent eq 'a' or intent eq 'b' or intent eq 'c' or intent eq 'd' or intent eq 'e'"],
    ['$orderby', '$orderby=length(concat(concat(intent,channel),concat(inputText,channel))),executionTime add execution mul 2'],
    ['$compute', '$compute=executionTime add 1 as a,executionTime add 2 as b,executionTime add 3 as c,executionTime add 4 as d&$select=id,a'],
    ['$filter inside $expand', "$expand=session($filter=channel eq 'a' or channel eq 'b' or channel eq 'c' or channel eq 'd' or channel eq 'e')"],
    ['options together', "$filter=intent eq 'a' or intent eq 'b'&$orderby=executionTime add 1,execution add 2&$compute=execution mul 3 as x"],
  ])('%s over the limit → 400 ODATA_LIMIT_EXCEEDED', async (_name, query) => {
    const res = await get(app, `/odata/Analytics?${query}`);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'ODATA_LIMIT_EXCEEDED' });
    expect(res.body.error.message).toContain('ODATA_MAX_NODES');
  });
});

describe('ODATA_MAX_EXPAND_DEPTH', () => {
  let app: http.Server;
  beforeAll(async () => {
    app = await server({ ODATA_MAX_EXPAND_DEPTH: '2' });
  });

  it('accepts expansions up to the depth', async () => {
    const res = await get(app, "/odata/Analytics?$select=id&$filter=id eq 'a4'&$expand=session($select=id;$expand=completedTasks($select=id))");
    expect(res.body.value).toEqual([{ id: 'a4', session: { id: 'p1:s2', completedTasks: [{ id: 't3' }] } }]);
  });

  it.each([
    ['$expand=session($expand=analytics($expand=session))'],
    ['$expand=session($expand=completedTasks($expand=contactProfile))'],
    ['$expand=session($select=id;$expand=analytics($select=id;$expand=session($select=id)))'],
  ])('%s → 400 ODATA_LIMIT_EXCEEDED', async (query) => {
    const res = await get(app, `/odata/Analytics?${query}`);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'ODATA_LIMIT_EXCEEDED' });
  });

  it('counts depth below a navigation path too', async () => {
    const res = await get(app, "/odata/Sessions('p1:s1')/analytics?$expand=session($expand=analytics($expand=session))");
    expect(res.status).toBe(400);
  });
});

describe('ODATA_MAX_IN_ITEMS', () => {
  let app: http.Server;
  beforeAll(async () => {
    app = await server({ ODATA_MAX_IN_ITEMS: '3' });
  });

  it('accepts a list of that size', async () => {
    expect(await ids(app, "/odata/Analytics?$select=id&$filter=id in ('a1','a2','zz')")).toEqual({ status: 200, ids: ['a1', 'a2'] });
  });

  it('with the defaults, a list of exactly ODATA_MAX_IN_ITEMS (1000) values is accepted', async () => {
    const defaults = await server({});
    const items = ['a1', ...Array.from({ length: 999 }, (_, i) => `f${i}`)].map((id) => `%27${id}%27`);
    expect(await ids(defaults, `/odata/Analytics?$select=id&$filter=id%20in%20(${items.join(',')})`)).toEqual({ status: 200, ids: ['a1'] });
  });

  it.each([["id in ('a1','a2','a3','a4')"], ['id in ["a1","a2","a3","a4"]'], ["intent in ('x',null,'y','z')"]])('%s → 400 ODATA_LIMIT_EXCEEDED', async (filter) => {
    const res = await get(app, `/odata/Analytics?$filter=${filter}`);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'ODATA_LIMIT_EXCEEDED' });
  });
});

describe('URL length', () => {
  /**
   * An in-list of a1..a5 followed by filler ids, at least `length` characters of URL (quotes sent as %27, as the
   * test client would encode them anyway, so the length is what the server sees).
   */
  function inList(prefix: string, length: number): string {
    const items = ['a1', 'a2', 'a3', 'a4', 'a5'].map((id) => `%27${id}%27`);
    const text = () => `${prefix}(${items.join(',')})`;
    for (let i = 0; text().length < length; i++) items.push(`%27f${String(i).padStart(6, '0')}%27`);
    return text();
  }

  it('accepts a 16 KiB URL with a long in-list (limits raised)', async () => {
    const app = await server({ ODATA_MAX_IN_ITEMS: '5000', ODATA_MAX_NODES: '10000' });
    const url = inList('/odata/Analytics?$select=id&$filter=id%20in%20', 16 * 1024);
    expect(url.length).toBeGreaterThanOrEqual(16 * 1024);
    expect(await ids(app, url)).toEqual({ status: 200, ids: ['a1', 'a2', 'a3', 'a4', 'a5'] });
  });

  it('accepts a 16 KiB URL with a long or-chain (limits raised)', async () => {
    const app = await server({ ODATA_MAX_NODES: '100000' });
    const terms = ['id%20eq%20%27a2%27', 'id%20eq%20%27a4%27'];
    const url = () => `/odata/Analytics?$select=id&$filter=${terms.join('%20or%20')}`;
    for (let i = 0; url().length < 16 * 1024; i++) terms.push(`id%20eq%20%27f${i}%27`);
    expect(url().length).toBeGreaterThanOrEqual(16 * 1024);
    expect(await ids(app, url())).toEqual({ status: 200, ids: ['a2', 'a4'] });
  });

  it('the same or-chain over the default ODATA_MAX_NODES → 400, not a crash', async () => {
    const app = await server({});
    const terms = Array.from({ length: 600 }, (_, i) => `id%20eq%20%27f${i}%27`);
    const res = await get(app, `/odata/Analytics?$filter=${terms.join('%20or%20')}`);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'ODATA_LIMIT_EXCEEDED' });
  });

  it('accepts a URL exactly MAX_URL_LENGTH long and answers 414 one character beyond', async () => {
    const app = await server({ MAX_URL_LENGTH: '16384', ODATA_MAX_IN_ITEMS: '5000', ODATA_MAX_NODES: '10000' });
    const base = inList('/odata/Analytics?$select=id&$filter=id%20in%20', 16384 - 40);
    const pad = (n: number) => `${base}&x=${'y'.repeat(n - base.length - 3)}`;
    const exact = pad(16384);
    expect(exact.length).toBe(16384);
    expect((await get(app, exact)).status).toBe(200);
    const over = await get(app, pad(16385));
    expect(over.status).toBe(414);
    expect(over.body.error.code).toBe('URI_TOO_LONG');
  });

  it('answers 414 for a URL far over the limit', async () => {
    const app = await server({ MAX_URL_LENGTH: '20000' });
    const res = await get(app, `/odata/Analytics?$filter=${'x'.repeat(30000)}`);
    expect(res.status).toBe(414);
  });
});

describe('STATEMENT_TIMEOUT_MS', () => {
  // PGlite runs in-process and has no statement_timeout; the limit is PostgreSQL's.
  const onPostgres = usingPostgres ? it : it.skip;

  onPostgres('a statement over the timeout → 503 DB_TIMEOUT with Retry-After (PostgreSQL only; skipped on embedded PGlite, which has no statement_timeout)', async () => {
    await database.db.exec(`
      INSERT INTO analytics (id, project_id, input_id, session_id, contact_id, input_text, occurred_at)
      SELECT 'slow' || i, 'p3', 'slow' || i, 's9', 'c9', md5(i::text), timestamptz '2024-03-01T00:00:00Z' + i * interval '1 second'
      FROM generate_series(1, 50000) AS i`);
    const slow = await openDatabase({ databaseUrl: database.url as string, statementTimeoutMs: 1, poolSize: 2 });
    try {
      const t = await createTestApp({ env: { STATEMENT_TIMEOUT_MS: '1' }, database: { db: slow, drop: async () => undefined } });
      const res = await request(t.app)
        .get("/odata/Analytics/$count?$filter=matchesPattern(inputText,'^(a|b|c)+[0-9]{3}')%20or%20contains(inputText,'zzz')")
        .set('x-api-key', READ_KEY);
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 503, code: 'DB_TIMEOUT' });
      expect(res.headers['retry-after']).toBeDefined();
      const page = await request(t.app)
        .get("/odata/Analytics?$filter=matchesPattern(inputText,'^(a|b|c)+[0-9]{3}')&$orderby=inputText&$count=true")
        .set('x-api-key', READ_KEY);
      expect(page.status).toBe(503);
    } finally {
      await slow.close();
      await database.db.exec("DELETE FROM analytics WHERE project_id = 'p3'");
    }
  });
});
