import request from 'supertest';
import {
  createHarness,
  handover,
  input,
  message,
  profileUpdated,
  READ_KEY,
  stepExecuted,
  taskCompleted,
  WRITE_KEY,
  type IngestHarness,
} from './ingest-support';

const auth = { Authorization: `Bearer ${WRITE_KEY}` };

function postEvents(h: IngestHarness, events: unknown[]) {
  return request(h.app).post('/api/v1/events').set(auth).set('Content-Type', 'application/json').send(JSON.stringify(events));
}

function putSettings(h: IngestHarness, projectId: string, body: unknown, headers: Record<string, string> = auth) {
  return request(h.app).put(`/api/v1/projects/${projectId}/settings`).set(headers).set('Content-Type', 'application/json').send(JSON.stringify(body));
}

const rows = (h: IngestHarness, text: string, values: unknown[] = []) => h.db.query(text, values).then((r) => r.rows);
const count = async (h: IngestHarness, table: string, projectId: string) =>
  (await rows(h, `SELECT count(*)::integer AS n FROM ${table} WHERE project_id = $1`, [projectId]))[0]?.n;

/** One event of every kind for `projectId`, contact u1, session s1. */
const everyKind = (projectId: string) => [
  input(`${projectId}-in`, 0, { projectId, contactId: 'u1', inputId: `${projectId}-i1`, inputText: 'my card is 4111 1111', inputData: { card: '4111' }, ip: '192.0.2.7', intent: 'pay' }),
  message(`${projectId}-msg`, 1, { projectId, contactId: 'u1', text: 'my card is 4111 1111', data: { card: '4111' } }),
  stepExecuted(`${projectId}-step`, 2, { projectId, contactId: 'u1', entityReferenceId: `${projectId}-node` }),
  handover(`${projectId}-ho`, 3, { projectId, userId: 'u1', escalationId: `${projectId}-esc`, status: 'opened' }),
  taskCompleted(`${projectId}-task`, 4, { projectId, contactId: 'u1', task: 'Order Placement', inputId: `${projectId}-i1` }),
  profileUpdated(`${projectId}-prof`, 5, { projectId, contactId: 'u1', firstname: 'Uma' }),
];

describe('project settings API', () => {
  let h: IngestHarness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  it('GET of a project never configured → the defaults', async () => {
    const res = await request(h.app).get('/api/v1/projects/fresh/settings').set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      projectId: 'fresh',
      collectAnalytics: true,
      contactProfiles: true,
      maskSensitive: false,
      maskIp: false,
      retention: { events: null, analytics: null, conversations: null, steps: null, sessions: null, escalations: null, tasks: null, profiles: null, goalEvents: null },
      updatedAt: null,
    });
  });

  it('PUT replaces the settings (omitted fields take their defaults) and GET returns them', async () => {
    const put = await putSettings(h, 'conf', { collectAnalytics: false, maskIp: true, retention: { analytics: 30, profiles: 365 } });
    expect(put.status).toBe(200);
    const expected = {
      projectId: 'conf',
      collectAnalytics: false,
      contactProfiles: true,
      maskSensitive: false,
      maskIp: true,
      retention: { events: null, analytics: 30, conversations: null, steps: null, sessions: null, escalations: null, tasks: null, profiles: 365, goalEvents: null },
    };
    expect(put.body).toEqual({ ...expected, updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
    const get = await request(h.app).get('/api/v1/projects/conf/settings').set(auth);
    expect(get.body).toEqual(put.body);
    const again = await putSettings(h, 'conf', {});
    expect(again.body).toEqual(expect.objectContaining({ collectAnalytics: true, maskIp: false, retention: expect.objectContaining({ analytics: null }) }));
  });

  it('rejects invalid settings with every problem listed, changing nothing', async () => {
    await putSettings(h, 'strict', { maskSensitive: true });
    const res = await putSettings(h, 'strict', { maskSensitive: 'yes', colectAnalytics: false, retention: { analytics: 0, forever: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INGEST_INVALID');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ target: 'maskSensitive' }),
        expect.objectContaining({ target: 'colectAnalytics', message: 'unknown field' }),
        expect.objectContaining({ target: 'retention.analytics' }),
        expect.objectContaining({ target: 'retention.forever', message: 'unknown field' }),
      ]),
    );
    expect((await request(h.app).get('/api/v1/projects/strict/settings').set(auth)).body.maskSensitive).toBe(true);
  });

  it.each([
    ['no key', {}],
    ['a read key', { Authorization: `Bearer ${READ_KEY}` }],
  ])('%s → 401 for GET and PUT', async (_name, headers) => {
    expect((await request(h.app).get('/api/v1/projects/conf/settings').set(headers)).status).toBe(401);
    expect((await putSettings(h, 'conf', {}, headers)).status).toBe(401);
  });

  it('a wrong content type → 415, malformed JSON → 400, an invalid project id → 400', async () => {
    const wrongType = await request(h.app).put('/api/v1/projects/conf/settings').set(auth).set('Content-Type', 'application/x-ndjson').send('{}');
    expect(wrongType.status).toBe(415);
    const malformed = await request(h.app).put('/api/v1/projects/conf/settings').set(auth).set('Content-Type', 'application/json').send('{"maskIp":');
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'MALFORMED_JSON']);
    const badId = await request(h.app).get('/api/v1/projects/a%3Ab/settings').set(auth);
    expect([badId.status, badId.body.error.details[0].target]).toEqual([400, 'projectId']);
  });
});

