// goal.step events → goal cycles: every status, untracked steps, out-of-order, concurrent and repeated delivery.
import { createHarness, at, type IngestHarness } from './ingest-support';
import { createTestApp } from '../helpers/test-app';
import { cycles, goalSnapshot, goalStep, postEvents, putGoal, SUPPORT_GOAL } from './goals-support';
import { prng } from '../../scripts/prng';

let h: IngestHarness;
beforeAll(async () => {
  h = await createHarness();
  expect((await putGoal(h.app, 'support', SUPPORT_GOAL)).status).toBe(201);
});
afterAll(() => h.close());

const cycleOf = async (sessionId: string) => (await cycles(h.db)).filter((c) => c.session_id === sessionId);

describe('cycle status', () => {
  // [session, steps hit as [seconds, stepIds], expected status, steps reached, time saved, cost, revenue]
  const paths: [string, [number, string[]][], string, number, number, number, number][] = [
    ['only-start', [[0, ['received']]], 'incomplete', 1, 0, 0, 0],
    ['partial', [[0, ['received']], [5, ['answered']]], 'partially completed', 2, 60, 0, 0],
    ['escalated', [[0, ['received']], [5, ['answered']], [9, ['escalated']]], 'partially completed', 3, 60, 0, 25],
    ['completed', [[0, ['received']], [5, ['answered']], [9, ['resolved']]], 'completed', 3, 360, 4, 0],
    ['straight', [[0, ['received', 'resolved']]], 'completed', 2, 300, 4, 0],
    // A step hit twice counts once.
    ['repeated-step', [[0, ['received']], [2, ['answered']], [4, ['answered']]], 'partially completed', 2, 60, 0, 0],
  ];

  it.each(paths)('%s', async (session, hits, status, reached, time, cost, revenue) => {
    const events = hits.map(([s, steps], i) => goalStep(`${session}-${i}`, s, steps, { sessionId: session }));
    const res = await postEvents(h.app, events);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ accepted: events.length, duplicates: 0, dropped: 0 });
    const [cycle, ...more] = await cycleOf(session);
    expect(more).toHaveLength(0);
    expect(cycle).toMatchObject({ status, steps_reached: reached, time_saved_seconds: time, cost_savings: cost, revenue, contact_id: 'c1', channel: 'webchat3' });
    const last = hits[hits.length - 1] as [number, string[]];
    expect(new Date(String(cycle?.started_at)).toISOString()).toBe(at(0));
    expect(cycle?.completed_at === null).toBe(status !== 'completed');
    expect(new Date(String(cycle?.last_step_at)).getTime()).toBeGreaterThanOrEqual(Date.parse(at(last[0])));
  });

  it('steps without an open cycle are acknowledged as dropped and not tracked', async () => {
    const res = await postEvents(h.app, [goalStep('orphan-1', 0, ['answered'], { sessionId: 'orphan' }), goalStep('orphan-2', 1, ['resolved'], { sessionId: 'orphan' })]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 0, duplicates: 0, dropped: 2 });
    expect(await cycleOf('orphan')).toEqual([]);
    const tracked = await h.db.query("SELECT count(*)::integer AS n FROM odata_goal_events WHERE session_id = 'orphan'");
    expect(tracked.rows[0]).toEqual({ n: 0 });
  });

  it('a new start opens a new cycle; later steps join the latest; a named goalCycleId joins that cycle', async () => {
    const s = { sessionId: 'two-cycles' };
    await postEvents(h.app, [
      goalStep('tc-1', 0, ['received'], { ...s, goalCycleId: 'first' }),
      goalStep('tc-2', 2, ['answered'], s),
      goalStep('tc-3', 4, ['received'], { ...s, goalCycleId: 'second' }),
      goalStep('tc-4', 6, ['resolved'], s),
      goalStep('tc-5', 8, ['escalated'], { ...s, goalCycleId: 'first' }),
      goalStep('tc-6', 9, ['resolved'], { ...s, goalCycleId: 'nowhere' }),
    ]);
    const found = await cycleOf('two-cycles');
    expect(found.map((c) => [c.goal_cycle_id, c.status, c.steps_reached, c.revenue])).toEqual([
      ['first', 'partially completed', 3, 25],
      ['second', 'completed', 2, 0],
    ]);
    const untracked = await h.db.query("SELECT event_id FROM goal_events WHERE session_id = 'two-cycles' AND goal_cycle_id IS NULL");
    expect(untracked.rows).toEqual([{ event_id: 'tc-6' }]);
  });

  it('answers 400 listing the valid ids for an unknown goal or step, and stores nothing', async () => {
    const res = await postEvents(h.app, [goalStep('u1', 0, ['received'], { goalId: 'suport' }), goalStep('u2', 0, ['received', 'solved'])]);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      expect.objectContaining({ index: 0, id: 'u1', target: 'goalId', message: 'unknown goal "suport"; valid goal ids: support' }),
      expect.objectContaining({ index: 1, id: 'u2', target: 'stepIds[1]', message: 'unknown step "solved" of goal "support"; valid step ids: received, answered, resolved, escalated' }),
    ]);
    const stored = await h.db.query("SELECT 1 FROM events WHERE event_id IN ('u1', 'u2')");
    expect(stored.rows).toEqual([]);
  });

  it('records the contact profile completions (ContactGoals)', async () => {
    const r = await h.db.query("SELECT contact_id, goal_id, completion_count FROM contact_goals WHERE project_id = 'p1'");
    // c1 completed in 'completed', 'straight' and 'two-cycles' (second).
    expect(r.rows).toEqual([{ contact_id: 'c1', goal_id: 'support', completion_count: 3 }]);
  });
});

