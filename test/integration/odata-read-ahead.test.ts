// Feed read-ahead: a client following @odata.nextLink gets the next page computed ahead. Keyset paging stays exact
// while rows arrive, unchanged data reads the same as without read-ahead, pages never cross project scopes, each page
// is handed out once, and $top still ends the feed.
import request from 'supertest';
import type { Express } from 'express';
import { awaitReplay } from '../helpers/test-db';
import { createTestApp, P1_KEY, READ_KEY, type TestApp } from '../helpers/test-app';

const METRICS_KEY = 'metrics-key-0123456789';
const PAGE = 20;
const SEEDED = 500;
const BASE_MS = Date.parse('2024-03-01T00:00:00Z');

/**
 * Seeded ids s00000…s00499, three rows per second (so the id breaks ties), every fourth row in project p2.
 * Ids are a lowercase letter and five digits: they sort the same under any collation.
 */
const SEED_SQL = `
INSERT INTO analytics (id, project_id, input_id, session_id, contact_id, occurred_at)
SELECT 's' || lpad(i::text, 5, '0'), CASE WHEN i % 4 = 0 THEN 'p2' ELSE 'p1' END, 'seed-' || i, 'sess-' || (i % 7), 'c-' || (i % 5),
       timestamptz '2024-03-01T00:00:00Z' + (i / 3) * interval '1 second'
FROM generate_series(0, ${SEEDED - 1}) AS i;
`;

interface SeededRow {
  readonly id: string;
  readonly project: string;
  readonly ms: number;
}

const seeded: readonly SeededRow[] = Array.from({ length: SEEDED }, (_, i) => ({
  id: `s${String(i).padStart(5, '0')}`,
  project: i % 4 === 0 ? 'p2' : 'p1',
  ms: BASE_MS + Math.floor(i / 3) * 1000,
}));

interface FeedRow {
  readonly id: string;
  readonly timestamp: string;
  readonly projectId?: string;
}

interface Pull {
  readonly rows: FeedRow[];
  readonly links: string[];
  readonly pages: number;
}

/** The path and query of an absolute next link, for supertest. */
function local(link: string): string {
  return link.replace(/^https?:\/\/[^/]+/, '');
}

function encode(url: string): string {
  return url.replace(/ /g, '%20');
}

async function getPage(app: Express, url: string, key: string): Promise<{ rows: FeedRow[]; next?: string }> {
  const res = await request(app).get(url).set('x-api-key', key).set('Prefer', `odata.maxpagesize=${PAGE}`);
  if (res.status !== 200) throw new Error(`${url} → ${res.status} ${res.text}`);
  const link = res.body['@odata.nextLink'] as string | undefined;
  return { rows: res.body.value as FeedRow[], next: link === undefined ? undefined : local(link) };
}

/** Follows @odata.nextLink from `url` to the last page, calling `between` with the last row after each page. */
async function pull(app: Express, url: string, options: { key?: string; between?: (last: FeedRow) => Promise<void> } = {}): Promise<Pull> {
  const rows: FeedRow[] = [];
  const links: string[] = [];
  let next: string | undefined = encode(url);
  let pages = 0;
  while (next !== undefined) {
    const page = await getPage(app, next, options.key ?? READ_KEY);
    pages += 1;
    rows.push(...page.rows);
    next = page.next;
    if (next !== undefined) links.push(next);
    const last = page.rows.at(-1);
    if (options.between !== undefined && next !== undefined && last !== undefined) await options.between(last);
    if (pages > 100) throw new Error('too many pages');
  }
  return { rows, links, pages };
}

function duplicates(ids: readonly string[]): string[] {
  return ids.filter((id, i) => ids.indexOf(id) !== i);
}

/** -1, 0 or 1: (timestamp, id) of a against b, as the feed orders them ascending. */
function compareRows(a: FeedRow, b: FeedRow): number {
  const byTime = Date.parse(a.timestamp) - Date.parse(b.timestamp);
  if (byTime !== 0) return Math.sign(byTime);
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Pairs of neighbours that are not strictly in the feed's order (empty when the order holds). */
function outOfOrder(rows: readonly FeedRow[], direction: 1 | -1): string[] {
  const bad: string[] = [];
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1] as FeedRow;
    const b = rows[i] as FeedRow;
    if (compareRows(a, b) * direction >= 0) bad.push(`${a.id}@${a.timestamp} then ${b.id}@${b.timestamp}`);
  }
  return bad;
}

