import type { InputEvent, MessageEvent, StepExecutedEvent, TaskCompletedEvent } from '../../../src/ingest/events';
import {
  ANALYTICS_COLUMNS,
  COMPLETED_TASK_COLUMNS,
  CONVERSATION_COLUMNS,
  EXECUTED_STEP_COLUMNS,
  jsonTextOf,
  STEP_COLUMNS,
  toAnalyticsRow,
  toCompletedTaskRow,
  toConversationRow,
  toExecutedStepRow,
  toStepRow,
} from '../../../src/ingest/rows';
import { parseTimestamp, type Instant } from '../../../src/ingest/time';
import { validateEvents } from '../../../src/ingest/validate';

const ts = '2025-03-01T10:00:00+01:00';
const at = parseTimestamp(ts) as Instant;
const ctx = { projectId: 'p1', timestamp: ts, contactId: 'c1', sessionId: 's1' };
const [task, input, message, step] = validateEvents([
  { id: 't', type: 'task.completed', ...ctx, task: 'Order Placement', inputId: 'i1' },
  { id: 'i', type: 'input', ...ctx, inputId: 'i1', inputData: { a: 1 }, foundSlots: ['DATE'], custom3: 'x' },
  { id: 'm', type: 'message', ...ctx, source: 'bot', attachments: [{ url: 'u' }] },
  { id: 's', type: 'step.executed', ...ctx, entityReferenceId: 'n1', stepType: 'intent', stepLabel: 'L' },
]);

describe('row mappers', () => {
  it.each([
    ['completed_tasks', Object.keys(toCompletedTaskRow(task as TaskCompletedEvent, at)), COMPLETED_TASK_COLUMNS],
    ['analytics', Object.keys(toAnalyticsRow(input as InputEvent, at)), ANALYTICS_COLUMNS],
    ['conversations', Object.keys(toConversationRow(message as MessageEvent, at)), CONVERSATION_COLUMNS],
    ['executed_steps', Object.keys(toExecutedStepRow(step as StepExecutedEvent, at)), EXECUTED_STEP_COLUMNS],
    ['steps', Object.keys(toStepRow(step as StepExecutedEvent, at)), STEP_COLUMNS],
  ])('%s: a value for every column, in column order', (_table, keys, columns) => {
    expect(keys).toEqual(Object.keys(columns));
  });

  it('maps values: UTC time, JSON text, defaults and keys', () => {
    expect(toCompletedTaskRow(task as TaskCompletedEvent, at)).toEqual(
      expect.objectContaining({ id: 't', task: 'Order Placement', input_id: 'i1', flow_id: null, occurred_at: '2025-03-01T09:00:00.000000Z' }),
    );
    expect(toAnalyticsRow(input as InputEvent, at)).toEqual(
      expect.objectContaining({ id: 'p1:i1', event_id: 'i', input_data: '{"a":1}', found_slots: '["DATE"]', custom3: 'x', custom4: null }),
    );
    expect(toConversationRow(message as MessageEvent, at)).toEqual(
      expect.objectContaining({ type: 'output', source: 'bot', input_attachments: '[{"url":"u"}]', input_text: null }),
    );
    expect(toStepRow(step as StepExecutedEvent, at)).toEqual(expect.objectContaining({ id: 'p1:n1', label: 'L', type: 'intent', last_event_id: 's' }));
  });

  it.each([
    [undefined, null],
    [null, null],
    ['{"raw":true}', '{"raw":true}'],
    [{ a: [1] }, '{"a":[1]}'],
    [5, '5'],
  ])('jsonTextOf(%j) → %j', (value, text) => {
    expect(jsonTextOf(value)).toBe(text);
  });
});
