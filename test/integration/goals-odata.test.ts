// The goal collections over OData: the README recipes with hand-computed results, both sync patterns read to the end,
// $apply on every set, and the same answers on /odata, /v2.3 and /v2.4.
import request from 'supertest';
import { createHarness, READ_KEY, type IngestHarness } from './ingest-support';
import { goalStep, postEvents, putGoal, SUPPORT_GOAL } from './goals-support';

let h: IngestHarness;

const REFUND_GOAL = {
  name: 'Self-service Refund',
  steps: [
    { stepId: 'requested', name: 'Refund Requested', order: 1, type: 'start' },
    { stepId: 'verified', name: 'Order Verified', order: 2, metrics: [{ metricId: 'verified-time', name: 'Lookup saved', type: 'duration', value: 120 }] },
    { stepId: 'refunded', name: 'Refund Issued', order: 3, type: 'completion', metrics: [{ metricId: 'refunded-cost', name: 'Agent cost', type: 'currency', value: 10 }] },
  ],
};

const DAY = 86_400;

// Day 1 (2025-03-01) and day 2 (2025-03-02), hand-computed in the comments: [time saved, cost savings, revenue].
const TRAFFIC = [
  // s1 support completed [360, 4, 0]
  goalStep('s1-a', 0, ['received'], { sessionId: 's1' }),
  goalStep('s1-b', 60, ['answered'], { sessionId: 's1' }),
  goalStep('s1-c', 120, ['resolved'], { sessionId: 's1' }),
  // s2 support partially completed [60, 0, 0]
  goalStep('s2-a', 600, ['received'], { sessionId: 's2', contactId: 'c2' }),
  goalStep('s2-b', 660, ['answered'], { sessionId: 's2', contactId: 'c2' }),
  // s3 support incomplete
  goalStep('s3-a', 1200, ['received'], { sessionId: 's3', contactId: 'c3' }),
  // s4 refund completed [120, 10, 0]
  goalStep('s4-a', 1800, ['requested'], { sessionId: 's4', goalId: 'refund' }),
  goalStep('s4-b', 1860, ['verified', 'refunded'], { sessionId: 's4', goalId: 'refund' }),
  // s5 support completed [300, 4, 0]
  goalStep('s5-a', DAY, ['received', 'resolved'], { sessionId: 's5', channel: 'voice' }),
  // s6 support partially completed [0, 0, 25]
  goalStep('s6-a', DAY + 600, ['received'], { sessionId: 's6', contactId: 'c2' }),
  goalStep('s6-b', DAY + 700, ['escalated'], { sessionId: 's6', contactId: 'c2' }),
  // s7 refund partially completed [120, 0, 0]
  goalStep('s7-a', DAY + 1200, ['requested'], { sessionId: 's7', goalId: 'refund' }),
  goalStep('s7-b', DAY + 1300, ['verified'], { sessionId: 's7', goalId: 'refund' }),
  // s8: no start, not tracked
  goalStep('s8-a', DAY + 1800, ['answered'], { sessionId: 's8' }),
  // Another project: never counted by p1's figures.
  goalStep('x1', 0, ['received', 'resolved'], { projectId: 'p2', sessionId: 's1' }),
];

beforeAll(async () => {
  h = await createHarness();
  await putGoal(h.app, 'support', SUPPORT_GOAL);
  await putGoal(h.app, 'refund', REFUND_GOAL);
  await putGoal(h.app, 'support', SUPPORT_GOAL, 'p2');
  const res = await postEvents(h.app, TRAFFIC);
  expect(res.body).toEqual({ accepted: 14, duplicates: 0, dropped: 1 });
});
afterAll(() => h.close());

const get = (url: string) => request(h.app).get(url.replace(/ /g, '%20')).set('x-api-key', READ_KEY);
const P1 = "filter(projectId eq 'p1')";

