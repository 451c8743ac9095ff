import type { IngestEvent } from '../../../src/ingest/events';
import { lockKey, lockKeysOf, lockNamesOf } from '../../../src/ingest/locks';
import { validateEvents } from '../../../src/ingest/validate';

const ts = '2025-03-01T09:00:00Z';
const events = validateEvents([
  { id: 'a', type: 'task.completed', projectId: 'p1', timestamp: ts, contactId: 'c1', sessionId: 's1', task: 'T', inputId: 'i1' },
  { id: 'b', type: 'step.executed', projectId: 'p1', timestamp: ts, contactId: 'c1', sessionId: 's1', entityReferenceId: 'n1', stepType: 'node' },
  { id: 'c', type: 'handover', projectId: 'p1', timestamp: ts, sessionId: 's1', escalationId: 'x' },
  { id: 'd', type: 'profile.deleted', projectId: 'p1', timestamp: ts, contactId: 'c2' },
]) as IngestEvent[];

describe('locks', () => {
  it('names what each event writes', () => {
    expect(events.map(lockNamesOf)).toEqual([
      ['session\np1\ns1', 'contact\np1\nc1', 'input\np1\ni1'],
      ['session\np1\ns1', 'contact\np1\nc1', 'step\np1\nn1'],
      ['session\np1\ns1', 'escalation\np1\nx'],
      ['contact\np1\nc2'],
    ]);
  });

  it('lockKey is the first 8 bytes of SHA-256 as a signed 64-bit number', () => {
    expect(lockKey('')).toBe('-2039914840885289964');
    expect(BigInt(lockKey('session\np1\ns1'))).toBeGreaterThanOrEqual(-(2n ** 63n));
  });

  it('lockKeysOf: distinct keys in ascending order, whatever the order of the events', () => {
    const keys = lockKeysOf(events);
    expect(keys).toHaveLength(6);
    expect(keys.map(BigInt)).toEqual([...keys.map(BigInt)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(lockKeysOf([...events].reverse())).toEqual(keys);
  });

  it('adds the sessions and contacts an erasure reaches', () => {
    const keys = lockKeysOf(events.slice(3), [{ projectId: 'p1', sessionId: 's9' }], [{ projectId: 'p1', contactId: 'c7' }]);
    expect(new Set(keys)).toEqual(new Set([lockKey('contact\np1\nc2'), lockKey('session\np1\ns9'), lockKey('contact\np1\nc7')]));
  });
});
