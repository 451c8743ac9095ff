import request from 'supertest';
import { ingestEvents } from '../../src/ingest/ingest';
import { validateEvents } from '../../src/ingest/validate';
import { parseTimestamp, type Instant } from '../../src/ingest/time';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';
import {
  createHarness,
  handover,
  input,
  message,
  profileDeleted,
  profileUpdated,
  snapshot,
  stepExecuted,
  taskCompleted,
  WRITE_KEY,
  type IngestHarness,
} from './ingest-support';
import { prng } from '../../scripts/prng';


function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

type Event = Record<string, unknown> & { id: string; timestamp: string };

/**
 * Three contacts over five sessions with every event type, equal timestamps, a task completed twice, an input record
 * overwritten, escalation status changes, profile fields set, changed and cleared, and contact c2 erased at t=50:
 * s2 lies wholly before the erasure, s3 spans it, and s5 holds only c2 data before it plus a handover without a user
 * and a message of c3 (both erased with the session).
 */
function conversationEvents(): Event[] {
  const events: Event[] = [];
  const add = (...e: Event[]) => events.push(...e);
  const session = (prefix: string, contactId: string, sessionId: string, start: number, tasks: string[]) => {
    const s = { contactId, sessionId, channel: 'webchat3', localeName: 'en', endpointName: 'Web', userType: 'external' };
    add(
      input(`${prefix}-in1`, start, { ...s, inputId: `${prefix}-i1`, intent: 'order', rating: -1 }),
      message(`${prefix}-m1`, start, { ...s, inputId: `${prefix}-i1` }),
      stepExecuted(`${prefix}-st1`, start + 1, { ...s, entityReferenceId: 'node-start', stepLabel: `Start ${prefix}` }),
      stepExecuted(`${prefix}-st2`, start + 1, { ...s, entityReferenceId: 'node-order', stepLabel: `Order ${prefix}`, parentStep: 'node-start' }),
      input(`${prefix}-in2`, start + 2, { ...s, inputId: `${prefix}-i2`, channel: 'voice', rating: 1, ratingComment: `ok ${prefix}` }),
      message(`${prefix}-m2`, start + 3, { ...s, source: 'bot', text: 'done' }),
    );
    tasks.forEach((task, i) => add(taskCompleted(`${prefix}-t${i}`, start + 2 + (i % 2), { ...s, task, inputId: i % 2 === 0 ? `${prefix}-i1` : `${prefix}-i2` })));
  };
  session('a', 'c1', 's1', 0, ['Order Placement', 'Account Registration', 'Order Placement']);
  session('b', 'c2', 's2', 10, ['Appointment Booking', 'Information Retrieval']);
  session('c', 'c2', 's3', 48, ['Order Placement', 'Information Retrieval']);
  session('d', 'c3', 's4', 20, ['Information Retrieval', 'Order Placement', 'Information Retrieval', 'Appointment Booking']);
  session('e', 'c2', 's5', 30, ['Account Registration']);
  add(
    // The same input record twice: the newer event (by time, then id) wins.
    input('a-in1-overwrite', 0, { contactId: 'c1', sessionId: 's1', inputId: 'a-i1', intent: 'cancel' }),
    handover('h1', 5, { sessionId: 's1', userId: 'c1', escalationId: 'esc-1', status: 'opened', inboxName: 'Support', labels: ['a'] }),
    handover('h2', 6, { sessionId: 's1', userId: undefined, escalationId: 'esc-1', status: 'assigned', agentName: 'Ann' }),
    handover('h3', 6, { sessionId: 's1', userId: undefined, escalationId: 'esc-1', status: 'resolved', labels: ['a', 'b'] }),
    handover('h4', 12, { sessionId: 's2', userId: 'c2', escalationId: 'esc-2', status: 'opened' }),
    handover('h5', 51, { sessionId: 's3', userId: 'c2', escalationId: 'esc-3', status: 'opened' }),
    handover('h6', 31, { sessionId: 's5', userId: undefined, escalationId: 'esc-5', status: 'opened' }),
    message('e-c3-msg', 31, { contactId: 'c3', sessionId: 's5', source: 'agent', text: 'hi from c3' }),
    profileUpdated('pu1', 1, { contactId: 'c1', firstname: 'Ann', lastname: 'A', custom: { tier: 'gold', color: 'red' } }),
    profileUpdated('pu2', 4, { contactId: 'c1', lastname: null, custom: { color: null } }),
    profileUpdated('pu3', 4, { contactId: 'c1', lastname: 'B', age: 40 }),
    profileUpdated('pu4', 11, { contactId: 'c2', firstname: 'Bob', email: 'bob@x.test' }),
    profileUpdated('pu5', 55, { contactId: 'c2', firstname: 'Robert' }),
    profileUpdated('pu6', 21, { contactId: 'c3', firstname: 'Cy' }),
    profileDeleted('del-c2-early', 20, { contactId: 'c2' }),
    profileDeleted('del-c2', 50, { contactId: 'c2' }),
  );
  return validateEvents(events) as unknown as Event[];
}

