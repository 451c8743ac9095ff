// PUT|GET|DELETE /api/v1/projects/:projectId/goals/:goalId: every validation rule, versioning, and the cascade of DELETE.
import request from 'supertest';
import { createHarness, PROJECT, WRITE_KEY, READ_KEY, type IngestHarness } from './ingest-support';
import { goalStep, postEvents, putGoal, SUPPORT_GOAL } from './goals-support';

let h: IngestHarness;
beforeAll(async () => {
  h = await createHarness({ GOAL_MAX_STEPS: '5' });
});
afterAll(() => h.close());

const step = (stepId: string, order: number, type: string | null = null, fields: Record<string, unknown> = {}) => ({ stepId, name: stepId, order, type, ...fields });
const goal = (steps: unknown[], fields: Record<string, unknown> = {}) => ({ name: 'G', steps, ...fields });

describe('goal definition validation', () => {
  const cases: [string, unknown, { target: string; message: RegExp }[]][] = [
    ['no name', { steps: [step('a', 1, 'start'), step('b', 2, 'completion')] }, [{ target: 'name', message: /expected string/ }]],
    ['no start step', goal([step('a', 1), step('b', 2, 'completion')]), [{ target: 'steps', message: /exactly one start step.*has 0/ }]],
    ['two start steps', goal([step('a', 1, 'start'), step('b', 2, 'start'), step('c', 3, 'completion')]), [{ target: 'steps', message: /exactly one start step.*has 2/ }]],
    ['no completion step', goal([step('a', 1, 'start'), step('b', 2)]), [{ target: 'steps', message: /at least one completion step/ }]],
    [
      'duplicate step ids and orders',
      goal([step('a', 1, 'start'), step('a', 2, 'completion'), step('c', 2)]),
      [
        { target: 'steps[1].stepId', message: /step id "a" is also used by steps\[0\]\.stepId/ },
        { target: 'steps[2].order', message: /order 2 is also used by steps\[1\]\.order/ },
      ],
    ],
    [
      'more steps than GOAL_MAX_STEPS',
      goal([step('a', 1, 'start'), step('b', 2), step('c', 3), step('d', 4), step('e', 5), step('f', 6, 'completion')]),
      [{ target: 'steps', message: /at most 5 steps \(GOAL_MAX_STEPS\); this one has 6/ }],
    ],
    [
      'metric type, value and benefit',
      goal([
        step('a', 1, 'start', { metrics: [{ metricId: 'm1', name: 'x', type: 'money', value: 1 }] }),
        step('b', 2, 'completion', { metrics: [{ metricId: 'm2', name: 'x', type: 'duration', value: 1.5 }, { metricId: 'm3', name: 'x', type: 'currency', value: -1 }] }),
      ]),
      [
        { target: 'steps[0].metrics[0].type', message: /'duration' or 'currency'/ },
        { target: 'steps[1].metrics[0].value', message: /integer/ },
        { target: 'steps[1].metrics[1].value', message: /negative/ },
      ],
    ],
    [
      'duplicate metric ids, a benefit on a duration',
      goal([
        step('a', 1, 'start', { metrics: [{ metricId: 'm1', name: 'x', type: 'duration', benefit: 'revenue', value: 1 }] }),
        step('b', 2, 'completion', { metrics: [{ metricId: 'm1', name: 'x', type: 'currency', value: 1 }] }),
      ]),
      [
        { target: 'steps[1].metrics[0].metricId', message: /metric id "m1" is also used/ },
        { target: 'steps[0].metrics[0].benefit', message: /only currency metrics/ },
      ],
    ],
    ['an unknown field', goal([step('a', 1, 'start'), step('b', 2, 'completion')], { colour: 'red' }), [{ target: 'colour', message: /unknown field/ }]],
    ['a bad step type and step id', goal([step('a:b', 1, 'start'), step('b', 2, 'finish')]), [
      { target: 'steps[0].stepId', message: /1–128 characters/ },
      { target: 'steps[1].type', message: /'start', 'completion' or null/ },
    ]],
  ];

  it.each(cases)('%s → 400 naming every problem', async (_name, body, expected) => {
    const res = await putGoal(h.app, 'bad', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INGEST_INVALID');
    for (const e of expected) {
      expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ target: e.target, message: expect.stringMatching(e.message) })]));
    }
    expect(res.body.error.details).toHaveLength(expected.length);
    const stored = await h.db.query('SELECT 1 FROM goals WHERE goal_id = $1', ['bad']);
    expect(stored.rows).toHaveLength(0);
  });

  it('refuses a body that is not JSON, a non-JSON content type and a missing write key', async () => {
    const auth = { Authorization: `Bearer ${WRITE_KEY}` };
    const notJson = await request(h.app).put(`/api/v1/projects/${PROJECT}/goals/g`).set(auth).set('Content-Type', 'application/json').send('{');
    expect(notJson.status).toBe(400);
    const text = await request(h.app).put(`/api/v1/projects/${PROJECT}/goals/g`).set(auth).set('Content-Type', 'text/plain').send('x');
    expect(text.status).toBe(415);
    const readKey = await request(h.app).get(`/api/v1/projects/${PROJECT}/goals`).set('Authorization', `Bearer ${READ_KEY}`);
    expect(readKey.status).toBe(401);
    const badId = await putGoal(h.app, 'a:b', SUPPORT_GOAL);
    expect(badId.status).toBe(400);
  });
});

