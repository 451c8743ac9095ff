// unknown JSON value → IngestEvent: the event contract of POST /api/v1/events as zod schemas, one strict object per event type.
import { z } from 'zod';
import { GoalStepEventSchema, type GoalStepEvent } from './goal-events';
import { identifier, name, projectId, sessionContext, text, timestamp } from './event-fields';
import { isCalendarDate } from './time';

const longText = text(100_000);
const int32 = z.int().min(0).max(2_147_483_647);
const rating = z.union([z.literal(-1), z.literal(1)], { error: 'must be -1 or 1' });
const jsonValue = z.json();

// Values that are stored as JSON text (Analytics inputData, foundSlots, …): a string is kept as is.
const jsonText = jsonValue;

const base = {
  id: identifier,
  projectId,
  timestamp,
};

export const TaskCompletedEventSchema = z.strictObject({
  ...base,
  type: z.literal('task.completed'),
  ...sessionContext,
  contactId: identifier,
  sessionId: identifier,
  task: identifier,
  inputId: identifier.nullish(),
  flowId: identifier.nullish(),
  flowName: name.nullish(),
  nodeId: identifier.nullish(),
});

const customFields = Object.fromEntries(
  Array.from({ length: 10 }, (_, i) => [`custom${i + 1}`, text(1024).nullish()] as const),
) as Record<`custom${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10}`, z.ZodOptional<z.ZodNullable<z.ZodString>>>;

export const InputEventSchema = z.strictObject({
  ...base,
  type: z.literal('input'),
  ...sessionContext,
  contactId: identifier,
  sessionId: identifier,
  inputId: identifier,
  inputText: longText.nullish(),
  inputData: jsonText.optional(),
  intent: name.nullish(),
  intentFlow: name.nullish(),
  intentScore: z.number().nullish(),
  understood: z.boolean().nullish(),
  state: name.nullish(),
  mode: name.nullish(),
  flowLanguage: name.nullish(),
  flowReferenceId: identifier.nullish(),
  flowName: name.nullish(),
  entrypoint: identifier.nullish(),
  ip: text(64).nullish(),
  executionTime: int32.nullish(),
  execution: int32.nullish(),
  foundSlots: jsonText.optional(),
  foundSlotDetails: jsonText.optional(),
  ...customFields,
  rating: rating.nullish(),
  ratingComment: longText.nullish(),
});

const attachment = z.strictObject({
  url: text(4096),
  name: name.nullish(),
  type: name.nullish(),
});

export const MessageEventSchema = z.strictObject({
  ...base,
  type: z.literal('message'),
  ...sessionContext,
  contactId: identifier,
  sessionId: identifier,
  source: z.enum(['user', 'bot', 'agent', 'suggestion']),
  /** Cognigy's Conversations.type; defaults to 'input' for source 'user', otherwise 'output'. */
  messageType: z.enum(['input', 'output']).nullish(),
  inputId: identifier.nullish(),
  outputId: identifier.nullish(),
  text: longText.nullish(),
  data: jsonText.optional(),
  flowName: name.nullish(),
  flowParentId: identifier.nullish(),
  inHandoverRequest: z.boolean().nullish(),
  inHandoverConversation: z.boolean().nullish(),
  attachments: z.array(attachment).max(100).nullish(),
  reference: name.nullish(),
  rating: rating.nullish(),
  ratingComment: longText.nullish(),
});

export const StepExecutedEventSchema = z.strictObject({
  ...base,
  type: z.literal('step.executed'),
  ...sessionContext,
  contactId: identifier,
  sessionId: identifier,
  inputId: identifier.nullish(),
  entityReferenceId: identifier,
  stepType: z.enum(['node', 'intent']),
  stepLabel: name.nullish(),
  parentStep: identifier.nullish(),
  flowReferenceId: identifier.nullish(),
  flowName: name.nullish(),
});

const label = z
  .string()
  .min(1, 'must not be empty')
  .max(256)
  .refine((v) => !v.includes(','), 'must not contain a comma (labels are stored comma-separated)');