async function values(url: string): Promise<Record<string, unknown>[]> {
  const res = await get(url);
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${res.text}`);
  // Without the annotations (@odata.id, @odata.type of aggregates): the values are what a recipe reads.
  return (res.body.value as Record<string, unknown>[]).map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !k.includes('@'))));
}

describe('README recipes', () => {
  it('completion rate per goal', async () => {
    expect(await values(`/odata/GoalCycles?$apply=${P1}/groupby((goalId,status),aggregate($count as cycles))&$orderby=goalId,status`)).toEqual([
      { goalId: 'refund', status: 'completed', cycles: 1 },
      { goalId: 'refund', status: 'partially completed', cycles: 1 },
      { goalId: 'support', status: 'completed', cycles: 2 },
      { goalId: 'support', status: 'incomplete', cycles: 1 },
      { goalId: 'support', status: 'partially completed', cycles: 2 },
    ]);
  });

  it('funnel conversion per step', async () => {
    expect(
      await values(`/odata/GoalEvents?$apply=${P1}/groupby((goalId,stepId),aggregate(goalCycleId with countdistinct as cycles))&$orderby=goalId,cycles desc,stepId`),
    ).toEqual([
      { goalId: 'refund', stepId: 'requested', cycles: 2 },
      { goalId: 'refund', stepId: 'verified', cycles: 2 },
      { goalId: 'refund', stepId: 'refunded', cycles: 1 },
      { goalId: 'support', stepId: 'received', cycles: 5 },
      { goalId: 'support', stepId: 'answered', cycles: 2 },
      { goalId: 'support', stepId: 'resolved', cycles: 2 },
      { goalId: 'support', stepId: 'escalated', cycles: 1 },
    ]);
  });

  it('time and cost saved per week and per day', async () => {
    const week = 'startedAt ge 2025-02-24T00:00:00Z and startedAt lt 2025-03-03T00:00:00Z';
    expect(
      await values(
        `/odata/GoalCycles?$apply=filter(projectId eq 'p1' and ${week} and status ne 'incomplete')/aggregate(timeSavedSeconds with sum as timeSaved,costSavings with sum as cost,revenue with sum as revenueEarned,$count as cycles)`,
      ),
    ).toEqual([{ timeSaved: 960, cost: 18, revenueEarned: 25, cycles: 6 }]);
    expect(
      await values(
        `/odata/GoalCycles?$apply=filter(projectId eq 'p1' and status ne 'incomplete')/compute(date(startedAt) as day)/groupby((day),aggregate(timeSavedSeconds with sum as timeSaved,costSavings with sum as cost))&$orderby=day`,
      ),
    ).toEqual([
      { day: '2025-03-01', timeSaved: 540, cost: 14 },
      { day: '2025-03-02', timeSaved: 420, cost: 4 },
    ]);
  });

  it('partial completions worth fixing: per goal, with the steps they reached', async () => {
    expect(
      await values(`/odata/GoalCycles?$apply=filter(projectId eq 'p1' and status eq 'partially completed')/groupby((goalId),aggregate($count as partial,timeSavedSeconds with sum as timeSaved))&$orderby=goalId`),
    ).toEqual([
      { goalId: 'refund', partial: 1, timeSaved: 120 },
      { goalId: 'support', partial: 2, timeSaved: 60 },
    ]);
    const partial = await values(
      "/odata/GoalCycles?$filter=projectId eq 'p1' and status eq 'partially completed'&$select=sessionId,goalId&$expand=events($select=stepId;$orderby=timestamp)&$orderby=sessionId",
    );
    expect(partial.map((c) => [c.sessionId, (c.events as { stepId: string }[]).map((e) => e.stepId)])).toEqual([
      ['s2', ['received', 'answered']],
      ['s6', ['received', 'escalated']],
      ['s7', ['requested', 'verified']],
    ]);
  });

  it('the contact profile lists completed goals', async () => {
    // Profiles exist only for contacts whose events reached the profile: c1 completed support twice (s1, s5) and refund once.
    expect(await values("/odata/ContactGoals?$filter=projectId eq 'p1'&$select=contactId,goalId,count&$orderby=contactId,goalId")).toEqual([
      { contactId: 'c1', goalId: 'refund', count: 1 },
      { contactId: 'c1', goalId: 'support', count: 2 },
    ]);
    const profile = await values("/odata/ContactProfiles?$filter=projectId eq 'p1' and contactId eq 'c1'&$select=contactId&$expand=goals($select=goalId,count)");
    expect(profile).toEqual([{ contactId: 'c1', goals: expect.arrayContaining([{ goalId: 'support', count: 2 }, { goalId: 'refund', count: 1 }]) }]);
  });
});

describe('every goal set on every prefix', () => {
  it.each(['Goals', 'GoalSteps', 'GoalStepMetrics', 'GoalEvents', 'GoalCycles', 'ContactGoals'])('%s answers $apply alike on /odata, /v2.3 and /v2.4', async (set) => {
    const url = `${set}?$apply=groupby((projectId),aggregate($count as n))&$orderby=projectId`;
    const odata = await values(`/odata/${url}`);
    expect(odata.length).toBeGreaterThan(0);
    expect(await values(`/v2.4/${url}`)).toEqual(odata);
    expect(await values(`/v2.3/${url}`)).toEqual(odata);
  });

  it('/v2.4 serves the /odata model, with its own context URLs', async () => {
    const res = await get("/v2.4/Goals(projectId='p1',goalId='support')?$expand=steps($select=goalStepId,type;$orderby=order)");
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toMatch(/\/v2\.4\/\$metadata#Goals/);
    expect(res.body.steps).toEqual([
      { goalStepId: 'received', type: 'start' },
      { goalStepId: 'answered', type: null },
      { goalStepId: 'resolved', type: 'completion' },
      { goalStepId: 'escalated', type: null },
    ]);
    expect((await get('/v2.4/$metadata')).text).toContain('<EntitySet Name="GoalEvents" EntityType="Taskfeed.GoalEvent"');
  });

  it('GoalEvents navigate to their session, step and cycle', async () => {
    const res = await get("/odata/GoalEvents('s4-b:refunded')?$select=stepId,goalCycleId&$expand=step($select=name),cycle($select=status),goal($select=name),session($select=sessionId)");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stepId: 'refunded', step: { name: 'Refund Issued' }, cycle: { status: 'completed' }, goal: { name: 'Self-service Refund' }, session: { sessionId: 's4' } });
  });
});

/** Follows a sync tool: pages of `top` rows by `field` gt the last value seen, until a short page. */
async function incremental(set: string, field: string, top: number, filter: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  let last: string | undefined;
  for (;;) {
    const condition = last === undefined ? filter : `${filter} and ${field} gt ${last}`;
    const page = await values(`/odata/${set}?$top=${top}&$orderby=${field} asc&$filter=${condition}`);
    rows.push(...page);
    if (page.length < top) return rows;
    last = String(page[page.length - 1]?.[field]);
  }
}

/** Full refresh: $top/$skip until a short page. */
async function fullRefresh(set: string, top: number, filter: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (let skip = 0; ; skip += top) {
    const page = await values(`/odata/${set}?$top=${top}&$skip=${skip}&$filter=${filter}`);
    rows.push(...page);
    if (page.length < top) return rows;
  }
}

describe('sync patterns read to the end, with no duplicates and no gaps', () => {
  beforeAll(async () => {
    // 30 more goals (one changed twice), and 1,200 more hits on 400 sessions, each hit at its own second.
    for (let i = 0; i < 30; i++) await putGoal(h.app, `bulk-${String(i).padStart(2, '0')}`, { ...REFUND_GOAL, name: `Bulk ${i}` });
    await putGoal(h.app, 'bulk-07', { ...REFUND_GOAL, name: 'Bulk 7, renamed' });
    await putGoal(h.app, 'bulk-07', { ...REFUND_GOAL, name: 'Bulk 7, renamed again' });
    const events = Array.from({ length: 400 }, (_, i) => [
      goalStep(`bulk-${i}-a`, 10 * DAY + 3 * i, ['received'], { sessionId: `bulk-${i}` }),
      goalStep(`bulk-${i}-b`, 10 * DAY + 3 * i + 1, ['answered'], { sessionId: `bulk-${i}` }),
      goalStep(`bulk-${i}-c`, 10 * DAY + 3 * i + 2, ['resolved'], { sessionId: `bulk-${i}` }),
    ]).flat();
    for (let i = 0; i < events.length; i += 400) expect((await postEvents(h.app, events.slice(i, i + 400))).body.accepted).toBe(400);
  });

  it('Goals incrementally by lastChanged', async () => {
    const all = await values("/odata/Goals?$filter=projectId eq 'p1'&$orderby=goalId");
    for (const top of [1000, 7]) {
      const synced = await incremental('Goals', 'lastChanged', top, "projectId eq 'p1'");
      expect(synced.map((g) => g.goalId).sort()).toEqual(all.map((g) => g.goalId).sort());
      expect(new Set(synced.map((g) => g.goalId)).size).toBe(synced.length);
    }
    expect(all).toHaveLength(32);
  });

  it('GoalEvents incrementally by timestamp', async () => {
    const count = Number((await get("/odata/GoalEvents/$count?$filter=projectId eq 'p1'")).text);
    expect(count).toBe(1200 + 15);
    for (const top of [1000, 97]) {
      const synced = await incremental('GoalEvents', 'timestamp', top, "projectId eq 'p1'");
      expect(synced).toHaveLength(count);
      expect(new Set(synced.map((e) => e.id)).size).toBe(count);
    }
  });

  it.each(['GoalSteps', 'GoalStepMetrics'])('%s by full refresh with $top and $skip', async (set) => {
    const count = Number((await get(`/odata/${set}/$count?$filter=projectId eq 'p1'`)).text);
    // support 1 version × 4 steps + refund 1 × 3 + bulk goals 32 versions × 3; metrics: 4 + 2 + 32 × 2.
    expect(count).toBe(set === 'GoalSteps' ? 4 + 3 + 96 : 4 + 2 + 64);
    for (const top of [1000, 9]) {
      const synced = await fullRefresh(set, top, "projectId eq 'p1'");
      const keys = synced.map((r) => `${r.version}/${String(r.goalStepId ?? '')}/${String(r.goalStepMetricId ?? '')}`);
      expect(keys).toHaveLength(count);
      expect(new Set(keys).size).toBe(count);
    }
  });
});
