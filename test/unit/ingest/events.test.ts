import { validateEvent, validateEvents } from '../../../src/ingest/validate';
import { AppError } from '../../../src/errors';

const base = { projectId: 'p1', timestamp: '2025-03-01T09:00:00Z' };

const valid: [string, Record<string, unknown>][] = [
  ['task.completed (minimal)', { id: 'e1', type: 'task.completed', ...base, contactId: 'c', sessionId: 's', task: 'Order Placement' }],
  [
    'task.completed (every field)',
    {
      id: 'e1',
      type: 'task.completed',
      ...base,
      contactId: 'c',
      sessionId: 's',
      task: 'Order Placement',
      inputId: 'i',
      flowId: 'f',
      flowName: 'Main',
      nodeId: 'n',
      channel: 'webchat3',
      userType: 'admin',
      organisationId: 'o',
      localeName: 'en',
      snapshotId: null,
    },
  ],
  ['input with inputData object', { id: 'e2', type: 'input', ...base, contactId: 'c', sessionId: 's', inputId: 'i', inputData: { a: [1, { b: null }] }, rating: -1 }],
  ['input with inputData string', { id: 'e2', type: 'input', ...base, contactId: 'c', sessionId: 's', inputId: 'i', inputData: '{"a":1}', custom10: 'x'.repeat(1024) }],
  ['input with nulls for optional fields', { id: 'e2', type: 'input', ...base, contactId: 'c', sessionId: 's', inputId: 'i', intent: null, intentScore: null, rating: null }],
  [
    'message with attachments',
    { id: 'e3', type: 'message', ...base, contactId: 'c', sessionId: 's', source: 'agent', messageType: 'output', attachments: [{ url: 'https://x', name: 'a', type: 'image/png' }] },
  ],
  ['step.executed', { id: 'e4', type: 'step.executed', ...base, contactId: 'c', sessionId: 's', entityReferenceId: 'n1', stepType: 'intent', parentStep: 'n0' }],
  ['handover', { id: 'e5', type: 'handover', ...base, escalationId: 'x', sessionId: 's', status: 'abandoned', labels: ['vip', 'billing'] }],
  ['profile.updated with nulls', { id: 'e6', type: 'profile.updated', ...base, contactId: 'c', firstname: null, age: 0, birthday: '2000-02-29', privacy_policy: true }],
  ['profile.updated with custom fields', { id: 'e6', type: 'profile.updated', ...base, contactId: 'c', custom: { Tier_1: 'gold', score: 3, vip: true, obj: { a: 1 }, gone: null } }],
  ['profile.deleted', { id: 'e7', type: 'profile.deleted', ...base, contactId: 'c' }],
  ['a timestamp with +hh:mm', { id: 'e7', type: 'profile.deleted', ...base, timestamp: '2025-03-01T10:00:00.123456+01:00', contactId: 'c' }],
  ['a timestamp with -hhmm and no seconds', { id: 'e7', type: 'profile.deleted', ...base, timestamp: '2025-03-01T04:00-0500', contactId: 'c' }],
];

describe('event schemas: accepted payloads', () => {
  it.each(valid)('%s', (_name, payload) => {
    const result = validateEvent(payload, 0);
    expect(result).toEqual({ event: expect.objectContaining({ id: payload.id, type: payload.type }) });
  });

  it('custom field names are stored in lower case', () => {
    const result = validateEvent({ id: 'e', type: 'profile.updated', ...base, contactId: 'c', custom: { Tier: 'gold' } }, 0);
    expect(result).toEqual({ event: expect.objectContaining({ custom: { tier: 'gold' } }) });
  });

  it('privacy_policy.acceptedAt is kept as sent', () => {
    const result = validateEvent({ id: 'e', type: 'profile.updated', ...base, contactId: 'c', privacy_policy: { accepted: true, acceptedAt: '2025-03-01T10:00:00+01:00' } }, 0);
    expect(result).toEqual({ event: expect.objectContaining({ privacy_policy: { accepted: true, acceptedAt: '2025-03-01T10:00:00+01:00' } }) });
  });
});