/** 'name{a="x"} 3' lines → the value of the sample with exactly these labels (0 when absent: a counter not yet moved). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter((l) => l.length > 0).sort().join(',');
    if (have === wanted) return Number(m[3]);
  }
  return 0;
}

async function readAheadMetrics(app: Express): Promise<{ hits: number; bytes: number; outcomes: Record<string, number> }> {
  const res = await request(app).get('/metrics').set('authorization', `Bearer ${METRICS_KEY}`);
  expect(res.status).toBe(200);
  const outcomes: Record<string, number> = {};
  for (const outcome of ['hit', 'stale', 'expired', 'over-budget', 'failed', 'skipped']) {
    outcomes[outcome] = sample(res.text, 'taskfeed_odata_read_ahead_pages_total', { outcome });
  }
  return { hits: outcomes.hit ?? 0, bytes: sample(res.text, 'taskfeed_odata_read_ahead_bytes'), outcomes };
}

/** Reads only project 'p2': its statements differ from P1_KEY's in their values only. */
const P2_KEY = 'test-p2-key';
const ENV = { METRICS_KEY, ODATA_MAX_PAGE_SIZE: '1000', READ_KEYS: `${READ_KEY},${P1_KEY}:p1,${P2_KEY}:p2` };

let t: TestApp;
/** The same database served with read-ahead off. */
let off: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: ENV });
  off = await createTestApp({ database: { ...t.database, drop: async () => undefined }, env: { ...ENV, ODATA_READ_AHEAD_BYTES: '0' } });
  await t.database.db.exec(SEED_SQL);
  await awaitReplay(t.database.db);
});

afterAll(() => t.close());

let inserted = 0;

/**
 * Rows arriving mid-pull around the cursor `last`: one sorting just before it (same timestamp, smaller id), one just
 * after it (same timestamp, larger id), one seconds behind, one sharing the timestamp of rows further on, one far
 * ahead. `direction` is the feed's: 1 ascending, -1 descending.
 */
function arrivalsAround(direction: 1 | -1, ahead: FeedRow[]) {
  let pages = 0;
  return async (last: FeedRow): Promise<void> => {
    const at = Date.parse(last.timestamp);
    pages += 1;
    const rows: [string, number][] = [
      [direction === 1 ? 'a' : 'z', at],
      ['b', at - direction * 5_000],
      ['e', at + direction * 60_000],
      ['x', at + direction * 3_600_000],
    ];
    // Into the very next page (held ahead by now) on every other page only, so that both outcomes occur.
    if (pages % 2 === 0) rows.push([direction === 1 ? 'z' : 'a', at]);
    const values = rows.map(([prefix, ms]) => {
      inserted += 1;
      const row: FeedRow = { id: `${prefix}${String(inserted).padStart(5, '0')}`, timestamp: new Date(ms).toISOString(), projectId: inserted % 2 === 0 ? 'p1' : 'p2' };
      // Rows that sort after the cursor are still ahead of the pull, which must deliver them.
      if (compareRows(row, last) * direction > 0) ahead.push(row);
      return `('${row.id}', '${row.projectId}', 'late-${inserted}', 'sess-late', 'c-late', '${row.timestamp}')`;
    });
    await t.database.db.exec(`INSERT INTO analytics (id, project_id, input_id, session_id, contact_id, occurred_at) VALUES ${values.join(', ')}`);
    await awaitReplay(t.database.db);
  };
}

