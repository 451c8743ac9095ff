import { erasuresOf, tombstonesInForce, type TimedEvent } from '../../../src/ingest/erasure';
import type { IngestEvent } from '../../../src/ingest/events';
import { hashId, linkKey, tombstoneKey, type Tombstones } from '../../../src/ingest/privacy';
import { parseTimestamp, type Instant } from '../../../src/ingest/time';
import { validateEvents } from '../../../src/ingest/validate';

const at = (minute: number) => `2025-03-01T09:${String(minute).padStart(2, '0')}:00Z`;
const timed = (raw: Record<string, unknown>[]): TimedEvent[] =>
  (validateEvents(raw) as IngestEvent[]).map((event) => ({ event, at: parseTimestamp(event.timestamp) as Instant }));
const micros = (minute: number) => (parseTimestamp(at(minute)) as Instant).micros;
const none: Tombstones = { contacts: new Map(), sessions: new Map(), links: new Map() };

describe('erasure planning', () => {
  const events = timed([
    { id: 'd1', type: 'profile.deleted', projectId: 'p1', timestamp: at(10), contactId: 'c1' },
    { id: 'd2', type: 'profile.deleted', projectId: 'p1', timestamp: at(30), contactId: 'c1' },
    { id: 't1', type: 'task.completed', projectId: 'p1', timestamp: at(20), contactId: 'c1', sessionId: 'late', task: 'T' },
    { id: 't2', type: 'task.completed', projectId: 'p1', timestamp: at(40), contactId: 'c1', sessionId: 'after', task: 'T' },
    { id: 't3', type: 'task.completed', projectId: 'p1', timestamp: at(5), contactId: 'c2', sessionId: 'other', task: 'T' },
  ]);

  it('erasuresOf: one per contact, at the latest erasure time', () => {
    expect(erasuresOf(events).map((e) => [e.contactId, e.at.iso, e.eventIds])).toEqual([['c1', '2025-03-01T09:30:00.000000Z', ['d1', 'd2']]]);
  });

  it('takes stored sessions and sessions revealed by the batch, each at the erasure time', () => {
    const { tombstones, sessionErasures } = tombstonesInForce(none, erasuresOf(events), [{ projectId: 'p1', contactId: 'c1', sessionId: 'stored' }], events);
    const h = hashId('c1');
    expect(sessionErasures).toEqual([
      { project_id: 'p1', session_id: 'stored', contact_hash: h, erased_at: '2025-03-01T09:30:00.000000Z' },
      { project_id: 'p1', session_id: 'late', contact_hash: h, erased_at: '2025-03-01T09:30:00.000000Z' },
    ]);
    expect(tombstones.contacts).toEqual(new Map([[tombstoneKey('p1', h), micros(30)]]));
    expect(tombstones.sessions.get(tombstoneKey('p1', 'late'))).toBe(micros(30));
    expect(tombstones.sessions.has(tombstoneKey('p1', 'after'))).toBe(false);
    expect(tombstones.sessions.has(tombstoneKey('p1', 'other'))).toBe(false);
  });

  it('a stored tombstone that is already later takes nothing again', () => {
    const h = hashId('c1');
    const stored: Tombstones = {
      contacts: new Map([[tombstoneKey('p1', h), micros(50)]]),
      sessions: new Map([[tombstoneKey('p1', 'late'), micros(50)]]),
      links: new Map([[linkKey('p1', 'late', h), micros(50)]]),
    };
    const { tombstones, sessionErasures } = tombstonesInForce(stored, erasuresOf(events), [], events);
    expect(sessionErasures).toEqual([{ project_id: 'p1', session_id: 'after', contact_hash: h, erased_at: '2025-03-01T09:50:00.000000Z' }]);
    expect(tombstones.contacts.get(tombstoneKey('p1', h))).toBe(micros(50));
  });
});
