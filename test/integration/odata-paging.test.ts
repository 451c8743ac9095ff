// Server-driven paging: page size, Prefer odata.maxpagesize, absolute nextLinks, keyset $skiptoken, $top/$skip across pages.
import request from 'supertest';
import type { Express } from 'express';
import { createTestApp, READ_KEY, type TestApp } from '../helpers/test-app';

const PAGE = 4;

// 47 generated rows plus three with awkward ids: ties in every order column, nulls in intent, intentScore,
// executionTime and the session's channel; projects p1 and p2.
const ROWS = `
INSERT INTO sessions (id, project_id, session_id, user_id, channel, started_at, last_activity_at)
SELECT project || ':s' || n, project, 's' || n, 'c' || n, CASE n WHEN 0 THEN NULL WHEN 1 THEN 'voice' ELSE 'webchat' END,
       timestamptz '2024-02-01T00:00:00Z', timestamptz '2024-02-01T00:00:00Z'
FROM (VALUES ('p1'), ('p2')) AS p (project), generate_series(0, 3) AS n;

INSERT INTO analytics (id, project_id, input_id, session_id, contact_id, input_text, intent, intent_score, execution_time, occurred_at)
SELECT 'r' || lpad(i::text, 3, '0'),
       CASE WHEN i % 5 = 0 THEN 'p2' ELSE 'p1' END,
       'i' || i, 's' || (i % 4), 'c' || (i % 3), 'text ' || repeat('x', i % 6),
       CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN 'a' WHEN 2 THEN 'b' ELSE 'c' END,
       CASE WHEN i % 6 = 0 THEN NULL ELSE (i % 3) / 10.0 END,
       CASE WHEN i % 7 = 0 THEN NULL ELSE i % 5 END,
       timestamptz '2024-02-01T00:00:00Z' + (i / 3) * interval '1 minute' + CASE WHEN i % 9 = 0 THEN interval '0.25 second' ELSE interval '0' END
FROM generate_series(1, 47) AS i;

INSERT INTO analytics (id, project_id, input_id, session_id, contact_id, input_text, intent, intent_score, execution_time, occurred_at)
VALUES ('q''uote', 'p1', 'iq', 's1', 'c1', 'quote', 'b', 0.1, 3, '2024-02-01T00:05:00Z'),
       ('sp ace', 'p1', 'is', 's2', 'c1', NULL, NULL, NULL, NULL, '2024-02-01T00:05:00Z'),
       ('ü-umlaut', 'p2', 'iu', 's3', 'c1', 'umlaut', 'a', 0.2, 1, '2024-02-01T00:05:00Z');

INSERT INTO contact_tasks (project_id, contact_id, task, first_completed_at, last_completed_at, completion_count)
SELECT 'p1', 'c' || c, 'T' || k, timestamptz '2024-02-01T00:00:00Z', timestamptz '2024-02-01T00:00:00Z', (c + k) % 3
FROM generate_series(0, 3) AS c, generate_series(1, 3) AS k;
`;
const TOTAL = 50;

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { ODATA_PAGE_SIZE: String(PAGE), ODATA_MAX_PAGE_SIZE: '1000' } });
  await t.database.db.exec(ROWS);
});

afterAll(() => t.close());

function encode(url: string): string {
  return url.replace(/ /g, '%20');
}

/** The path and query of an absolute next link, for supertest. */
function local(link: string): string {
  return link.replace(/^https?:\/\/[^/]+/, '');
}

interface Pull {
  readonly ids: string[];
  readonly pages: number;
  readonly links: string[];
}

/** Follows @odata.nextLink from `url` to the last page, calling `between` after each page. */
async function pull(
  url: string,
  options: { app?: Express; headers?: Record<string, string>; between?: (page: number) => Promise<void> } = {},
): Promise<Pull> {
  const ids: string[] = [];
  const links: string[] = [];
  let next: string | undefined = encode(url);
  let pages = 0;
  while (next !== undefined) {
    const req = request(options.app ?? t.app).get(next);
    for (const [name, value] of Object.entries(options.headers ?? { 'x-api-key': READ_KEY })) req.set(name, value);
    const res = await req;
    if (res.status !== 200) throw new Error(`${next} → ${res.status} ${res.text}`);
    pages += 1;
    ids.push(...(res.body.value as { id: string }[]).map((r) => r.id));
    const link = res.body['@odata.nextLink'] as string | undefined;
    if (link !== undefined) links.push(link);
    next = link === undefined ? undefined : local(link);
    if (options.between && next !== undefined) await options.between(pages);
    if (pages > 200) throw new Error('too many pages');
  }
  return { ids, pages, links };
}