const task = { id: 'e1', type: 'task.completed', ...base, contactId: 'c', sessionId: 's', task: 'T' };

const invalid: [string, unknown, string, string][] = [
  ['not an object', 'hello', '', 'each event must be a JSON object'],
  ['an array', [task], '', 'each event must be a JSON object'],
  ['no type', { ...task, type: undefined }, 'type', 'is required; one of task.completed, input, message, step.executed, handover, profile.updated, profile.deleted, goal.step'],
  ['an unknown type', { ...task, type: 'task.done' }, 'type', 'must be one of task.completed, input, message, step.executed, handover, profile.updated, profile.deleted, goal.step'],
  ['a typo', { ...task, sesionId: 's' }, 'sesionId', "unknown field; did you mean 'sessionId'?"],
  ['an unrelated unknown field', { ...task, colour: 'red' }, 'colour', 'unknown field'],
  ['an empty id', { ...task, id: '' }, 'id', 'must not be empty'],
  ['an id of 257 characters', { ...task, id: 'x'.repeat(257) }, 'id', 'must be at most 256 characters'],
  ['a task name of 257 characters', { ...task, task: 'x'.repeat(257) }, 'task', 'must be at most 256 characters'],
  ['a number as id', { ...task, id: 7 }, 'id', 'must be of type string'],
  ['a project id with a colon', { ...task, projectId: 'a:b' }, 'projectId', 'must be 1–128 characters of A–Z, a–z, 0–9, ".", "_", "~" or "-"'],
  ['a timestamp without offset', { ...task, timestamp: '2025-03-01T09:00:00' }, 'timestamp', 'must include a UTC offset (Z or ±hh:mm)'],
  ['a date only', { ...task, timestamp: '2025-03-01' }, 'timestamp', 'must be an ISO 8601 date-time with offset, e.g. 2025-03-01T09:30:00Z'],
  ['February 30th', { ...task, timestamp: '2025-02-30T09:00:00Z' }, 'timestamp', 'is not a valid calendar date'],
  ['hour 24', { ...task, timestamp: '2025-03-01T24:00:00Z' }, 'timestamp', 'is not a valid time of day'],
  ['year 0000', { ...task, timestamp: '0000-01-01T00:00:00Z' }, 'timestamp', 'is not a valid calendar date'],
  ['offset +15:00', { ...task, timestamp: '2025-03-01T09:00:00+15:00' }, 'timestamp', 'has an offset outside ±14:00'],
  ['a bad userType', { ...task, userType: 'robot' }, 'userType', 'Invalid option: expected one of "external"|"admin"'],
  ['a rating of 0', { id: 'e', type: 'input', ...base, contactId: 'c', sessionId: 's', inputId: 'i', rating: 0 }, 'rating', 'must be -1 or 1'],
  ['a fractional execution time', { id: 'e', type: 'input', ...base, contactId: 'c', sessionId: 's', inputId: 'i', executionTime: 1.5 }, 'executionTime', 'must be an integer'],
  ['custom11', { id: 'e', type: 'input', ...base, contactId: 'c', sessionId: 's', inputId: 'i', custom11: 'x' }, 'custom11', "unknown field; did you mean 'custom1'?"],
  ['custom1 over 1024 characters', { id: 'e', type: 'input', ...base, contactId: 'c', sessionId: 's', inputId: 'i', custom1: 'x'.repeat(1025) }, 'custom1', 'must be at most 1024 characters'],
  ['a message without source', { id: 'e', type: 'message', ...base, contactId: 'c', sessionId: 's' }, 'source', 'is required'],
  ['an attachment with a typo', { id: 'e', type: 'message', ...base, contactId: 'c', sessionId: 's', source: 'bot', attachments: [{ url: 'u', nmae: 'x' }] }, 'attachments[0].nmae', "unknown field; did you mean 'name'?"],
  ['a step type of "flow"', { id: 'e', type: 'step.executed', ...base, contactId: 'c', sessionId: 's', entityReferenceId: 'n', stepType: 'flow' }, 'stepType', 'Invalid option: expected one of "node"|"intent"'],
  ['a label with a comma', { id: 'e', type: 'handover', ...base, escalationId: 'x', sessionId: 's', labels: ['a,b'] }, 'labels[0]', 'must not contain a comma (labels are stored comma-separated)'],
  ['an unknown escalation status', { id: 'e', type: 'handover', ...base, escalationId: 'x', sessionId: 's', status: 'closed' }, 'status', 'Invalid option: expected one of "opened"|"assigned"|"resolved"|"abandoned"'],
  ['an age of 151', { id: 'e', type: 'profile.updated', ...base, contactId: 'c', age: 151 }, 'age', 'Too big: expected number to be <=150'],
  ['birthday 2023-02-29', { id: 'e', type: 'profile.updated', ...base, contactId: 'c', birthday: '2023-02-29' }, 'birthday', 'must be a calendar date YYYY-MM-DD'],
  ['a custom field name with a space', { id: 'e', type: 'profile.updated', ...base, contactId: 'c', custom: { 'my field': 1 } }, 'custom.my field', 'custom field names may use only A–Z, a–z, 0–9 and _ (at most 64)'],
  ['custom: null', { id: 'e', type: 'profile.updated', ...base, contactId: 'c', custom: null }, 'custom', 'must be of type record'],
  ['privacy_policy without accepted', { id: 'e', type: 'profile.updated', ...base, contactId: 'c', privacy_policy: { acceptedAt: '2025-03-01T09:00:00Z' } }, 'privacy_policy', 'has an invalid value'],
  ['a profile.deleted with extra data', { id: 'e', type: 'profile.deleted', ...base, contactId: 'c', firstname: 'x' }, 'firstname', 'unknown field'],
  ['a NUL character', { ...task, task: 'a\u0000' }, 'task', 'must not contain NUL characters'],
  ['a lone surrogate', { ...task, flowName: 'a\ud800' }, 'flowName', 'must be valid Unicode (lone surrogate found)'],
  ['a field name with NUL', { ...task, 'a\u0000': 1 }, '', 'has a field name that must not contain NUL characters'],
];

