// GET /odata/…?$apply=… against a small hand-checked dataset (projects p1 and p2): every transformation, sequences, paging, isolation, errors, README recipes.
import request from 'supertest';
import { createTestApp, P1_KEY, READ_KEY, type TestApp } from '../helpers/test-app';

let t: TestApp;

const SEED = `
INSERT INTO sessions (id, project_id, session_id, user_id, user_type, channel, started_at, last_activity_at, steps_count, handover_escalations) VALUES
  ('S1', 'p1', 's1', 'u1', 'external', 'web',   '2024-01-01T09:00:00Z', '2024-01-01T09:30:00Z', 5, 1),
  ('S2', 'p1', 's2', 'u2', 'external', 'voice', '2024-01-01T10:00:00Z', '2024-01-01T10:30:00Z', 3, 1),
  ('S3', 'p1', 's3', 'u1', 'admin',    'web',   '2024-01-02T09:00:00Z', '2024-01-08T12:00:00Z', 7, 1),
  ('S4', 'p2', 's1', 'u9', 'external', 'web',   '2024-01-01T09:00:00Z', '2024-01-03T09:00:00Z', 100, 1);

INSERT INTO analytics (id, project_id, input_id, session_id, contact_id, occurred_at, intent, execution_time, channel, user_type, intent_score, input_text) VALUES
  ('a1', 'p1', 'i1', 's1', 'u1', '2024-01-01T09:00:00Z', 'order',  100,  'web',   'external', 0.9,  'I want to order'),
  ('a2', 'p1', 'i2', 's1', 'u1', '2024-01-01T09:05:00Z', 'order',  200,  'web',   'external', 0.8,  'order two'),
  ('a3', 'p1', 'i3', 's1', 'u1', '2024-01-01T09:10:00Z', 'cancel', 300,  'web',   'external', NULL, 'stop'),
  ('a4', 'p1', 'i4', 's2', 'u2', '2024-01-01T10:00:00Z', 'order',  400,  'voice', 'external', 0.5,  'new order'),
  ('a5', 'p1', 'i5', 's2', 'u2', '2024-01-02T08:00:00Z', NULL,     NULL, 'voice', 'external', NULL, 'hm'),
  ('a6', 'p1', 'i6', 's3', 'u1', '2024-01-02T09:00:00Z', 'cancel', 600,  'web',   'admin',    0.7,  'cancel it'),
  ('b1', 'p2', 'i1', 's1', 'u9', '2024-01-01T09:00:00Z', 'order',  1000, 'web',   'external', 0.1,  'order'),
  ('b2', 'p2', 'i2', 's1', 'u9', '2024-01-03T09:00:00Z', 'refund', 2000, 'web',   'external', NULL, 'refund');

INSERT INTO completed_tasks (id, project_id, contact_id, session_id, task, occurred_at, channel, user_type) VALUES
  ('c1', 'p1', 'u1', 's1', 'checkout', '2024-01-01T09:06:00Z', 'web',   'external'),
  ('c2', 'p1', 'u1', 's1', 'checkout', '2024-01-01T09:07:00Z', 'web',   'external'),
  ('c3', 'p1', 'u1', 's1', 'signup',   '2024-01-01T09:08:00Z', 'web',   'external'),
  ('c4', 'p1', 'u2', 's2', 'checkout', '2024-01-01T10:01:00Z', 'voice', 'external'),
  ('c5', 'p1', 'u1', 's3', 'signup',   '2024-01-02T09:01:00Z', 'web',   'admin'),
  ('c6', 'p1', 'u1', 's3', 'support',  '2024-01-08T12:00:00Z', 'web',   'admin'),
  ('c7', 'p2', 'u9', 's1', 'checkout', '2024-01-01T09:00:00Z', 'web',   'external');

INSERT INTO live_agent_escalations (id, project_id, session_id, occurred_at, updated_at, status) VALUES
  ('e1', 'p1', 's1', '2024-01-01T09:20:00Z', '2024-01-01T09:25:00Z', 'resolved'),
  ('e2', 'p1', 's2', '2024-01-01T10:20:00Z', '2024-01-01T10:25:00Z', 'abandoned'),
  ('e3', 'p1', 's3', '2024-01-02T09:20:00Z', '2024-01-02T09:25:00Z', 'resolved'),
  ('e4', 'p2', 's1', '2024-01-01T09:20:00Z', '2024-01-01T09:25:00Z', 'resolved');
`;