async function unpaged(url: string): Promise<string[]> {
  const res = await request(t.app).get(encode(url)).set('x-api-key', READ_KEY).set('Prefer', 'odata.maxpagesize=1000');
  expect(res.status).toBe(200);
  expect(res.body['@odata.nextLink']).toBeUndefined();
  return (res.body.value as { id: string }[]).map((r) => r.id);
}

function duplicates(ids: readonly string[]): string[] {
  return ids.filter((id, i) => ids.indexOf(id) !== i);
}

describe('default page size and next links', () => {
  it('pages by ODATA_PAGE_SIZE with an absolute nextLink built from PUBLIC_URL', async () => {
    const res = await request(t.app).get('/odata/Analytics?$select=id').set('x-api-key', READ_KEY);
    expect(res.body.value).toHaveLength(PAGE);
    expect(res.body['@odata.nextLink']).toMatch(/^http:\/\/taskfeed\.test\/odata\/Analytics\?\$select=id&\$skiptoken=[A-Za-z0-9_-]+$/);
    expect(Object.keys(res.body)).toEqual(['@odata.context', 'value', '@odata.nextLink']);
    expect(res.headers['preference-applied']).toBeUndefined();
  });

  it('follows next links to the end: every row exactly once, no next link on the last page', async () => {
    const result = await pull('/odata/Analytics?$select=id');
    expect(result.ids).toHaveLength(TOTAL);
    expect(duplicates(result.ids)).toEqual([]);
    expect(result.pages).toBe(Math.ceil(TOTAL / PAGE));
    expect(result.ids).toEqual(await unpaged('/odata/Analytics?$select=id'));
  });

  it('keeps the client options in the next link and @odata.count on every page', async () => {
    const first = await request(t.app).get(encode("/odata/Analytics?$select=id,intent&$filter=intent eq 'a'&$count=true")).set('x-api-key', READ_KEY);
    const link = first.body['@odata.nextLink'] as string;
    expect(link).toContain('$count=true');
    expect(decodeURIComponent(link)).toContain("$filter=intent eq 'a'");
    const second = await request(t.app).get(local(link)).set('x-api-key', READ_KEY);
    expect(second.body['@odata.count']).toBe(first.body['@odata.count']);
    expect(second.body.value.every((r: { intent: string }) => r.intent === 'a')).toBe(true);
  });

  it('sends no next link when the last page is exactly full', async () => {
    const res = await request(t.app).get(encode("/odata/Analytics?$filter=id in ('r001','r002','r003','r004')&$select=id")).set('x-api-key', READ_KEY);
    expect(res.body.value).toHaveLength(PAGE);
    expect(res.body['@odata.nextLink']).toBeUndefined();
  });
});

describe('Prefer: odata.maxpagesize', () => {
  it.each([
    ['odata.maxpagesize=10', 10, 'odata.maxpagesize=10'],
    ['maxpagesize=7', 7, 'odata.maxpagesize=7'],
    ['return=minimal, odata.maxpagesize=3', 3, 'odata.maxpagesize=3'],
    ['odata.maxpagesize=100000', TOTAL, 'odata.maxpagesize=1000'],
  ])('%s → pages of %i', async (prefer, rows, applied) => {
    const res = await request(t.app).get('/odata/Analytics?$select=id').set('x-api-key', READ_KEY).set('Prefer', prefer);
    expect(res.status).toBe(200);
    expect(res.body.value).toHaveLength(rows);
    expect(res.headers['preference-applied']).toBe(applied);
  });

  it('is honoured on every page of a pull', async () => {
    const result = await pull('/odata/Analytics?$select=id', { headers: { 'x-api-key': READ_KEY, Prefer: 'odata.maxpagesize=20' } });
    expect(result.pages).toBe(3);
    expect(result.ids).toHaveLength(TOTAL);
  });

  it('clamps to ODATA_MAX_PAGE_SIZE', async () => {
    const small = await createTestApp({ env: { ODATA_PAGE_SIZE: '2', ODATA_MAX_PAGE_SIZE: '5' }, database: t.database });
    const res = await request(small.app).get('/odata/Analytics?$select=id').set('x-api-key', READ_KEY).set('Prefer', 'odata.maxpagesize=50');
    expect(res.body.value).toHaveLength(5);
    expect(res.headers['preference-applied']).toBe('odata.maxpagesize=5');
    expect(res.body['@odata.nextLink']).toBeDefined();
  });
});

