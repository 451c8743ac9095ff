import type { IngestEvent } from '../../../src/ingest/events';
import { hashId, maskEvent, planEvent, toEventRow, tombstoneKey, type Tombstones } from '../../../src/ingest/privacy';
import { defaultSettings, type ProjectSettings } from '../../../src/ingest/settings';
import { parseTimestamp, type Instant } from '../../../src/ingest/time';
import { validateEvents } from '../../../src/ingest/validate';

const ts = '2025-03-01T09:00:00Z';
const at = parseTimestamp(ts) as Instant;
const now = at.micros + 86_400_000_000n;
const ctx = { projectId: 'p1', timestamp: ts, contactId: 'c1', sessionId: 's1' };

const [inputEvent, messageEvent, stepEvent, taskEvent, handoverEvent, profileEvent, deletedEvent] = validateEvents([
  { id: 'in', type: 'input', ...ctx, inputId: 'i1', inputText: 'secret', inputData: { card: 1 }, ip: '10.0.0.1', intent: 'pay' },
  { id: 'msg', type: 'message', ...ctx, source: 'user', text: 'secret', data: 'x' },
  { id: 'st', type: 'step.executed', ...ctx, entityReferenceId: 'n1', stepType: 'node' },
  { id: 'tk', type: 'task.completed', ...ctx, task: 'Order Placement' },
  { id: 'ho', type: 'handover', projectId: 'p1', timestamp: ts, sessionId: 's1', escalationId: 'x', userId: 'c1' },
  { id: 'pu', type: 'profile.updated', projectId: 'p1', timestamp: ts, contactId: 'c1', firstname: 'A' },
  { id: 'pd', type: 'profile.deleted', projectId: 'p1', timestamp: ts, contactId: 'c1' },
]) as IngestEvent[];
const all = [inputEvent, messageEvent, stepEvent, taskEvent, handoverEvent, profileEvent, deletedEvent] as IngestEvent[];

const none: Tombstones = { contacts: new Map(), sessions: new Map(), links: new Map() };
const settings = (s: Partial<ProjectSettings>): ProjectSettings => ({ ...defaultSettings('p1'), ...s });

describe('maskEvent', () => {
  it('maskSensitive masks inputText, inputData and ip of inputs and text and data of messages', () => {
    expect(maskEvent(inputEvent as IngestEvent, { maskSensitive: true, maskIp: false })).toEqual({ ...inputEvent, inputText: '****', inputData: '****', ip: '****' });
    expect(maskEvent(messageEvent as IngestEvent, { maskSensitive: true, maskIp: false })).toEqual({ ...messageEvent, text: '****', data: '****' });
  });

  it('maskIp masks the ip only', () => {
    expect(maskEvent(inputEvent as IngestEvent, { maskSensitive: false, maskIp: true })).toEqual({ ...inputEvent, ip: '****' });
  });

  it('leaves absent fields absent and other events untouched', () => {
    const bare = validateEvents([{ id: 'b', type: 'input', ...ctx, inputId: 'i2' }])[0] as IngestEvent;
    expect(maskEvent(bare, { maskSensitive: true, maskIp: true })).toEqual({ ...bare, ip: undefined, inputText: undefined, inputData: undefined });
    expect(maskEvent(taskEvent as IngestEvent, { maskSensitive: true, maskIp: true })).toBe(taskEvent);
  });
});

describe('planEvent', () => {
  const plan = (s: Partial<ProjectSettings>, tombstones = none) =>
    all.map((e) => {
      const p = planEvent(e, at, settings(s), tombstones, now);
      return [e.type, p.forAnalytics, p.forProfile, p.forCatalog, p.dropped ?? null];
    });

  it('defaults: everything is kept', () => {
    expect(plan({})).toEqual([
      ['input', true, true, false, null],
      ['message', true, true, false, null],
      ['step.executed', true, true, true, null],
      ['task.completed', true, true, false, null],
      ['handover', true, false, false, null],
      ['profile.updated', false, true, false, null],
      ['profile.deleted', false, false, false, null],
    ]);
  });

  it('collectAnalytics=false: analytics events dropped, tasks still reach the profile', () => {
    expect(plan({ collectAnalytics: false })).toEqual([
      ['input', false, false, false, 'analytics-disabled'],
      ['message', false, false, false, 'analytics-disabled'],
      ['step.executed', false, false, false, 'analytics-disabled'],
      ['task.completed', false, true, false, null],
      ['handover', false, false, false, 'analytics-disabled'],
      ['profile.updated', false, true, false, null],
      ['profile.deleted', false, false, false, null],
    ]);
  });

  it('contactProfiles=false: nothing reaches a profile', () => {
    expect(plan({ contactProfiles: false }).map((row) => [row[0], row[2], row[4]])).toEqual([
      ['input', false, null],
      ['message', false, null],
      ['step.executed', false, null],
      ['task.completed', false, null],
      ['handover', false, null],
      ['profile.updated', false, 'profiles-disabled'],
      ['profile.deleted', false, null],
    ]);
  });

  it('an erased contact: events dated at or before the erasure are dropped; the step still names its catalog entry', () => {
    const tombstones: Tombstones = { ...none, contacts: new Map([[tombstoneKey('p1', hashId('c1')), at.micros]]) };
    expect(plan({}, tombstones).map((row) => [row[0], row[3], row[4]])).toEqual([
      ['input', false, 'erased'],
      ['message', false, 'erased'],
      ['step.executed', true, 'erased'],
      ['task.completed', false, 'erased'],
      ['handover', false, 'erased'],
      ['profile.updated', false, 'erased'],
      ['profile.deleted', false, null],
    ]);
    const later: Tombstones = { ...none, contacts: new Map([[tombstoneKey('p1', hashId('c1')), at.micros - 1n]]) };
    expect(plan({}, later).every((row) => row[4] === null)).toBe(true);
  });

  it('an erased session drops the events of anyone in it', () => {
    const tombstones: Tombstones = { ...none, sessions: new Map([[tombstoneKey('p1', 's1'), at.micros]]) };
    expect(plan({}, tombstones).map((row) => row[4])).toEqual(['erased', 'erased', 'erased', 'erased', 'erased', null, null]);
  });

  it('events older than the events retention are dropped as expired', () => {
    const p = planEvent(taskEvent as IngestEvent, at, settings({ retention: { ...defaultSettings('p1').retention, events: 1 } }), none, at.micros + 86_400_000_001n);
    expect(p.dropped).toBe('expired');
  });
});

describe('toEventRow', () => {
  it('a kept event keeps contact, session and the masked payload', () => {
    const p = planEvent(inputEvent as IngestEvent, at, settings({ maskSensitive: true }), none, now);
    expect(toEventRow(p)).toEqual({
      event_id: 'in',
      type: 'input',
      project_id: 'p1',
      contact_id: 'c1',
      session_id: 's1',
      occurred_at: '2025-03-01T09:00:00.000000Z',
      payload: expect.objectContaining({ inputText: '****', intent: 'pay' }),
      for_analytics: true,
      for_profile: true,
    });
  });

  it('a dropped event and an erasure keep only id, type, project and time', () => {
    for (const e of [inputEvent, deletedEvent] as IngestEvent[]) {
      const p = planEvent(e, at, settings({ collectAnalytics: false }), none, now);
      expect(toEventRow(p)).toEqual({
        event_id: e.id,
        type: e.type,
        project_id: 'p1',
        contact_id: null,
        session_id: null,
        occurred_at: '2025-03-01T09:00:00.000000Z',
        payload: null,
        for_analytics: false,
        for_profile: false,
      });
    }
  });
});