describe('paging stays exact while rows arrive, with pages read ahead', () => {
  const FILTER_FROM_MS = BASE_MS + 20_000;
  it.each([
    {
      name: 'timestamp ascending',
      url: '/odata/Analytics?$orderby=timestamp&$select=id,timestamp,projectId',
      direction: 1 as const,
      expected: seeded,
      belongs: () => true,
    },
    {
      name: 'timestamp descending',
      url: '/odata/Analytics?$orderby=timestamp desc&$select=id,timestamp,projectId',
      direction: -1 as const,
      expected: seeded,
      belongs: () => true,
    },
    {
      name: 'a $filter on project and time',
      url: `/odata/Analytics?$filter=projectId eq 'p1' and timestamp ge ${new Date(FILTER_FROM_MS).toISOString()}&$orderby=timestamp&$select=id,timestamp,projectId`,
      direction: 1 as const,
      expected: seeded.filter((r) => r.project === 'p1' && r.ms >= FILTER_FROM_MS),
      belongs: (r: FeedRow) => r.projectId === 'p1' && Date.parse(r.timestamp) >= FILTER_FROM_MS,
    },
  ])('$name: every seeded row once, every row that arrived ahead of the cursor, no row twice, strictly ordered, pages served from read-ahead', async ({ url, direction, expected, belongs }) => {
    const before = await readAheadMetrics(t.app);
    const ahead: FeedRow[] = [];
    const result = await pull(t.app, url, { between: arrivalsAround(direction, ahead) });
    const ids = result.rows.map((r) => r.id);

    expect(duplicates(ids)).toEqual([]);
    const seededSeen = ids.filter((id) => id.startsWith('s'));
    expect(seededSeen.sort()).toEqual(expected.map((r) => r.id).sort());
    // A row written after the cursor, even into a page already computed ahead, is delivered, as without read-ahead.
    const missing = ahead.filter((r) => belongs(r) && !ids.includes(r.id)).map((r) => r.id);
    expect(missing).toEqual([]);
    expect(outOfOrder(result.rows, direction)).toEqual([]);
    expect(result.rows.filter((r) => !belongs(r))).toEqual([]);
    expect(result.pages).toBeGreaterThan(5);

    const after = await readAheadMetrics(t.app);
    expect(after.hits - before.hits).toBeGreaterThan(0);
    // Pages into whose range rows were written were read afresh.
    expect((after.outcomes.stale ?? 0) - (before.outcomes.stale ?? 0)).toBeGreaterThan(0);
    // Every page computed ahead was asked for: nothing is left held once the pull has ended.
    expect(after.bytes).toBe(0);
  });
});

describe('on unchanged data, read-ahead changes nothing a client sees', () => {
  it.each([
    ['timestamp ascending', '/odata/Analytics?$orderby=timestamp&$select=id,timestamp'],
    ['timestamp descending', '/odata/Analytics?$orderby=timestamp desc&$select=id,timestamp'],
    ['a $filter', "/odata/Analytics?$filter=projectId eq 'p2'&$orderby=timestamp&$select=id,timestamp"],
    ['the default order', '/odata/Analytics?$select=id'],
  ])('%s: the same ids with ODATA_READ_AHEAD_BYTES=0, which serves no page ahead', async (_name, url) => {
    const offBefore = await readAheadMetrics(off.app);
    const onBefore = await readAheadMetrics(t.app);
    const withReadAhead = await pull(t.app, url);
    const without = await pull(off.app, url);

    expect(withReadAhead.rows.map((r) => r.id)).toEqual(without.rows.map((r) => r.id));
    expect(withReadAhead.links).toEqual(without.links);
    expect((await readAheadMetrics(t.app)).hits - onBefore.hits).toBeGreaterThan(0);
    const offAfter = await readAheadMetrics(off.app);
    expect(offAfter.outcomes).toEqual(offBefore.outcomes);
    expect(offAfter.hits).toBe(0);
    expect(offAfter.bytes).toBe(0);
  });
});