beforeAll(async () => {
  t = await createTestApp();
  await t.database.db.exec(SEED);
});

afterAll(async () => {
  await t.close();
});

/** GET /odata/<path>?<query> with the options percent-encoded as a client would. */
function get(path: string, options: Record<string, string>, key = P1_KEY, headers: Record<string, string> = {}) {
  const query = Object.entries(options)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  const req = request(t.app).get(`/odata/${path}${query ? `?${query}` : ''}`).set('X-Api-Key', key);
  for (const [k, v] of Object.entries(headers)) req.set(k, v);
  return req;
}

async function values(path: string, apply: string, extra: Record<string, string> = {}, key = P1_KEY): Promise<Record<string, unknown>[]> {
  const res = await get(path, { $apply: apply, ...extra }, key);
  if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
  return res.body.value as Record<string, unknown>[];
}

/** Drops @odata.type annotations, for comparing plain values. */
function plain(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.includes('@'))));
}

describe('aggregate', () => {
  it('computes sum, min, max, average, countdistinct and $count with their types', async () => {
    const res = await get('Analytics', {
      $apply:
        'aggregate(executionTime with sum as total, executionTime with min as fastest, executionTime with max as slowest, executionTime with average as mean, intent with countdistinct as intents, $count as inputs)',
    });
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/odata/$metadata#Analytics(total,fastest,slowest,mean,intents,inputs)');
    expect(res.body.value).toEqual([
      {
        'total@odata.type': '#Int64',
        total: 1600,
        'fastest@odata.type': '#Int32',
        fastest: 100,
        'slowest@odata.type': '#Int32',
        slowest: 600,
        'mean@odata.type': '#Decimal',
        mean: 320,
        'intents@odata.type': '#Int64',
        intents: 2,
        'inputs@odata.type': '#Int64',
        inputs: 6,
      },
    ]);
  });

  it('writes OData 4.0 type annotations with # and types Double results without annotation', async () => {
    const res = await get('Analytics', { $apply: 'aggregate(intentScore with sum as s, intentScore with average as m, $count as n)' }, P1_KEY, {
      'OData-MaxVersion': '4.0',
    });
    expect(res.status).toBe(200);
    const row = res.body.value[0];
    expect(row['n@odata.type']).toBe('#Int64');
    expect(row['s@odata.type']).toBeUndefined();
    expect(row.s).toBeCloseTo(2.9, 10);
    expect(row.m).toBeCloseTo(0.725, 10);
  });

  it('aggregates of no values are null, $count is 0', async () => {
    expect(await values('Analytics', "filter(intent eq 'none')/aggregate(executionTime with sum as s, executionTime with average as m, $count as n)")).toEqual([
      { 's@odata.type': '#Int64', s: null, 'm@odata.type': '#Decimal', m: null, 'n@odata.type': '#Int64', n: 0 },
    ]);
  });

  it("'from' averages per-day counts: tasks per day", async () => {
    // p1: 4 tasks on 2024-01-01, 1 on 01-02, 1 on 01-08.
    expect(plain(await values('CompletedTasks', 'compute(date(timestamp) as day)/aggregate($count from day with average as perDay)'))).toEqual([{ perDay: 2 }]);
    expect(plain(await values('CompletedTasks', 'aggregate($count from session with max as most)'))).toEqual([{ most: 3 }]);
  });

  it('counts each entity reached through a single-valued navigation once', async () => {
    // Six inputs in three sessions of p1 with 5, 3 and 7 steps: 15, not the per-input sum.
    expect(plain(await values('Analytics', 'aggregate(session/stepsCount with sum as steps, session/channel with countdistinct as channels)'))).toEqual([
      { steps: 15, channels: 2 },
    ]);
    expect(plain(await values('Analytics', 'aggregate(session/stepsCount with sum as steps)', {}, READ_KEY))).toEqual([{ steps: 115 }]);
    expect(plain(await values('Analytics', 'aggregate(session with countdistinct as sessions)'))).toEqual([{ sessions: 3 }]);
    expect(plain(await values('Analytics', 'groupby((channel),aggregate(session/stepsCount with sum as steps,$count as n))'))).toEqual([
      { channel: 'voice', steps: 3, n: 2 },
      { channel: 'web', steps: 12, n: 4 },
    ]);
  });

  it('counts the entities of a collection navigation', async () => {
    expect(plain(await values('Sessions', 'aggregate(analytics/$count as inputs, $count as sessions)'))).toEqual([{ inputs: 6, sessions: 3 }]);
    expect(plain(await values('Sessions', 'groupby((channel),aggregate(analytics/$count as inputs,$count as sessions))'))).toEqual([
      { channel: 'voice', inputs: 2, sessions: 1 },
      { channel: 'web', inputs: 4, sessions: 2 },
    ]);
  });
});