export const HandoverEventSchema = z.strictObject({
  ...base,
  type: z.literal('handover'),
  ...sessionContext,
  escalationId: identifier,
  sessionId: identifier,
  /** The end user (the contactId of the other event types). */
  userId: identifier.nullish(),
  /** The Live Agent contact id (OData LiveAgentEscalations.contactId). */
  contactId: identifier.nullish(),
  status: z.enum(['opened', 'assigned', 'resolved', 'abandoned']).nullish(),
  inboxId: identifier.nullish(),
  inboxName: name.nullish(),
  teamId: identifier.nullish(),
  teamName: name.nullish(),
  labels: z.array(label).max(100).nullish(),
  agentId: identifier.nullish(),
  agentName: name.nullish(),
  endpointType: name.nullish(),
});

const customKey = /^[A-Za-z0-9_]{1,64}$/;

const customFieldsObject = z
  .record(z.string().regex(customKey, 'custom field names may use only A–Z, a–z, 0–9 and _ (at most 64)'), jsonValue)
  .superRefine((value, ctx) => {
    const seen = new Set<string>();
    const keys = Object.keys(value);
    if (keys.length > 100) ctx.addIssue({ code: 'custom', message: 'at most 100 custom fields per event' });
    for (const key of keys) {
      const lower = key.toLowerCase();
      if (seen.has(lower)) ctx.addIssue({ code: 'custom', path: [key], message: 'custom field names are case-insensitive; this one is given twice' });
      seen.add(lower);
    }
  })
  // Internal names are case-insensitive (as in Cognigy's profile schema): store them in lower case.
  .transform((value) => Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v])));

const privacyPolicy = z.union([
  z.boolean(),
  z.strictObject({ accepted: z.boolean(), acceptedAt: timestamp.nullish() }),
]);

/** Every profile field may be null, which clears it; an absent field is left as it is. */
export const ProfileUpdatedEventSchema = z.strictObject({
  ...base,
  type: z.literal('profile.updated'),
  contactId: identifier,
  firstname: name.nullable().optional(),
  lastname: name.nullable().optional(),
  email: text(320).nullable().optional(),
  gender: name.nullable().optional(),
  age: z.int().min(0).max(150).nullable().optional(),
  birthday: z.string().refine(isCalendarDate, 'must be a calendar date YYYY-MM-DD').nullable().optional(),
  location: name.nullable().optional(),
  accepted_gdpr: z.boolean().nullable().optional(),
  privacy_policy: privacyPolicy.nullable().optional(),
  custom: customFieldsObject.optional(),
});

export const ProfileDeletedEventSchema = z.strictObject({
  ...base,
  type: z.literal('profile.deleted'),
  contactId: identifier,
});

export const EVENT_SCHEMAS = [
  TaskCompletedEventSchema,
  InputEventSchema,
  MessageEventSchema,
  StepExecutedEventSchema,
  HandoverEventSchema,
  ProfileUpdatedEventSchema,
  ProfileDeletedEventSchema,
  // Goals (src/ingest/goal-events.ts, src/ingest/goal-cycles.ts).
  GoalStepEventSchema,
] as const;

export const IngestEventSchema = z.discriminatedUnion('type', EVENT_SCHEMAS);

export type TaskCompletedEvent = z.infer<typeof TaskCompletedEventSchema>;
export type InputEvent = z.infer<typeof InputEventSchema>;
export type MessageEvent = z.infer<typeof MessageEventSchema>;
export type StepExecutedEvent = z.infer<typeof StepExecutedEventSchema>;
export type HandoverEvent = z.infer<typeof HandoverEventSchema>;
export type ProfileUpdatedEvent = z.infer<typeof ProfileUpdatedEventSchema>;
export type ProfileDeletedEvent = z.infer<typeof ProfileDeletedEventSchema>;
export type IngestEvent = z.infer<typeof IngestEventSchema>;
export type EventType = IngestEvent['type'];

export const EVENT_TYPES: readonly EventType[] = EVENT_SCHEMAS.map((s) => s.shape.type.value);

/** Events that belong to a conversation session. */
export type SessionEvent = TaskCompletedEvent | InputEvent | MessageEvent | StepExecutedEvent | HandoverEvent | GoalStepEvent;

export function isSessionEvent(event: IngestEvent): event is SessionEvent {
  return event.type !== 'profile.updated' && event.type !== 'profile.deleted';
}

/** The end user an event is about (the handover's userId, everyone else's contactId). */
export function endUserOf(event: IngestEvent): string | undefined {
  if (event.type === 'handover') return event.userId ?? undefined;
  if (event.type === 'goal.step') return event.contactId ?? undefined;
  return event.contactId;
}