/** Sessions whose hits, sent in timestamp order, exercise every rule; the other tests send them in other orders. */
function traffic(): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < 8; i++) {
    const s = { sessionId: `t${i}`, contactId: `c${i % 3}` };
    const base = i * 100;
    events.push(goalStep(`t${i}-a`, base, ['received'], s));
    if (i % 4 !== 0) events.push(goalStep(`t${i}-b`, base + 10, ['answered'], s));
    if (i % 2 === 1) events.push(goalStep(`t${i}-c`, base + 20, ['resolved'], s));
    if (i % 4 === 2) events.push(goalStep(`t${i}-d`, base + 20, ['escalated'], { ...s, goalCycleId: undefined }));
    events.push(goalStep(`t${i}-e`, base + 30, ['received'], s), goalStep(`t${i}-f`, base + 40, ['answered', 'resolved'], s));
  }
  return events;
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

// Each delivery gets its own database; on a loaded machine a run takes longer than jest's default timeout.
const SLOW = 240_000;

describe('order independence', () => {
  async function fresh() {
    const t = await createTestApp();
    await putGoal(t.app, 'support', SUPPORT_GOAL);
    return t;
  }

  const events = traffic();
  let expected: Record<string, unknown>;
  beforeAll(async () => {
    const inOrder = await fresh();
    const r = await postEvents(inOrder.app, events);
    expect(r.body).toEqual({ accepted: events.length, duplicates: 0, dropped: 0 });
    expected = await goalSnapshot(inOrder.database.db);
    expect((expected.goal_cycles as unknown[]).length).toBe(16);
    await inOrder.close();
  }, SLOW);

  it(
    'reversed delivery, one event per request, gives the in-order result',
    async () => {
      const reversed = await fresh();
      for (const e of [...events].reverse()) await postEvents(reversed.app, [e]);
      expect(await goalSnapshot(reversed.database.db)).toEqual(expected);
      await reversed.close();
    },
    SLOW,
  );

  it(
    'shuffled concurrent delivery, then concurrent redelivery, gives the in-order result',
    async () => {
      const concurrent = await fresh();
      const shuffled = shuffle(events, prng(10));
      const batches = Array.from({ length: 6 }, (_, i) => shuffled.filter((_, j) => j % 6 === i));
      await Promise.all(batches.map((b) => postEvents(concurrent.app, b)));
      // Redelivery of everything, again concurrently: nothing changes.
      const again = await Promise.all(batches.map((b) => postEvents(concurrent.app, b)));
      expect(again.every((res) => res.body.accepted === 0 && res.body.dropped === 0)).toBe(true);
      expect(await goalSnapshot(concurrent.database.db)).toEqual(expected);
      await concurrent.close();
    },
    SLOW,
  );

  it('a start step that arrives after its follow-ups adopts them', async () => {
    const t = await fresh();
    const late = await postEvents(t.app, [goalStep('l2', 10, ['answered']), goalStep('l3', 20, ['resolved'])]);
    expect(late.body).toEqual({ accepted: 0, duplicates: 0, dropped: 2 });
    const start = await postEvents(t.app, [goalStep('l1', 0, ['received'])]);
    expect(start.body).toEqual({ accepted: 1, duplicates: 0, dropped: 0 });
    expect((await cycles(t.database.db)).map((c) => [c.status, c.steps_reached, c.time_saved_seconds])).toEqual([['completed', 3, 360]]);
    await t.close();
  }, SLOW);
});