describe('groupby', () => {
  it('groups by one property', async () => {
    const res = await get('Analytics', { $apply: 'groupby((intent),aggregate($count as n))' });
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/odata/$metadata#Analytics(intent,n)');
    expect(plain(res.body.value)).toEqual([
      { intent: null, n: 1 },
      { intent: 'cancel', n: 2 },
      { intent: 'order', n: 3 },
    ]);
  });

  it('groups by several properties', async () => {
    expect(plain(await values('Analytics', 'groupby((channel,intent),aggregate(executionTime with sum as t))'))).toEqual([
      { channel: 'voice', intent: null, t: null },
      { channel: 'voice', intent: 'order', t: 400 },
      { channel: 'web', intent: 'cancel', t: 900 },
      { channel: 'web', intent: 'order', t: 300 },
    ]);
  });

  it('without aggregate returns the distinct values', async () => {
    expect(await values('Analytics', 'groupby((channel))')).toEqual([{ channel: 'voice' }, { channel: 'web' }]);
  });

  it('groups by a navigation path and nests the value', async () => {
    const res = await get('Analytics', { $apply: 'groupby((session/channel,session/userType),aggregate($count as n))' });
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/odata/$metadata#Analytics(session(channel,userType),n)');
    expect(plain(res.body.value)).toEqual([
      { session: { channel: 'voice', userType: 'external' }, n: 2 },
      { session: { channel: 'web', userType: 'admin' }, n: 1 },
      { session: { channel: 'web', userType: 'external' }, n: 3 },
    ]);
    expect(plain(await values('Analytics', 'groupby((session/channel),aggregate($count as n))/filter(session/channel eq \'web\')'))).toEqual([
      { session: { channel: 'web' }, n: 4 },
    ]);
  });

  it('keeps groups whose rows a nested filter removes', async () => {
    expect(plain(await values('Analytics', "groupby((channel),filter(intent eq 'cancel')/aggregate($count as cancels, executionTime with max as slowest))"))).toEqual([
      { channel: 'voice', cancels: 0, slowest: null },
      { channel: 'web', cancels: 2, slowest: 600 },
    ]);
  });

  it('filters a group with a condition over a navigation', async () => {
    expect(plain(await values('Sessions', "groupby((channel),filter(completedTasks/any(t:t/task eq 'checkout'))/aggregate($count as withCheckout))"))).toEqual([
      { channel: 'voice', withCheckout: 1 },
      { channel: 'web', withCheckout: 1 },
    ]);
  });

  it('groups by computed date parts', async () => {
    const rows = await values('Analytics', 'compute(year(timestamp) as y,month(timestamp) as m,day(timestamp) as d,hour(timestamp) as h)/groupby((y,m,d,h),aggregate($count as n))');
    expect(plain(rows)).toEqual([
      { y: 2024, m: 1, d: 1, h: 9, n: 3 },
      { y: 2024, m: 1, d: 1, h: 10, n: 1 },
      { y: 2024, m: 1, d: 2, h: 8, n: 1 },
      { y: 2024, m: 1, d: 2, h: 9, n: 1 },
    ]);
    const days = await get('Analytics', { $apply: 'compute(date(timestamp) as day)/groupby((day),aggregate($count as n))' });
    expect(days.body.value).toEqual([
      { 'day@odata.type': '#Date', day: '2024-01-01', 'n@odata.type': '#Int64', n: 4 },
      { 'day@odata.type': '#Date', day: '2024-01-02', 'n@odata.type': '#Int64', n: 2 },
    ]);
  });

  it('rollup adds subtotal rows without the rolled-up properties', async () => {
    const res = await get('Analytics', { $apply: 'groupby((rollup(channel,intent)),aggregate($count as n))' });
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/odata/$metadata#Analytics(channel,n)');
    expect(plain(res.body.value)).toEqual([
      // A rolled-up value sorts as null: first ascending, and a group whose value is null before it.
      { channel: 'voice', intent: null, n: 1 },
      { channel: 'voice', n: 2 },
      { channel: 'voice', intent: 'order', n: 1 },
      { channel: 'web', n: 4 },
      { channel: 'web', intent: 'cancel', n: 2 },
      { channel: 'web', intent: 'order', n: 2 },
    ]);
    const withPlain = await values('Analytics', "filter(intent ne null)/groupby((userType,rollup(channel,session/channel)),aggregate(executionTime with sum as t))/filter(userType eq 'admin')");
    expect(plain(withPlain)).toEqual([
      { userType: 'admin', channel: 'web', t: 600 },
      { userType: 'admin', channel: 'web', session: { channel: 'web' }, t: 600 },
    ]);
    const res2 = await get('Analytics', { $apply: 'groupby((rollup(channel,intent)),aggregate($count as n))', $count: 'true' });
    expect(res2.body['@odata.count']).toBe(6);
  });

  it('400 for a named rollup hierarchy the model does not define', async () => {
    const res = await get('Analytics', { $apply: 'groupby((rollup(Time)),aggregate($count as n))' });
    expect(res.status).toBe(400);
  });

  it('groups an aggregated result again', async () => {
    expect(plain(await values('Analytics', 'groupby((sessionId,intent))/groupby((sessionId),aggregate($count as intents))'))).toEqual([
      { sessionId: 's1', intents: 2 },
      { sessionId: 's2', intents: 2 },
      { sessionId: 's3', intents: 1 },
    ]);
  });
});