describe('project scope', () => {
  /** Pages 1 and 2 of `url` for `key`: the request for page 2 computes page 3 ahead for that key. Page 3's link. */
  async function holdThirdPage(url: string, key: string): Promise<string> {
    const first = await getPage(t.app, encode(url), key);
    const second = await getPage(t.app, first.next as string, key);
    return second.next as string;
  }

  const ALL = { name: 'READ_KEY (every project)', key: READ_KEY, projects: ['p1', 'p2'] };
  const P1 = { name: 'P1_KEY', key: P1_KEY, projects: ['p1'] };
  const P2 = { name: 'P2_KEY', key: P2_KEY, projects: ['p2'] };

  // P1_KEY and P2_KEY compile the same SQL text: only the statement's values tell their pages apart.
  it.each([
    { holder: ALL, other: P1, filter: "startswith(id,'s')" },
    { holder: P1, other: ALL, filter: "id ge 's'" },
    { holder: P1, other: P2, filter: "id gt 'r'" },
    { holder: P2, other: P1, filter: "id lt 't'" },
  ])('a page held ahead for $holder.name is not handed to $other.name asking the identical URL', async ({ holder, other, filter }) => {
    const thirdPage = await holdThirdPage(`/odata/Analytics?$orderby=timestamp&$select=id,timestamp,projectId&$filter=${filter}`, holder.key);
    const before = await readAheadMetrics(t.app);

    const asOther = await getPage(t.app, thirdPage, other.key);
    expect((await readAheadMetrics(t.app)).hits).toBe(before.hits);
    // What the other key gets is what it gets without read-ahead: its own projects only.
    expect(asOther.rows).toEqual((await getPage(off.app, thirdPage, other.key)).rows);
    expect([...new Set(asOther.rows.map((r) => r.projectId))].sort()).toEqual(other.projects);

    // The holder still gets its own page, from read-ahead.
    const asHolder = await getPage(t.app, thirdPage, holder.key);
    expect((await readAheadMetrics(t.app)).hits).toBe(before.hits + 1);
    expect(asHolder.rows).toEqual((await getPage(off.app, thirdPage, holder.key)).rows);
    expect([...new Set(asHolder.rows.map((r) => r.projectId))].sort()).toEqual(holder.projects);
  });

  it('a P1_KEY pull right after a READ_KEY pull of the same URL returns only p1 rows, and vice versa', async () => {
    const url = "/odata/Analytics?$orderby=timestamp&$select=id,timestamp,projectId&$filter=startswith(id,'s') and timestamp ge 2024-03-01T00:00:00Z";
    const expectedAll = seeded.map((r) => r.id);
    const expectedP1 = seeded.filter((r) => r.project === 'p1').map((r) => r.id);

    const all = await pull(t.app, url, { key: READ_KEY });
    const p1 = await pull(t.app, url, { key: P1_KEY });
    const allAgain = await pull(t.app, url, { key: READ_KEY });

    expect(all.rows.map((r) => r.id)).toEqual(expectedAll);
    expect(p1.rows.map((r) => r.id)).toEqual(expectedP1);
    expect(p1.rows.filter((r) => r.projectId !== 'p1')).toEqual([]);
    expect(allAgain.rows.map((r) => r.id)).toEqual(expectedAll);
  });
});

describe('a page held ahead', () => {
  it('is served once within the TTL: the same nextLink twice gives the same rows, the second time from the database', async () => {
    const first = await getPage(t.app, encode('/odata/Analytics?$orderby=timestamp desc&$select=id,timestamp'), READ_KEY);
    const second = await getPage(t.app, first.next as string, READ_KEY);
    const thirdLink = second.next as string;
    const before = await readAheadMetrics(t.app);

    const once = await getPage(t.app, thirdLink, READ_KEY);
    const twice = await getPage(t.app, thirdLink, READ_KEY);
    expect(once.rows).toHaveLength(PAGE);
    expect(twice).toEqual(once);
    expect((await readAheadMetrics(t.app)).hits).toBe(before.hits + 1);
  });

  it('is dropped when nobody asks within ODATA_READ_AHEAD_TTL_MS, and the request then reads the database', async () => {
    const shortTtl = await createTestApp({
      database: { ...t.database, drop: async () => undefined },
      env: { ...ENV, ODATA_READ_AHEAD_TTL_MS: '50' },
    });
    const first = await getPage(shortTtl.app, encode('/odata/Analytics?$orderby=timestamp&$select=id,timestamp'), READ_KEY);
    const second = await getPage(shortTtl.app, first.next as string, READ_KEY);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const held = await readAheadMetrics(shortTtl.app);
    expect(held.outcomes.expired).toBe(1);
    expect(held.bytes).toBe(0);
    const third = await getPage(shortTtl.app, second.next as string, READ_KEY);
    expect(third.rows).toEqual((await getPage(off.app, second.next as string, READ_KEY)).rows);
    expect((await readAheadMetrics(shortTtl.app)).hits).toBe(0);
  });
});

describe('$top across pages', () => {
  it('$top=55 with pages of 20 yields exactly the first 55 rows, the last page without a nextLink', async () => {
    const url = '/odata/Analytics?$orderby=timestamp&$select=id,timestamp&$top=55';
    const result = await pull(t.app, url);
    expect(result.pages).toBe(3);
    expect(result.rows).toHaveLength(55);
    expect(result.links).toHaveLength(2);

    const whole = await request(t.app).get(url).set('x-api-key', READ_KEY).set('Prefer', 'odata.maxpagesize=1000');
    expect(whole.status).toBe(200);
    expect(whole.body['@odata.nextLink']).toBeUndefined();
    expect(result.rows.map((r) => r.id)).toEqual((whole.body.value as FeedRow[]).map((r) => r.id));
  });
});