const bytes = (s: string) => Buffer.from(s, 'utf8');
const instant = (e: Event) => parseTimestamp(e.timestamp) as Instant;

function inTimestampOrder(events: readonly Event[]): Event[] {
  return [...events].sort((a, b) => {
    const d = instant(a).micros - instant(b).micros;
    return d < 0n ? -1 : d > 0n ? 1 : Buffer.compare(bytes(a.id), bytes(b.id));
  });
}

/** Random batches of 1–6 events plus some redeliveries, all posted at once. */
async function deliverShuffled(h: IngestHarness, events: readonly Event[], seed: number): Promise<number[]> {
  const random = prng(seed);
  const shuffled = shuffle(events, random);
  const redelivered = shuffled.filter(() => random() < 0.1);
  const all = shuffle([...shuffled, ...redelivered], random);
  const batches: Event[][] = [];
  for (let i = 0; i < all.length; ) {
    const size = 1 + Math.floor(random() * 6);
    batches.push(all.slice(i, i + size));
    i += size;
  }
  const responses = await Promise.all(
    batches.map((batch) =>
      request(h.app).post('/api/v1/events').set('Authorization', `Bearer ${WRITE_KEY}`).set('Content-Type', 'application/json').send(JSON.stringify(batch)),
    ),
  );
  return responses.map((r) => r.status);
}

describe('out-of-order, concurrent delivery stores exactly what in-order processing stores', () => {
  const events = conversationEvents();
  let inOrder: TestDatabase;
  let expected: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    inOrder = await createTestDatabase();
    for (const e of inTimestampOrder(events)) await ingestEvents(inOrder.db, validateEvents([e]));
    expected = await snapshot(inOrder.db);
  });
  afterAll(() => inOrder.drop());

  it('the in-order run is the reference: c2 erased at t=50, later data kept', () => {
    const sessions = expected.sessions?.map((s) => [s.session_id, s.user_id, s.goals, s.steps_count]);
    expect(sessions).toEqual([
      ['s1', 'c1', 'Order Placement, Account Registration', 2],
      ['s3', 'c2', 'Information Retrieval', 0],
      ['s4', 'c3', 'Information Retrieval, Order Placement, Appointment Booking', 2],
    ]);
    const profiles = expected.contact_profiles?.map((p) => [p.contact_id, p.firstname, p.lastname, p.age, p.email, p.custom]);
    expect(profiles).toEqual([
      ['c1', 'Ann', 'B', 40, null, { tier: 'gold' }],
      ['c2', 'Robert', null, null, null, null],
      ['c3', 'Cy', null, null, null, null],
    ]);
    const c2Tasks = expected.contact_tasks?.filter((t) => t.contact_id === 'c2').map((t) => [t.task, t.completion_count]);
    expect(c2Tasks).toEqual([['Information Retrieval', 1]]);
    expect(expected.live_agent_escalations?.map((l) => [l.id, l.status, l.labels, l.agent_name])).toEqual([
      ['esc-1', 'resolved', 'a,b', 'Ann'],
      ['esc-3', 'opened', null, null],
    ]);
    expect(expected.erasures).toHaveLength(1);
    expect(expected.erased_sessions).toHaveLength(3);
    // Erased events keep only id, type, project and time.
    const erasedEvent = expected.events?.find((e) => e.event_id === 'b-in1');
    expect(erasedEvent).toEqual(expect.objectContaining({ contact_id: null, session_id: null, payload: null, for_analytics: false, for_profile: false }));
    expect(expected.analytics?.find((a) => a.input_id === 'a-i1')).toEqual(
      expect.objectContaining({ event_id: 'a-in1-overwrite', intent: 'cancel', completed_goals_list: 'Order Placement' }),
    );
  });

  // Group commit on (the default) writes concurrent requests together; off, each request has its own transaction.
  it.each([
    [1, 'true'],
    [2, 'true'],
    [1, 'false'],
  ])('shuffle %i, group commit %s: every table equals the in-order run', async (seed, groupCommit) => {
    const h = await createHarness({ INGEST_GROUP_COMMIT: groupCommit });
    try {
      const statuses = await deliverShuffled(h, events, seed);
      expect(statuses.every((s) => s === 200 || s === 201)).toBe(true);
      const actual = await snapshot(h.db);
      for (const table of Object.keys(expected)) {
        expect({ table, rows: actual[table] }).toEqual({ table, rows: expected[table] });
      }
    } finally {
      await h.close();
    }
  }, 180_000);
});