describe('row transformations', () => {
  const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.id);

  it('filter, identity and search keep the entities', async () => {
    const res = await get('Analytics', { $apply: "identity/filter(channel eq 'web')/identity" });
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/odata/$metadata#Analytics');
    expect(ids(res.body.value)).toEqual(['a1', 'a2', 'a3', 'a6']);
    expect(res.body.value[0]).toMatchObject({ id: 'a1', intent: 'order', executionTime: 100, timestamp: '2024-01-01T09:00:00Z' });
    expect(plain(await values('Analytics', 'search(order)/aggregate($count as n)'))).toEqual([{ n: 3 }]);
  });

  it('compute adds dynamic properties', async () => {
    const res = await get('Analytics', { $apply: "filter(id eq 'a2')/compute(executionTime mul 2 as doubled)", $select: 'id,doubled' });
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/odata/$metadata#Analytics(id,doubled)');
    expect(res.body.value).toEqual([{ id: 'a2', 'doubled@odata.type': '#Int32', doubled: 400 }]);
  });

  it('orderby, skip and top follow the order', async () => {
    expect(ids(await values('Analytics', 'filter(executionTime ne null)/orderby(executionTime desc)/top(2)'))).toEqual(['a6', 'a4']);
    expect(ids(await values('Analytics', 'orderby(timestamp)/skip(4)'))).toEqual(['a5', 'a6']);
    expect(plain(await values('Analytics', 'groupby((intent),aggregate($count as n))/orderby(n desc)/skip(1)/top(1)'))).toEqual([{ intent: 'cancel', n: 2 }]);
  });

  it('topcount and bottomcount rank nulls last', async () => {
    expect(ids(await values('Analytics', 'topcount(2,executionTime)'))).toEqual(['a6', 'a4']);
    expect(ids(await values('Analytics', 'bottomcount(2,executionTime)'))).toEqual(['a1', 'a2']);
  });

  it('toppercent and bottompercent take the smallest set reaching the share of the total', async () => {
    // 1600 in total: 600 + 400 reach 50 %; ascending 100 + 200 + 300 + 400 do.
    expect(ids(await values('Analytics', 'toppercent(50,executionTime)'))).toEqual(['a6', 'a4']);
    expect(ids(await values('Analytics', 'bottompercent(50,executionTime)'))).toEqual(['a1', 'a2', 'a3', 'a4']);
  });

  it('topsum and bottomsum stop once the running sum reaches the value', async () => {
    expect(ids(await values('Analytics', 'topsum(700,executionTime)'))).toEqual(['a6', 'a4']);
    expect(ids(await values('Analytics', 'bottomsum(250,executionTime)'))).toEqual(['a1', 'a2']);
    expect(plain(await values('Analytics', 'groupby((intent),aggregate(executionTime with sum as t))/topcount(1,t)'))).toEqual([{ intent: 'cancel', t: 900 }]);
  });

  it('ranks and pages within each group of a groupby', async () => {
    expect(ids(await values('Analytics', 'groupby((channel),topcount(1,executionTime))'))).toEqual(['a6', 'a4']);
    expect(ids(await values('Analytics', 'groupby((channel),orderby(timestamp)/top(1))'))).toEqual(['a1', 'a4']);
    expect(ids(await values('Analytics', 'groupby((channel),orderby(timestamp)/skip(2))'))).toEqual(['a3', 'a6']);
    expect(ids(await values('Analytics', 'groupby((channel),toppercent(50,executionTime))'))).toEqual(['a6', 'a4']);
    expect(plain(await values('Analytics', 'groupby((intent,channel),aggregate($count as n))/groupby((channel),topcount(1,n))'))).toEqual([
      { intent: 'cancel', channel: 'web', n: 2 },
      { intent: null, channel: 'voice', n: 1 },
    ]);
  });

  it('concat returns each sequence with its own structure', async () => {
    const res = await get('Analytics', { $apply: 'concat(groupby((channel),aggregate($count as n)),aggregate($count as n))' });
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/odata/$metadata#Analytics(n)');
    expect(plain(res.body.value)).toEqual([{ channel: 'voice', n: 2 }, { channel: 'web', n: 4 }, { n: 6 }]);
    expect(plain(await values('Analytics', "concat(topcount(1,executionTime)/compute(1 as one),filter(id eq 'a1'))", { $select: 'id,one' }))).toEqual([
      { id: 'a6', one: 1 },
      { id: 'a1' },
    ]);
  });

  it('runs a long sequence: filter/groupby/filter/orderby/top', async () => {
    expect(
      plain(await values('Analytics', 'filter(executionTime gt 100)/groupby((intent),aggregate(executionTime with sum as total))/filter(total gt 250)/orderby(total desc)/top(1)')),
    ).toEqual([{ intent: 'cancel', total: 900 }]);
  });
});

