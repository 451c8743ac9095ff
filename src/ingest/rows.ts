// masked IngestEvent → table rows: the column layout of every table an event writes, and one mapper per event type.
import type { InputEvent, MessageEvent, StepExecutedEvent, TaskCompletedEvent } from './events';
import type { Instant } from './time';

type ColumnType = 'text' | 'integer' | 'boolean' | 'double precision' | 'timestamptz' | 'jsonb';
type Columns = Readonly<Record<string, ColumnType>>;

type ValueOf<T extends ColumnType> = T extends 'text'
  ? string | null
  : T extends 'integer' | 'double precision'
    ? number | null
    : T extends 'boolean'
      ? boolean | null
      : T extends 'timestamptz'
        ? string
        : unknown;

/** A row whose keys are exactly the table's columns (checked by the compiler). */
export type RowOf<C extends Columns> = { -readonly [K in keyof C]: ValueOf<C[K]> };

export const EVENT_COLUMNS = {
  event_id: 'text',
  type: 'text',
  project_id: 'text',
  contact_id: 'text',
  session_id: 'text',
  occurred_at: 'timestamptz',
  payload: 'jsonb',
  for_analytics: 'boolean',
  for_profile: 'boolean',
} as const satisfies Columns;

export const COMPLETED_TASK_COLUMNS = {
  id: 'text',
  project_id: 'text',
  organisation_id: 'text',
  contact_id: 'text',
  session_id: 'text',
  input_id: 'text',
  task: 'text',
  flow_id: 'text',
  flow_name: 'text',
  node_id: 'text',
  channel: 'text',
  user_type: 'text',
  occurred_at: 'timestamptz',
} as const satisfies Columns;

const CUSTOM_COLUMNS = {
  custom1: 'text',
  custom2: 'text',
  custom3: 'text',
  custom4: 'text',
  custom5: 'text',
  custom6: 'text',
  custom7: 'text',
  custom8: 'text',
  custom9: 'text',
  custom10: 'text',
} as const satisfies Columns;

export const ANALYTICS_COLUMNS = {
  id: 'text',
  event_id: 'text',
  project_id: 'text',
  organisation: 'text',
  input_id: 'text',
  session_id: 'text',
  contact_id: 'text',
  flow_reference_id: 'text',
  flow_name: 'text',
  project_name: 'text',
  entrypoint: 'text',
  ip: 'text',
  input_text: 'text',
  input_data: 'text',
  state: 'text',
  mode: 'text',
  user_type: 'text',
  channel: 'text',
  flow_language: 'text',
  intent: 'text',
  intent_flow: 'text',
  intent_score: 'double precision',
  found_slots: 'text',
  found_slot_details: 'text',
  understood: 'boolean',
  occurred_at: 'timestamptz',
  execution_time: 'integer',
  execution: 'integer',
  ...CUSTOM_COLUMNS,
  locale_reference_id: 'text',
  locale_name: 'text',
  endpoint_url_token: 'text',
  endpoint_name: 'text',
  rating: 'integer',
  rating_comment: 'text',
  snapshot_name: 'text',
} as const satisfies Columns;

export const CONVERSATION_COLUMNS = {
  id: 'text',
  project_id: 'text',
  project_name: 'text',
  organisation: 'text',
  input_id: 'text',
  session_id: 'text',
  contact_id: 'text',
  input_text: 'text',
  input_data: 'text',
  type: 'text',
  source: 'text',
  occurred_at: 'timestamptz',
  flow_name: 'text',
  flow_parent_id: 'text',
  channel: 'text',
  in_handover_request: 'boolean',
  in_handover_conversation: 'boolean',
  output_id: 'text',
  input_attachments: 'text',
  reference: 'text',
  locale_reference_id: 'text',
  endpoint_url_token: 'text',
  endpoint_name: 'text',
  snapshot_id: 'text',
  snapshot_name: 'text',
  rating: 'integer',
  rating_comment: 'text',
} as const satisfies Columns;