describe('privacy switches at ingestion', () => {
  let h: IngestHarness;
  beforeAll(async () => {
    h = await createHarness();
    await putSettings(h, 'masked', { maskSensitive: true }).expect(200);
    await putSettings(h, 'ipmask', { maskIp: true }).expect(200);
    await putSettings(h, 'noanalytics', { collectAnalytics: false }).expect(200);
    await putSettings(h, 'noprofiles', { contactProfiles: false }).expect(200);
    await putSettings(h, 'nothing', { collectAnalytics: false, contactProfiles: false }).expect(200);
    await putSettings(h, 'expiring', { retention: { events: 30 } }).expect(200);
  });
  afterAll(() => h.close());

  it('maskSensitive: text, data and IP are stored as **** everywhere, payloads included', async () => {
    const res = await postEvents(h, everyKind('masked'));
    expect(res.body).toEqual({ accepted: 6, duplicates: 0, dropped: 0 });
    expect(await rows(h, "SELECT input_text, input_data, ip, intent FROM analytics WHERE project_id = 'masked'")).toEqual([
      { input_text: '****', input_data: '****', ip: '****', intent: 'pay' },
    ]);
    expect(await rows(h, "SELECT input_text, input_data FROM conversations WHERE project_id = 'masked'")).toEqual([{ input_text: '****', input_data: '****' }]);
    const payloads = await rows(h, "SELECT payload FROM events WHERE project_id = 'masked' AND type IN ('input', 'message') ORDER BY event_id");
    expect(payloads.map((r) => r.payload)).toEqual([
      expect.objectContaining({ inputText: '****', inputData: '****', ip: '****', intent: 'pay' }),
      expect.objectContaining({ text: '****', data: '****' }),
    ]);
    const leaked = await rows(h, "SELECT count(*)::integer AS n FROM events WHERE project_id = 'masked' AND payload::text LIKE '%4111%'");
    expect(leaked).toEqual([{ n: 0 }]);
  });

  it('maskIp: only the IP is masked', async () => {
    await postEvents(h, everyKind('ipmask'));
    expect(await rows(h, "SELECT input_text, ip FROM analytics WHERE project_id = 'ipmask'")).toEqual([{ input_text: 'my card is 4111 1111', ip: '****' }]);
    expect(await rows(h, "SELECT payload->>'ip' AS ip FROM events WHERE project_id = 'ipmask' AND type = 'input'")).toEqual([{ ip: '****' }]);
  });

  it('collectAnalytics=false: analytics events are dropped; the task still reaches the contact profile', async () => {
    const res = await postEvents(h, everyKind('noanalytics'));
    expect([res.status, res.body]).toEqual([201, { accepted: 2, duplicates: 0, dropped: 4 }]);
    for (const table of ['analytics', 'conversations', 'executed_steps', 'steps', 'live_agent_escalations', 'completed_tasks', 'sessions']) {
      expect([table, await count(h, table, 'noanalytics')]).toEqual([table, 0]);
    }
    expect(await rows(h, "SELECT task, completion_count FROM contact_tasks WHERE project_id = 'noanalytics'")).toEqual([
      { task: 'Order Placement', completion_count: 1 },
    ]);
    expect(await rows(h, "SELECT contact_id, firstname FROM contact_profiles WHERE project_id = 'noanalytics'")).toEqual([{ contact_id: 'u1', firstname: 'Uma' }]);
    // Dropped events keep only their id, type and time, so a redelivery is still recognised.
    const dropped = await rows(h, "SELECT type, contact_id, session_id, payload FROM events WHERE project_id = 'noanalytics' AND NOT for_analytics AND NOT for_profile ORDER BY type");
    expect(dropped).toEqual(['handover', 'input', 'message', 'step.executed'].map((type) => ({ type, contact_id: null, session_id: null, payload: null })));
    const again = await postEvents(h, everyKind('noanalytics'));
    expect([again.status, again.body]).toEqual([200, { accepted: 0, duplicates: 6, dropped: 0 }]);
  });

  it('contactProfiles=false: no profile rows and no contact tasks; analytics as usual', async () => {
    const res = await postEvents(h, everyKind('noprofiles'));
    expect(res.body).toEqual({ accepted: 5, duplicates: 0, dropped: 1 });
    expect(await count(h, 'contact_profiles', 'noprofiles')).toBe(0);
    expect(await count(h, 'contact_tasks', 'noprofiles')).toBe(0);
    expect(await rows(h, "SELECT goals, steps_count, handover_escalations FROM sessions WHERE project_id = 'noprofiles'")).toEqual([
      { goals: 'Order Placement', steps_count: 1, handover_escalations: 1 },
    ]);
    expect(await rows(h, "SELECT completed_goals_list FROM analytics WHERE project_id = 'noprofiles'")).toEqual([{ completed_goals_list: 'Order Placement' }]);
  });

  it('both off: every event is acknowledged and dropped', async () => {
    const res = await postEvents(h, everyKind('nothing'));
    expect([res.status, res.body]).toEqual([200, { accepted: 0, duplicates: 0, dropped: 6 }]);
    expect(await count(h, 'contact_tasks', 'nothing')).toBe(0);
    expect(await count(h, 'completed_tasks', 'nothing')).toBe(0);
  });

  it('an event older than the events retention period is dropped as already expired', async () => {
    const old = taskCompleted('exp-old', 0, { projectId: 'expiring', contactId: 'u9' });
    const recent = taskCompleted('exp-new', 0, { projectId: 'expiring', contactId: 'u9', timestamp: new Date(Date.now() - 86_400_000).toISOString() });
    const res = await postEvents(h, [old, recent]);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, dropped: 1 });
    expect(await rows(h, "SELECT id FROM completed_tasks WHERE project_id = 'expiring'")).toEqual([{ id: 'exp-new' }]);
  });
});
