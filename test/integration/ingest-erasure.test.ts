import crypto from 'node:crypto';
import request from 'supertest';
import {
  createHarness,
  handover,
  input,
  INGEST_TABLES,
  message,
  profileDeleted,
  profileUpdated,
  stepExecuted,
  taskCompleted,
  WRITE_KEY,
  type IngestHarness,
} from './ingest-support';

const ERASED = 'erase-me@example.test';
const KEPT = 'keep-me@example.test';

function post(h: IngestHarness, events: unknown[]) {
  return request(h.app).post('/api/v1/events').set('Authorization', `Bearer ${WRITE_KEY}`).set('Content-Type', 'application/json').send(JSON.stringify(events));
}

const rows = (h: IngestHarness, text: string, values: unknown[] = []) => h.db.query(text, values).then((r) => r.rows);

/** Rows of every ingestion table whose text mentions `needle` anywhere. */
async function mentions(h: IngestHarness, needle: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of Object.keys(INGEST_TABLES)) {
    const r = await rows(h, `SELECT count(*)::integer AS n FROM ${table} t WHERE t::text LIKE $1`, [`%${needle}%`]);
    out[table] = r[0]?.n as number;
  }
  return out;
}

const nothing = Object.fromEntries(Object.keys(INGEST_TABLES).map((t) => [t, 0]));