export const EXECUTED_STEP_COLUMNS = {
  id: 'text',
  project_id: 'text',
  organisation_id: 'text',
  project_name: 'text',
  user_id: 'text',
  session_id: 'text',
  input_id: 'text',
  step_label: 'text',
  parent_step: 'text',
  type: 'text',
  entity_reference_id: 'text',
  flow_reference_id: 'text',
  flow_name: 'text',
  snapshot_id: 'text',
  snapshot_name: 'text',
  locale_reference_id: 'text',
  locale_name: 'text',
  endpoint_url_token: 'text',
  endpoint_name: 'text',
  occurred_at: 'timestamptz',
} as const satisfies Columns;

export const STEP_COLUMNS = {
  id: 'text',
  project_id: 'text',
  entity_reference_id: 'text',
  label: 'text',
  type: 'text',
  flow_reference_id: 'text',
  flow_name: 'text',
  project_name: 'text',
  snapshot_id: 'text',
  snapshot_name: 'text',
  last_seen_at: 'timestamptz',
  last_event_id: 'text',
} as const satisfies Columns;

export type EventRow = RowOf<typeof EVENT_COLUMNS>;
export type CompletedTaskRow = RowOf<typeof COMPLETED_TASK_COLUMNS>;
export type AnalyticsRow = RowOf<typeof ANALYTICS_COLUMNS>;
export type ConversationRow = RowOf<typeof CONVERSATION_COLUMNS>;
export type ExecutedStepRow = RowOf<typeof EXECUTED_STEP_COLUMNS>;
export type StepRow = RowOf<typeof STEP_COLUMNS>;

const orNull = <T>(value: T | null | undefined): T | null => (value === undefined ? null : value);

/** Values Cognigy exports as JSON text (inputData, foundSlots, …): strings as sent, anything else serialised. */
export function jsonTextOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Composite keys of the derived tables: sessions.id and steps.id are `${projectId}:${…}` (project ids contain no ':'). */
export function scopedId(projectId: string, id: string): string {
  return `${projectId}:${id}`;
}

export function toCompletedTaskRow(e: TaskCompletedEvent, at: Instant): CompletedTaskRow {
  return {
    id: e.id,
    project_id: e.projectId,
    organisation_id: orNull(e.organisationId),
    contact_id: e.contactId,
    session_id: e.sessionId,
    input_id: orNull(e.inputId),
    task: e.task,
    flow_id: orNull(e.flowId),
    flow_name: orNull(e.flowName),
    node_id: orNull(e.nodeId),
    channel: orNull(e.channel),
    user_type: orNull(e.userType),
    occurred_at: at.iso,
  };
}

/** The row id is `${projectId}:${inputId}`: one Analytics record per input, the latest event for it wins. */
export function toAnalyticsRow(e: InputEvent, at: Instant): AnalyticsRow {
  return {
    id: scopedId(e.projectId, e.inputId),
    event_id: e.id,
    project_id: e.projectId,
    organisation: orNull(e.organisationId),
    input_id: e.inputId,
    session_id: e.sessionId,
    contact_id: e.contactId,
    flow_reference_id: orNull(e.flowReferenceId),
    flow_name: orNull(e.flowName),
    project_name: orNull(e.projectName),
    entrypoint: orNull(e.entrypoint),
    ip: orNull(e.ip),
    input_text: orNull(e.inputText),
    input_data: jsonTextOf(e.inputData),
    state: orNull(e.state),
    mode: orNull(e.mode),
    user_type: orNull(e.userType),
    channel: orNull(e.channel),
    flow_language: orNull(e.flowLanguage),
    intent: orNull(e.intent),
    intent_flow: orNull(e.intentFlow),
    intent_score: orNull(e.intentScore),
    found_slots: jsonTextOf(e.foundSlots),
    found_slot_details: jsonTextOf(e.foundSlotDetails),
    understood: orNull(e.understood),
    occurred_at: at.iso,
    execution_time: orNull(e.executionTime),
    execution: orNull(e.execution),
    custom1: orNull(e.custom1),
    custom2: orNull(e.custom2),
    custom3: orNull(e.custom3),
    custom4: orNull(e.custom4),
    custom5: orNull(e.custom5),
    custom6: orNull(e.custom6),
    custom7: orNull(e.custom7),
    custom8: orNull(e.custom8),
    custom9: orNull(e.custom9),
    custom10: orNull(e.custom10),
    locale_reference_id: orNull(e.localeReferenceId),
    locale_name: orNull(e.localeName),
    endpoint_url_token: orNull(e.endpointUrlToken),
    endpoint_name: orNull(e.endpointName),
    rating: orNull(e.rating),
    rating_comment: orNull(e.ratingComment),
    snapshot_name: orNull(e.snapshotName),
  };
}