describe('keyset $skiptoken: paging by every ordering returns the unpaged result, each row once', () => {
  it.each([
    ['no $orderby', '$select=id'],
    ['timestamp', '$select=id&$orderby=timestamp'],
    ['timestamp desc', '$select=id&$orderby=timestamp desc'],
    ['id desc', '$select=id&$orderby=id desc'],
    ['nullable with ties: intent', '$select=id&$orderby=intent'],
    ['nullable with ties: intent desc', '$select=id&$orderby=intent desc'],
    ['two nullable columns, mixed directions', '$select=id&$orderby=intentScore desc,intent'],
    ['executionTime,timestamp desc', '$select=id&$orderby=executionTime,timestamp desc'],
    ['intent desc,executionTime', '$select=id&$orderby=intent desc,executionTime'],
    ['a navigation path', '$select=id&$orderby=session/channel desc,timestamp'],
    ['a function', '$select=id&$orderby=length(inputText),intent desc'],
    ['a $compute alias', '$select=id&$compute=executionTime mul 2 as d&$orderby=d desc'],
    ['order column not selected', '$select=id&$orderby=intentScore'],
    ['with $filter', "$select=id&$filter=intent ne 'b'&$orderby=intent,timestamp desc"],
    ['with $search', '$select=id&$search=xx&$orderby=intentScore'],
  ])('%s', async (_name, query) => {
    const url = `/odata/Analytics?${query}`;
    const expected = await unpaged(url);
    const result = await pull(url);
    expect(duplicates(result.ids)).toEqual([]);
    expect(result.ids).toEqual(expected);
    expect(result.pages).toBe(Math.max(1, Math.ceil(expected.length / PAGE)));
  });

  it('pages a navigation collection', async () => {
    const url = "/odata/Sessions('p1:s1')/analytics?$select=id&$orderby=intent desc";
    const expected = await unpaged(url);
    expect(expected.length).toBeGreaterThan(PAGE);
    expect((await pull(url)).ids).toEqual(expected);
  });

  it.each([['$orderby=count desc'], ['$orderby=task'], ['$orderby=contactId desc'], ['$filter=count ne 1']])(
    'pages a composite-key set: ContactTasks?%s',
    async (options) => {
      const url = `/odata/ContactTasks?$select=contactId,task&${options}`;
      const keys = async (prefer?: string) => {
        const rows: string[] = [];
        let next: string | undefined = encode(url);
        while (next !== undefined) {
          const req: request.Test = request(t.app).get(next).set('x-api-key', READ_KEY);
          if (prefer !== undefined) req.set('Prefer', prefer);
          const res: request.Response = await req;
          expect(res.status).toBe(200);
          rows.push(...(res.body.value as { contactId: string; task: string }[]).map((r) => `${r.contactId}/${r.task}`));
          next = res.body['@odata.nextLink'] === undefined ? undefined : local(res.body['@odata.nextLink'] as string);
        }
        return rows;
      };
      const paged = await keys();
      expect(duplicates(paged)).toEqual([]);
      expect(paged).toEqual(await keys('odata.maxpagesize=1000'));
    },
  );

  it.each([
    ['garbage', '$skiptoken=garbage'],
    ['a token of another ordering', `$orderby=timestamp,intent&$skiptoken=${Buffer.from('{"k":["r001"]}').toString('base64url')}`],
    ['an offset token', `$skiptoken=${Buffer.from('{"o":5}').toString('base64url')}`],
    ['null for the key, which is never null', `$skiptoken=${Buffer.from('{"k":[null]}').toString('base64url')}`],
  ])('rejects %s with 400', async (_name, query) => {
    const res = await request(t.app).get(`/odata/Analytics?${query}`).set('x-api-key', READ_KEY);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'ODATA_PARSE_OPTION_VALUE' });
  });
});

describe('$top and $skip across pages', () => {
  it('a large $top is paged, not rejected', async () => {
    const first = await request(t.app).get('/odata/Analytics?$select=id&$top=100000').set('x-api-key', READ_KEY);
    expect(first.status).toBe(200);
    expect(first.body.value).toHaveLength(PAGE);
    expect(first.body['@odata.nextLink']).toContain(`$top=${100000 - PAGE}`);
    const result = await pull('/odata/Analytics?$select=id&$top=100000');
    expect(result.ids).toEqual(await unpaged('/odata/Analytics?$select=id'));
  });

  it.each([
    ['$top=13&$skip=5', 5, 13],
    ['$skip=5&$top=13', 5, 13],
    ['$top=8', 0, 8],
    ['$top=3', 0, 3],
    ['$top=4', 0, 4],
    ['$skip=45', 45, undefined],
    ['$skip=48&$top=10', 48, 10],
    ['$top=0', 0, 0],
  ])('%s returns exactly that slice of the order', async (options, skip, top) => {
    const all = await unpaged('/odata/Analytics?$select=id&$orderby=timestamp desc');
    const expected = all.slice(skip, top === undefined ? undefined : skip + top);
    const result = await pull(`/odata/Analytics?$select=id&$orderby=timestamp desc&${options}`);
    expect(result.ids).toEqual(expected);
    expect(result.pages).toBe(Math.max(1, Math.ceil(expected.length / PAGE)));
  });
});