describe('profile.deleted: GDPR erasure', () => {
  let h: IngestHarness;
  beforeAll(async () => {
    h = await createHarness();
    const x = { contactId: ERASED, sessionId: 'sx' };
    const y = { contactId: KEPT, sessionId: 'sy' };
    const res = await post(h, [
      input('x-in', 0, { ...x, inputId: 'x-i1', inputText: 'secret' }),
      message('x-msg', 1, { ...x, inputId: 'x-i1', text: 'secret' }),
      stepExecuted('x-step', 2, { ...x, entityReferenceId: 'node-pay', stepLabel: 'Pay' }),
      taskCompleted('x-task', 3, { ...x, inputId: 'x-i1', task: 'Order Placement' }),
      handover('x-ho', 4, { sessionId: 'sx', userId: ERASED, escalationId: 'x-esc', status: 'opened' }),
      handover('x-ho2', 5, { sessionId: 'sx', userId: undefined, escalationId: 'x-esc', status: 'assigned' }),
      profileUpdated('x-prof', 6, { contactId: ERASED, firstname: 'Eve', email: ERASED }),
      input('y-in', 0, { ...y, inputId: 'y-i1' }),
      taskCompleted('y-task', 3, { ...y, task: 'Order Placement' }),
      profileUpdated('y-prof', 6, { contactId: KEPT, firstname: 'Kim' }),
    ]);
    expect(res.body).toEqual({ accepted: 10, duplicates: 0, dropped: 0 });
  });
  afterAll(() => h.close());

  it('removes the contact and its sessions from every table and keeps only a hash and the time', async () => {
    expect((await mentions(h, ERASED)).contact_profiles).toBe(1);
    const res = await post(h, [profileDeleted('x-del', 10, { contactId: ERASED })]);
    expect([res.status, res.body]).toEqual([201, { accepted: 1, duplicates: 0, dropped: 0 }]);

    expect(await mentions(h, ERASED)).toEqual(nothing);
    for (const [table, where] of [
      ['analytics', "session_id = 'sx'"],
      ['conversations', "session_id = 'sx'"],
      ['executed_steps', "session_id = 'sx'"],
      ['completed_tasks', "session_id = 'sx'"],
      ['sessions', "session_id = 'sx'"],
      ['live_agent_escalations', "session_id = 'sx'"],
      ['events', "session_id = 'sx'"],
    ] as const) {
      expect([table, await rows(h, `SELECT * FROM ${table} WHERE ${where}`)]).toEqual([table, []]);
    }
    const hash = crypto.createHash('sha256').update(ERASED).digest('hex');
    expect(await rows(h, 'SELECT project_id, contact_hash, erased_at FROM erasures')).toEqual([
      { project_id: 'p1', contact_hash: hash, erased_at: '2025-03-01 09:00:10+00' },
    ]);
    expect(await rows(h, 'SELECT session_id, contact_hash FROM erased_sessions')).toEqual([{ session_id: 'sx', contact_hash: hash }]);
    // The erased events keep only id, type and time, so redeliveries are still duplicates.
    expect(await rows(h, "SELECT event_id, type, contact_id, payload FROM events WHERE event_id LIKE 'x-%' ORDER BY event_id")).toEqual(
      ['x-del', 'x-ho', 'x-ho2', 'x-in', 'x-msg', 'x-prof', 'x-step', 'x-task'].map((id) => ({
        event_id: id,
        type: expect.any(String),
        contact_id: null,
        payload: null,
      })),
    );
    // The Steps catalog names a flow node; it holds nothing about the contact and stays.
    expect(await rows(h, "SELECT label FROM steps WHERE entity_reference_id = 'node-pay'")).toEqual([{ label: 'Pay' }]);
  });

  it('leaves other contacts alone', async () => {
    expect(await rows(h, 'SELECT contact_id, firstname FROM contact_profiles')).toEqual([{ contact_id: KEPT, firstname: 'Kim' }]);
    expect(await rows(h, 'SELECT session_id, goals FROM sessions')).toEqual([{ session_id: 'sy', goals: 'Order Placement' }]);
    expect(await rows(h, 'SELECT contact_id, completion_count FROM contact_tasks')).toEqual([{ contact_id: KEPT, completion_count: 1 }]);
  });

  it('drops late events dated at or before the erasure, also other participants of an erased session', async () => {
    const late = await post(h, [
      taskCompleted('x-late-task', 9, { contactId: ERASED, sessionId: 'sx-other', task: 'Account Registration' }),
      profileUpdated('x-late-prof', 10, { contactId: ERASED, lastname: 'Late' }),
      handover('x-late-ho', 8, { sessionId: 'sx', userId: undefined, escalationId: 'x-esc', status: 'resolved' }),
    ]);
    expect([late.status, late.body]).toEqual([200, { accepted: 0, duplicates: 0, dropped: 3 }]);
    expect(await mentions(h, ERASED)).toEqual(nothing);
    expect(await rows(h, "SELECT id FROM live_agent_escalations WHERE id = 'x-esc'")).toEqual([]);
    // The late task revealed one more session of the contact: it is erased as well.
    expect(await rows(h, "SELECT session_id FROM erased_sessions ORDER BY session_id COLLATE \"C\"")).toEqual([{ session_id: 'sx' }, { session_id: 'sx-other' }]);
  });

  it('a redelivered erasure is a duplicate; events after the erasure are stored as usual', async () => {
    const again = await post(h, [profileDeleted('x-del', 10, { contactId: ERASED })]);
    expect(again.body).toEqual({ accepted: 0, duplicates: 1, dropped: 0 });
    const after = await post(h, [taskCompleted('x-after', 11, { contactId: ERASED, sessionId: 'sx-new', task: 'Appointment Booking' })]);
    expect(after.body).toEqual({ accepted: 1, duplicates: 0, dropped: 0 });
    expect(await rows(h, 'SELECT task, completion_count FROM contact_tasks WHERE contact_id = $1', [ERASED])).toEqual([
      { task: 'Appointment Booking', completion_count: 1 },
    ]);
    expect(await rows(h, 'SELECT firstname, first_seen_at FROM contact_profiles WHERE contact_id = $1', [ERASED])).toEqual([
      { firstname: null, first_seen_at: '2025-03-01 09:00:11+00' },
    ]);
  });

  it('an erasure that arrives before the data it covers still removes it', async () => {
    const first = await post(h, [profileDeleted('z-del', 100, { contactId: 'zed' })]);
    expect(first.body).toEqual({ accepted: 1, duplicates: 0, dropped: 0 });
    const late = await post(h, [input('z-in', 50, { contactId: 'zed', sessionId: 'sz', inputId: 'z-i1' }), taskCompleted('z-task', 150, { contactId: 'zed', sessionId: 'sz2' })]);
    expect(late.body).toEqual({ accepted: 1, duplicates: 0, dropped: 1 });
    expect(await rows(h, "SELECT session_id FROM sessions WHERE user_id = 'zed'")).toEqual([{ session_id: 'sz2' }]);
    expect(await rows(h, "SELECT id FROM analytics WHERE contact_id = 'zed'")).toEqual([]);
  });
});