export function toConversationRow(e: MessageEvent, at: Instant): ConversationRow {
  return {
    id: e.id,
    project_id: e.projectId,
    project_name: orNull(e.projectName),
    organisation: orNull(e.organisationId),
    input_id: orNull(e.inputId),
    session_id: e.sessionId,
    contact_id: e.contactId,
    input_text: orNull(e.text),
    input_data: jsonTextOf(e.data),
    type: e.messageType ?? (e.source === 'user' ? 'input' : 'output'),
    source: e.source,
    occurred_at: at.iso,
    flow_name: orNull(e.flowName),
    flow_parent_id: orNull(e.flowParentId),
    channel: orNull(e.channel),
    in_handover_request: orNull(e.inHandoverRequest),
    in_handover_conversation: orNull(e.inHandoverConversation),
    output_id: orNull(e.outputId),
    input_attachments: e.attachments === undefined || e.attachments === null ? null : JSON.stringify(e.attachments),
    reference: orNull(e.reference),
    locale_reference_id: orNull(e.localeReferenceId),
    endpoint_url_token: orNull(e.endpointUrlToken),
    endpoint_name: orNull(e.endpointName),
    snapshot_id: orNull(e.snapshotId),
    snapshot_name: orNull(e.snapshotName),
    rating: orNull(e.rating),
    rating_comment: orNull(e.ratingComment),
  };
}

export function toExecutedStepRow(e: StepExecutedEvent, at: Instant): ExecutedStepRow {
  return {
    id: e.id,
    project_id: e.projectId,
    organisation_id: orNull(e.organisationId),
    project_name: orNull(e.projectName),
    user_id: e.contactId,
    session_id: e.sessionId,
    input_id: orNull(e.inputId),
    step_label: orNull(e.stepLabel),
    parent_step: orNull(e.parentStep),
    type: e.stepType,
    entity_reference_id: e.entityReferenceId,
    flow_reference_id: orNull(e.flowReferenceId),
    flow_name: orNull(e.flowName),
    snapshot_id: orNull(e.snapshotId),
    snapshot_name: orNull(e.snapshotName),
    locale_reference_id: orNull(e.localeReferenceId),
    locale_name: orNull(e.localeName),
    endpoint_url_token: orNull(e.endpointUrlToken),
    endpoint_name: orNull(e.endpointName),
    occurred_at: at.iso,
  };
}

/** The Steps catalog entry this event proposes; the latest event by (timestamp, id) wins. */
export function toStepRow(e: StepExecutedEvent, at: Instant): StepRow {
  return {
    id: scopedId(e.projectId, e.entityReferenceId),
    project_id: e.projectId,
    entity_reference_id: e.entityReferenceId,
    label: orNull(e.stepLabel),
    type: e.stepType,
    flow_reference_id: orNull(e.flowReferenceId),
    flow_name: orNull(e.flowName),
    project_name: orNull(e.projectName),
    snapshot_id: orNull(e.snapshotId),
    snapshot_name: orNull(e.snapshotName),
    last_seen_at: at.iso,
    last_event_id: e.id,
  };
}