describe('the base URL of next links', () => {
  it('uses PUBLIC_URL, including a path prefix', async () => {
    const app = await createTestApp({ env: { ODATA_PAGE_SIZE: '2', PUBLIC_URL: 'https://reports.example.com/feeds/' }, database: t.database });
    const res = await request(app.app).get('/odata/Analytics?$select=id').set('x-api-key', READ_KEY);
    expect(res.body['@odata.context']).toBe('https://reports.example.com/feeds/odata/$metadata#Analytics(id)');
    expect(res.body['@odata.nextLink']).toMatch(/^https:\/\/reports\.example\.com\/feeds\/odata\/Analytics\?\$select=id&\$skiptoken=/);
  });

  it('uses X-Forwarded-Proto and X-Forwarded-Host when TRUST_PROXY=true and PUBLIC_URL is unset', async () => {
    const app = await createTestApp({ env: { ODATA_PAGE_SIZE: '2', PUBLIC_URL: '', TRUST_PROXY: 'true' }, database: t.database });
    const res = await request(app.app)
      .get('/odata/Analytics?$select=id')
      .set('x-api-key', READ_KEY)
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'feeds.example.com');
    expect(res.body['@odata.context']).toBe('https://feeds.example.com/odata/$metadata#Analytics(id)');
    expect(res.body['@odata.nextLink']).toMatch(/^https:\/\/feeds\.example\.com\/odata\/Analytics\?\$select=id&\$skiptoken=/);
  });

  it('ignores X-Forwarded-* without TRUST_PROXY and uses the Host header', async () => {
    const app = await createTestApp({ env: { ODATA_PAGE_SIZE: '2', PUBLIC_URL: '' }, database: t.database });
    const res = await request(app.app)
      .get('/odata/Analytics?$select=id')
      .set('x-api-key', READ_KEY)
      .set('Host', 'internal.test:8080')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'evil.example.com');
    expect(res.body['@odata.nextLink']).toMatch(/^http:\/\/internal\.test:8080\/odata\/Analytics\?/);
  });
});

describe('following next links while rows are inserted', () => {
  const inserted: string[] = [];

  /** Rows with timestamps after every existing row, and ids that sort before, between and after existing ids. */
  async function insertBatch(page: number): Promise<void> {
    if (page > 4) return;
    const ids = [`r000-${page}`, `r025-${page}`, `z-${page}`];
    inserted.push(...ids);
    const values = ids
      .map((id, i) => `('${id}', 'p1', 'in-${id}', 's1', 'c1', 'late', 'a', 0.5, 1, timestamptz '2024-03-01T00:00:00Z' + ${page * 10 + i} * interval '1 second')`)
      .join(', ');
    await t.database.db.exec(
      `INSERT INTO analytics (id, project_id, input_id, session_id, contact_id, input_text, intent, intent_score, execution_time, occurred_at) VALUES ${values}`,
    );
  }

  afterEach(async () => {
    if (inserted.length > 0) {
      await t.database.db.query('DELETE FROM analytics WHERE id = ANY($1::text[])', [inserted.splice(0)]);
    }
  });

  it.each([
    ['$orderby=timestamp', '$select=id&$orderby=timestamp'],
    ['$orderby=timestamp desc', '$select=id&$orderby=timestamp desc'],
    ['the default order', '$select=id'],
    ['$orderby=intent desc', '$select=id&$orderby=intent desc'],
  ])('%s: no row present at the start is missing or repeated', async (_name, query) => {
    const before = await unpaged(`/odata/Analytics?${query}`);
    const result = await pull(`/odata/Analytics?${query}`, { between: insertBatch });
    expect(duplicates(result.ids)).toEqual([]);
    expect(before.filter((id) => !result.ids.includes(id))).toEqual([]);
    expect(result.ids.filter((id) => !before.includes(id) && !inserted.includes(id))).toEqual([]);
    expect(result.ids.filter((id) => before.includes(id))).toEqual(before);
  });

  it('rows inserted later with later timestamps appear at the end of a timestamp-ordered pull', async () => {
    const result = await pull('/odata/Analytics?$select=id&$orderby=timestamp', { between: insertBatch });
    const late = result.ids.filter((id) => inserted.includes(id));
    expect(late.length).toBeGreaterThan(0);
    expect(result.ids.slice(result.ids.length - late.length)).toEqual(late);
  });
});