describe('goal versions', () => {
  it('201 with a version for a new goal, 200 with the same version for an identical PUT, 200 with a new version for a change', async () => {
    const created = await putGoal(h.app, 'versioned', SUPPORT_GOAL);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ goalId: 'versioned', projectId: PROJECT, outcome: 'created', name: SUPPORT_GOAL.name, createdBy: 'alice' });
    expect(created.body.version).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.steps.map((s: { stepId: string }) => s.stepId)).toEqual(['received', 'answered', 'resolved', 'escalated']);

    const same = await putGoal(h.app, 'versioned', SUPPORT_GOAL);
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ outcome: 'unchanged', version: created.body.version, lastChanged: created.body.lastChanged });

    const renamed = { ...SUPPORT_GOAL, name: 'Faster support', changedBy: 'bob' };
    const changed = await putGoal(h.app, 'versioned', renamed);
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ outcome: 'changed', name: 'Faster support', createdBy: 'alice', lastChangedBy: 'bob' });
    expect(changed.body.version).not.toBe(created.body.version);
    expect(changed.body.lastChanged > created.body.lastChanged).toBe(true);
    expect(changed.body.versions.map((v: { version: string }) => v.version)).toEqual([created.body.version, changed.body.version]);

    // The earlier version stays readable, as do its steps and metrics.
    const old = await request(h.app)
      .get(`/api/v1/projects/${PROJECT}/goals/versioned?version=${created.body.version}`)
      .set('Authorization', `Bearer ${WRITE_KEY}`);
    expect(old.status).toBe(200);
    expect(old.body).toMatchObject({ name: SUPPORT_GOAL.name, version: created.body.version });
    const rows = await h.db.query<{ version: string; n: number }>(
      'SELECT version, count(*)::integer AS n FROM goal_steps WHERE goal_id = $1 GROUP BY version ORDER BY min(step_id)',
      ['versioned'],
    );
    expect(rows.rows.map((r) => r.n)).toEqual([4, 4]);
    const metrics = await h.db.query('SELECT count(*)::integer AS n FROM goal_step_metrics WHERE goal_id = $1', ['versioned']);
    expect(metrics.rows[0]).toEqual({ n: 8 });

    const list = await request(h.app).get(`/api/v1/projects/${PROJECT}/goals`).set('Authorization', `Bearer ${WRITE_KEY}`);
    expect(list.body.value.map((g: { goalId: string }) => g.goalId)).toContain('versioned');
    const unknownVersion = await request(h.app)
      .get(`/api/v1/projects/${PROJECT}/goals/versioned?version=00000000-0000-0000-0000-000000000000`)
      .set('Authorization', `Bearer ${WRITE_KEY}`);
    expect(unknownVersion.status).toBe(404);
  });

  it('keeps lastChanged strictly increasing across goals, even for writes in the same instant', async () => {
    const results = await Promise.all(['m1', 'm2', 'm3', 'm4'].map((id) => putGoal(h.app, id, SUPPORT_GOAL)));
    const stamps = results.map((r) => r.body.lastChanged as string).sort();
    expect(new Set(stamps).size).toBe(4);
  });
});

describe('DELETE', () => {
  it('removes the goal, its versions, goal events and cycles in one go; other goals keep theirs', async () => {
    await putGoal(h.app, 'support', SUPPORT_GOAL);
    await putGoal(h.app, 'other', SUPPORT_GOAL);
    const events = [
      goalStep('d1', 0, ['received']),
      goalStep('d2', 1, ['resolved']),
      goalStep('d3', 0, ['received'], { goalId: 'other' }),
    ];
    expect((await postEvents(h.app, events)).status).toBe(201);
    const count = async (table: string, goalId: string) =>
      (await h.db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${table} WHERE goal_id = $1`, [goalId])).rows[0]?.n;
    expect(await count('goal_events', 'support')).toBe(2);
    expect(await count('goal_cycles', 'support')).toBe(1);

    const res = await request(h.app).delete(`/api/v1/projects/${PROJECT}/goals/support`).set('Authorization', `Bearer ${WRITE_KEY}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ deleted: 'support', versions: 1, goalEvents: 2, goalCycles: 1 });
    for (const table of ['goals', 'goal_versions', 'goal_steps', 'goal_step_metrics', 'goal_events', 'goal_cycles']) {
      expect(await count(table, 'support')).toBe(0);
    }
    expect(await count('goal_cycles', 'other')).toBe(1);
    // The raw events keep only their ids: a redelivery is a duplicate and brings nothing back.
    const raw = await h.db.query("SELECT payload FROM events WHERE event_id IN ('d1', 'd2')");
    expect(raw.rows).toEqual([{ payload: null }, { payload: null }]);

    const again = await request(h.app).delete(`/api/v1/projects/${PROJECT}/goals/support`).set('Authorization', `Bearer ${WRITE_KEY}`);
    expect(again.status).toBe(404);
    const get = await request(h.app).get(`/api/v1/projects/${PROJECT}/goals/support`).set('Authorization', `Bearer ${WRITE_KEY}`);
    expect(get.status).toBe(404);
  });
});