describe('query options after $apply', () => {
  it('$filter, $orderby, $select and $count act on the aggregated rows', async () => {
    const res = await get('Analytics', { $apply: 'groupby((intent),aggregate($count as n))', $filter: 'n gt 1', $orderby: 'n desc', $select: 'intent', $count: 'true' });
    expect(res.status).toBe(200);
    expect(res.body['@odata.count']).toBe(2);
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/odata/$metadata#Analytics(intent)');
    expect(res.body.value).toEqual([{ intent: 'order' }, { intent: 'cancel' }]);
  });

  it.each([['intent'], ['intent desc']])('$orderby=%s places null where the entity path does (first ascending, last descending)', async (orderby) => {
    const entities = await get('Analytics', { $orderby: `${orderby},id`, $select: 'intent' });
    expect(entities.status).toBe(200);
    const entityOrder = [...new Set((entities.body.value as { intent: string | null }[]).map((r) => r.intent))];
    const grouped = await values('Analytics', 'groupby((intent))', { $orderby: orderby });
    expect(grouped.map((r) => r.intent)).toEqual(entityOrder);
    expect(entityOrder.indexOf(null)).toBe(orderby === 'intent' ? 0 : entityOrder.length - 1);
  });

  it.each([['groupby((intent))'], ['filter(true)']])('$orderby of a constant (an empty in list) after %s answers 200', async (apply) => {
    const res = await get('Analytics', { $apply: apply, $orderby: 'intent in (),intent' });
    expect(res.status).toBe(200);
  });

  it('$top and $skip page the aggregated rows', async () => {
    expect(plain(await values('Analytics', 'groupby((intent),aggregate($count as n))', { $orderby: 'n desc', $skip: '1', $top: '1' }))).toEqual([{ intent: 'cancel', n: 2 }]);
  });

  it('pages with Prefer: odata.maxpagesize and offset skiptokens to the end', async () => {
    const seen: unknown[] = [];
    let res = await get('Analytics', { $apply: 'groupby((intent),aggregate($count as n))', $count: 'true' }, READ_KEY, { Prefer: 'odata.maxpagesize=2' });
    expect(res.headers['preference-applied']).toBe('odata.maxpagesize=2');
    expect(res.body['@odata.count']).toBe(4);
    let pages = 1;
    seen.push(...plain(res.body.value));
    while (res.body['@odata.nextLink'] !== undefined) {
      const next = new URL(res.body['@odata.nextLink'] as string);
      expect(next.searchParams.get('$skiptoken')).toBeTruthy();
      res = await request(t.app).get(`${next.pathname}${next.search}`).set('X-Api-Key', READ_KEY).set('Prefer', 'odata.maxpagesize=2');
      expect(res.status).toBe(200);
      seen.push(...plain(res.body.value));
      pages++;
    }
    expect(pages).toBe(2);
    expect(seen).toEqual([
      { intent: null, n: 1 },
      { intent: 'cancel', n: 2 },
      { intent: 'order', n: 4 },
      { intent: 'refund', n: 1 },
    ]);
  });

  it('pages with $top across pages', async () => {
    let res = await get('Analytics', { $apply: 'groupby((intent),aggregate($count as n))', $top: '3' }, READ_KEY, { Prefer: 'odata.maxpagesize=2' });
    const all = [...res.body.value];
    expect(res.body['@odata.nextLink']).toBeDefined();
    const next = new URL(res.body['@odata.nextLink'] as string);
    res = await request(t.app).get(`${next.pathname}${next.search}`).set('X-Api-Key', READ_KEY).set('Prefer', 'odata.maxpagesize=2');
    all.push(...res.body.value);
    expect(res.body['@odata.nextLink']).toBeUndefined();
    expect(plain(all).map((r) => r.intent)).toEqual([null, 'cancel', 'order']);
  });

  it('/$count counts the rows of the $apply result', async () => {
    const res = await get('Analytics/$count', { $apply: 'groupby((intent))' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('3');
    expect((await get('Analytics/$count', { $apply: 'groupby((intent))' }, READ_KEY)).text).toBe('4');
  });

  it('applies to a navigation path resource', async () => {
    expect(plain(await values("Sessions('S1')/analytics", 'groupby((intent),aggregate($count as n))'))).toEqual([
      { intent: 'cancel', n: 1 },
      { intent: 'order', n: 2 },
    ]);
  });
});

describe('project isolation', () => {
  it('a p1 key never aggregates p2 rows', async () => {
    expect(plain(await values('Analytics', 'aggregate($count as n, executionTime with max as slowest)'))).toEqual([{ n: 6, slowest: 600 }]);
    expect(plain(await values('Analytics', 'aggregate($count as n, executionTime with max as slowest)', {}, READ_KEY))).toEqual([{ n: 8, slowest: 2000 }]);
    const intents = await values('Analytics', 'groupby((intent))');
    expect(intents.map((r) => r.intent)).not.toContain('refund');
    expect(plain(await values('Sessions', 'groupby((channel),aggregate(completedTasks/$count as tasks))'))).toEqual([
      { channel: 'voice', tasks: 1 },
      { channel: 'web', tasks: 5 },
    ]);
    expect(plain(await values('Analytics', "filter(sessionId eq 's1')/groupby((session/stepsCount))"))).toEqual([{ session: { stepsCount: 5 } }]);
  });
});

describe('errors', () => {
  it.each([
    ['nest(groupby((intent)) as x)'],
    ['addnested(session,filter(true) as s)'],
    ['join(session as s)'],
    ['groupby((rolluprecursive($root/Sessions,H,id)),aggregate($count as n))'],
    ['aggregate(executionTime with Custom.median as m)'],
    ['Custom.fn()'],
    ['groupby((intent),topcount(1,executionTime)/aggregate($count as n))'],
    ['groupby((session/channel),topcount(1,executionTime))'],
    ['topcount(length(intent),executionTime)'],
  ])('501 for %s', async (apply) => {
    const res = await get('Analytics', { $apply: apply });
    expect(res.status).toBe(501);
    expect(res.body.error.code).toBe('ODATA_NOT_IMPLEMENTED');
  });

  it('501 for $expand next to $apply, 400 when the $expand name is unknown', async () => {
    expect((await get('Analytics', { $apply: 'filter(true)', $expand: 'session' })).status).toBe(501);
    const res = await get('Analytics', { $apply: 'filter(true)', $expand: 'nosuch' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ODATA_MODEL_UNKNOWN_PROPERTY');
  });

  it.each([
    ['aggregate($count as n, executionTime with sum as n)', 'ODATA_MODEL_INVALID'],
    ['aggregate(executionTime with sum as intent)', 'ODATA_MODEL_INVALID'],
    ['groupby((nope),aggregate($count as n))', 'ODATA_MODEL_UNKNOWN_PROPERTY'],
    ['aggregate(nope with sum as n)', 'ODATA_MODEL_UNKNOWN_PROPERTY'],
    ['groupby((intent),aggregate($count as n))/filter(executionTime gt 1)', 'ODATA_MODEL_UNKNOWN_PROPERTY'],
    ['aggregate(intent with sum as n)', 'ODATA_MODEL_TYPE_MISMATCH'],
    ['aggregate(executionTime as n)', 'ODATA_MODEL_INVALID'],
    // Names are resolved before anything is declared unsupported.
    ['aggregate(nosuch)', 'ODATA_MODEL_UNKNOWN_PROPERTY'],
    ['aggregate(Forecast as f)', 'ODATA_MODEL_UNKNOWN_PROPERTY'],
    ['aggregate(executionTime with sum from nosuch with average as x)', 'ODATA_MODEL_UNKNOWN_PROPERTY'],
    ['aggregate(nosuch with sum from channel with average as x)', 'ODATA_MODEL_UNKNOWN_PROPERTY'],
    ['join(nosuch as x)', 'ODATA_MODEL_UNKNOWN_PROPERTY'],
    ['outerjoin(intent as x)', 'ODATA_MODEL_INVALID'],
    ['addnested(nosuch,filter(true) as s)', 'ODATA_MODEL_UNKNOWN_PROPERTY'],
    // Syntax errors are 400 too, whatever the transformation.
    ['aggregate(executionTime from channel)', 'ODATA_PARSE_SYNTAX'],
    ['aggregate(executionTime with sum from as x)', 'ODATA_PARSE_SYNTAX'],
    ['join(session)', 'ODATA_PARSE_SYNTAX'],
    ['join(session as )', 'ODATA_PARSE_SYNTAX'],
  ])('400 for %s', async (apply, code) => {
    const res = await get('Analytics', { $apply: apply });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });

  it('400 for $select of a name the result does not have', async () => {
    const res = await get('Analytics', { $apply: 'groupby((intent))', $select: 'channel' });
    expect(res.status).toBe(400);
  });
});

describe('README recipes', () => {
  it('tasks reached in a period: per session the distinct tasks, summed', async () => {
    const period = 'timestamp ge 2024-01-01T00:00:00Z and timestamp lt 2024-01-03T00:00:00Z';
    const reached = await values('CompletedTasks', `filter(${period})/groupby((projectId,sessionId,task))/aggregate($count as tasksReached)`);
    expect(plain(reached)).toEqual([{ tasksReached: 4 }]);
    const perSession = await values('CompletedTasks', `filter(${period})/groupby((projectId,sessionId),aggregate(task with countdistinct as tasks))`);
    expect(plain(perSession)).toEqual([
      { projectId: 'p1', sessionId: 's1', tasks: 2 },
      { projectId: 'p1', sessionId: 's2', tasks: 1 },
      { projectId: 'p1', sessionId: 's3', tasks: 1 },
    ]);
    const sum = await values('CompletedTasks', `filter(${period})/groupby((projectId,sessionId),aggregate(task with countdistinct as tasks))/aggregate(tasks with sum as total)`);
    expect(plain(sum)).toEqual([{ total: 4 }]);
    // Session ids are unique per project only: with every project the grouping keeps them apart.
    expect(plain(await values('CompletedTasks', `filter(${period})/groupby((projectId,sessionId,task))/aggregate($count as tasksReached)`, {}, READ_KEY))).toEqual([
      { tasksReached: 5 },
    ]);
  });

  it('top tasks by number of sessions', async () => {
    expect(plain(await values('CompletedTasks', 'groupby((projectId,sessionId,task))/groupby((task),aggregate($count as sessions))/orderby(sessions desc)/top(10)'))).toEqual([
      { task: 'checkout', sessions: 2 },
      { task: 'signup', sessions: 2 },
      { task: 'support', sessions: 1 },
    ]);
  });

  it('tasks per day and in one week', async () => {
    expect(plain(await values('CompletedTasks', 'compute(date(timestamp) as day)/groupby((day),aggregate($count as tasks))'))).toEqual([
      { day: '2024-01-01', tasks: 4 },
      { day: '2024-01-02', tasks: 1 },
      { day: '2024-01-08', tasks: 1 },
    ]);
    // Days in a client's time zone: at UTC+15h every completion here falls on the next day.
    expect(plain(await values('CompletedTasks', "compute(date(timestamp add duration'PT15H') as day)/groupby((day),aggregate($count as tasks))/orderby(day)"))).toEqual([
      { day: '2024-01-02', tasks: 4 },
      { day: '2024-01-03', tasks: 1 },
      { day: '2024-01-09', tasks: 1 },
    ]);
    expect(plain(await values('CompletedTasks', 'filter(timestamp ge 2024-01-01T00:00:00Z and timestamp lt 2024-01-08T00:00:00Z)/aggregate($count as tasks)'))).toEqual([
      { tasks: 5 },
    ]);
  });

  it('completion rate of a task per channel', async () => {
    const rows = await values(
      'Sessions',
      "compute(cast(completedTasks/any(t:t/task eq 'checkout'),Edm.Int32) as hasTask)/groupby((channel),aggregate(hasTask with sum as withTask,$count as sessions))/compute(withTask divby sessions as completionRate)",
    );
    expect(plain(rows).map((r) => ({ ...r, completionRate: Number(r.completionRate) }))).toEqual([
      { channel: 'voice', withTask: 1, sessions: 1, completionRate: 1 },
      { channel: 'web', withTask: 1, sessions: 2, completionRate: 0.5 },
    ]);
    // The same as two requests: sessions with the task, all sessions.
    expect(plain(await values('CompletedTasks', "filter(task eq 'checkout')/groupby((channel,sessionId))/groupby((channel),aggregate($count as sessionsWithTask))"))).toEqual([
      { channel: 'voice', sessionsWithTask: 1 },
      { channel: 'web', sessionsWithTask: 1 },
    ]);
    expect(plain(await values('Sessions', 'groupby((channel),aggregate($count as sessions))'))).toEqual([
      { channel: 'voice', sessions: 1 },
      { channel: 'web', sessions: 2 },
    ]);
  });

  it('average executionTime per intent', async () => {
    const rows = plain(await values('Analytics', 'groupby((intent),aggregate(executionTime with average as avgExecutionTime))'));
    expect(rows.map((r) => [r.intent, r.avgExecutionTime === null ? null : Number(r.avgExecutionTime).toFixed(3)])).toEqual([
      [null, null],
      ['cancel', '450.000'],
      ['order', '233.333'],
    ]);
  });

  it('handovers per day and their outcome', async () => {
    expect(plain(await values('LiveAgentEscalations', 'compute(date(timestamp) as day)/groupby((day,status),aggregate($count as handovers))'))).toEqual([
      { day: '2024-01-01', status: 'abandoned', handovers: 1 },
      { day: '2024-01-01', status: 'resolved', handovers: 1 },
      { day: '2024-01-02', status: 'resolved', handovers: 1 },
    ]);
  });

  it('distinct contacts per task', async () => {
    expect(plain(await values('CompletedTasks', 'groupby((task),aggregate(contactId with countdistinct as contacts))'))).toEqual([
      { task: 'checkout', contacts: 2 },
      { task: 'signup', contacts: 1 },
      { task: 'support', contacts: 1 },
    ]);
  });

  it('tasks reached by admin vs external users', async () => {
    expect(plain(await values('CompletedTasks', 'groupby((userType,projectId,sessionId,task))/groupby((userType),aggregate($count as tasksReached))'))).toEqual([
      { userType: 'admin', tasksReached: 2 },
      { userType: 'external', tasksReached: 3 },
    ]);
  });
});