describe('event schemas: rejected payloads', () => {
  it.each(invalid)('%s', (_name, payload, target, message) => {
    const result = validateEvent(payload, 3);
    expect(result).toEqual({ issues: [expect.objectContaining({ code: 'INGEST_INVALID', index: 3, target, message })] });
  });

  it('reports every problem of an event, and the id when it has one', () => {
    const result = validateEvent({ id: 'bad', type: 'task.completed', projectId: 'p1', timestamp: 'yesterday', contactId: 'c', sessionId: '', tsk: 'x' }, 0);
    expect(result).toEqual({
      issues: [
        { code: 'INGEST_INVALID', index: 0, id: 'bad', target: 'timestamp', message: 'must be an ISO 8601 date-time with offset, e.g. 2025-03-01T09:30:00Z' },
        { code: 'INGEST_INVALID', index: 0, id: 'bad', target: 'sessionId', message: 'must not be empty' },
        { code: 'INGEST_INVALID', index: 0, id: 'bad', target: 'task', message: 'is required' },
        { code: 'INGEST_INVALID', index: 0, id: 'bad', target: 'tsk', message: "unknown field; did you mean 'task'?" },
      ],
    });
  });

  it('validateEvents throws one INGEST_INVALID error listing all invalid events', () => {
    let thrown: unknown;
    try {
      validateEvents([task, { ...task, id: 'x', task: '' }, 5]);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    const err = thrown as AppError;
    expect([err.status, err.code, err.message]).toEqual([400, 'INGEST_INVALID', '2 of 3 events invalid; nothing was stored']);
    expect(err.details?.map((d) => [(d as { index?: number }).index, d.target])).toEqual([
      [1, 'task'],
      [2, ''],
    ]);
  });
});
