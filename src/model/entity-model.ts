// OData names ↔ SQL names: the built-in entity sets (Cognigy v2.4 field names) over the tables of schema/*.sql.
import type { EdmPrimitive, EntityModel, EntitySetDef, NavigationDef, PropertyDef } from './edm';

interface Facets {
  readonly nullable?: boolean;
  readonly searchable?: boolean;
  readonly description?: string;
}

const REQUIRED: Facets = { nullable: false };
const SEARCHABLE: Facets = { searchable: true };

function property(type: EdmPrimitive, precision?: number) {
  return (name: string, column: string, facets: Facets = {}): PropertyDef => ({
    name,
    column,
    type,
    nullable: facets.nullable ?? true,
    ...(facets.searchable === true ? { searchable: true } : {}),
    ...(precision !== undefined ? { precision } : {}),
    ...(facets.description !== undefined ? { description: facets.description } : {}),
  });
}

const text = property('Edm.String');
const int32 = property('Edm.Int32');
const int64 = property('Edm.Int64');
const double = property('Edm.Double');
const bool = property('Edm.Boolean');
const date = property('Edm.Date');
// timestamptz keeps microseconds; without a declared precision CSDL means whole seconds.
const timestamp = property('Edm.DateTimeOffset', 6);

type Pairs = readonly (readonly [from: string, to: string])[];

function navigation(collection: boolean) {
  return (name: string, target: string, pairs: Pairs, description?: string): NavigationDef => ({
    name,
    target,
    collection,
    on: pairs.map(([from, to]) => ({ from, to })),
    ...(description !== undefined ? { description } : {}),
  });
}

const many = navigation(true);
const one = navigation(false);

// Every join keeps rows inside one project: ids are unique per project only.
const SAME_SESSION: Pairs = [
  ['projectId', 'projectId'],
  ['sessionId', 'sessionId'],
];
const SAME_CONTACT: Pairs = [
  ['projectId', 'projectId'],
  ['contactId', 'contactId'],
];

const EXTENSION = 'Extension: not part of the Cognigy OData feed.';

const analytics: EntitySetDef = {
  name: 'Analytics',
  typeName: 'Analytic',
  table: 'analytics',
  key: ['id'],
  projectProperty: 'projectId',
  description: 'One row per user input (Flow execution).',
  properties: [
    text('id', 'id', REQUIRED),
    text('organisation', 'organisation'),
    text('projectId', 'project_id', REQUIRED),
    text('flowReferenceId', 'flow_reference_id'),
    text('entrypoint', 'entrypoint'),
    text('ip', 'ip'),
    text('contactId', 'contact_id', { nullable: false, description: 'Hash of the user id.' }),
    text('sessionId', 'session_id', REQUIRED),
    text('inputId', 'input_id', REQUIRED),
    text('inputText', 'input_text', SEARCHABLE),
    text('inputData', 'input_data', { description: 'JSON text.' }),
    text('state', 'state'),
    text('mode', 'mode'),
    text('userType', 'user_type', { description: "'external' or 'admin' (Interaction Panel, Playbooks)." }),
    text('channel', 'channel'),
    text('flowLanguage', 'flow_language'),
    text('intent', 'intent', SEARCHABLE),
    text('intentFlow', 'intent_flow'),
    double('intentScore', 'intent_score'),
    text('completedGoalsList', 'completed_goals_list', {
      searchable: true,
      description: 'Tasks completed with this input, comma-separated.',
    }),
    text('foundSlots', 'found_slots'),
    text('foundSlotDetails', 'found_slot_details'),
    bool('understood', 'understood', { description: 'Deprecated by Cognigy.' }),
    timestamp('timestamp', 'occurred_at', REQUIRED),
    int32('executionTime', 'execution_time', { description: 'Milliseconds.' }),
    int32('execution', 'execution', { description: 'Number of Flow executions in the session so far.' }),
    text('custom1', 'custom1'),
    text('custom2', 'custom2'),
    text('custom3', 'custom3'),
    text('custom4', 'custom4'),
    text('custom5', 'custom5'),
    text('custom6', 'custom6'),
    text('custom7', 'custom7'),
    text('custom8', 'custom8'),
    text('custom9', 'custom9'),
    text('custom10', 'custom10'),
    text('localeReferenceId', 'locale_reference_id'),
    text('localeName', 'locale_name'),
    text('endpointUrlToken', 'endpoint_url_token'),
    text('endpointName', 'endpoint_name'),
    int32('rating', 'rating'),
    text('ratingComment', 'rating_comment', SEARCHABLE),
    text('snapshotName', 'snapshot_name'),
    text('flowName', 'flow_name', { searchable: true, description: EXTENSION }),
    text('projectName', 'project_name', { description: EXTENSION }),
  ],
  navigations: [one('session', 'Sessions', SAME_SESSION)],
};

const conversations: EntitySetDef = {
  name: 'Conversations',
  typeName: 'Conversation',
  table: 'conversations',
  key: ['id'],
  projectProperty: 'projectId',
  description: 'One row per message from the user, the bot, a human agent or a suggestion.',
  properties: [
    text('id', 'id', REQUIRED),
    text('projectId', 'project_id', REQUIRED),
    text('projectName', 'project_name'),
    text('inputId', 'input_id'),
    text('sessionId', 'session_id', REQUIRED),
    text('contactId', 'contact_id', { nullable: false, description: 'Raw user id.' }),
    text('organisation', 'organisation'),
    text('inputText', 'input_text', SEARCHABLE),
    text('inputData', 'input_data', { description: 'JSON text.' }),
    text('type', 'type', { nullable: false, description: "'input' or 'output'." }),
    text('source', 'source', { nullable: false, description: "'user', 'bot', 'agent' or 'suggestion'." }),
    timestamp('timestamp', 'occurred_at', REQUIRED),
    text('flowName', 'flow_name', SEARCHABLE),
    text('flowParentId', 'flow_parent_id'),
    text('channel', 'channel'),
    bool('inHandoverRequest', 'in_handover_request'),
    bool('inHandoverConversation', 'in_handover_conversation'),
    text('outputId', 'output_id'),
    text('inputAttachments', 'input_attachments', { description: 'JSON text: list of {url, name, type}.' }),
    text('reference', 'reference'),
    text('localeReferenceId', 'locale_reference_id'),
    text('endpointUrlToken', 'endpoint_url_token'),
    text('endpointName', 'endpoint_name'),
    text('snapshotId', 'snapshot_id'),
    text('snapshotName', 'snapshot_name'),
    int32('rating', 'rating'),
    text('ratingComment', 'rating_comment', SEARCHABLE),
  ],
  navigations: [one('session', 'Sessions', SAME_SESSION)],
};

const steps: EntitySetDef = {
  name: 'Steps',
  typeName: 'Step',
  table: 'steps',
  key: ['id'],
  projectProperty: 'projectId',
  description: 'Analytics steps (nodes and intents) that were executed at least once.',
  properties: [
    text('id', 'id', REQUIRED),
    text('projectId', 'project_id', REQUIRED),
    text('label', 'label', SEARCHABLE),
    text('type', 'type', { nullable: false, description: "'node' or 'intent'." }),
    text('entityReferenceId', 'entity_reference_id', REQUIRED),
    text('flowReferenceId', 'flow_reference_id'),
    text('flowName', 'flow_name', SEARCHABLE),
    text('projectName', 'project_name'),
    text('snapshotId', 'snapshot_id'),
    text('snapshotName', 'snapshot_name'),
    timestamp('lastSeenAt', 'last_seen_at', {
      nullable: false,
      description: `${EXTENSION} Time of the latest execution; lets clients refresh incrementally.`,
    }),
  ],
  navigations: [],
};

const executedSteps: EntitySetDef = {
  name: 'ExecutedSteps',
  typeName: 'ExecutedStep',
  table: 'executed_steps',
  key: ['id'],
  projectProperty: 'projectId',
  description: 'One row per executed step.',
  properties: [
    text('id', 'id', REQUIRED),
    text('userId', 'user_id', { nullable: false, description: 'Raw user id.' }),
    text('sessionId', 'session_id', REQUIRED),
    text('inputId', 'input_id'),
    text('stepLabel', 'step_label', SEARCHABLE),
    text('parentStep', 'parent_step', { description: 'entityReferenceId of the previous step.' }),
    text('type', 'type', REQUIRED),
    text('entityReferenceId', 'entity_reference_id', REQUIRED),
    text('flowReferenceId', 'flow_reference_id'),
    text('flowName', 'flow_name', SEARCHABLE),
    timestamp('timestamp', 'occurred_at', REQUIRED),
    text('projectName', 'project_name'),
    text('projectId', 'project_id', REQUIRED),
    text('organisationId', 'organisation_id'),
    text('snapshotId', 'snapshot_id'),
    text('snapshotName', 'snapshot_name'),
    text('localeReferenceId', 'locale_reference_id'),
    text('localeName', 'locale_name'),
    text('endpointUrlToken', 'endpoint_url_token'),
    text('endpointName', 'endpoint_name'),
  ],
  navigations: [
    one('session', 'Sessions', SAME_SESSION),
    one('step', 'Steps', [
      ['projectId', 'projectId'],
      ['entityReferenceId', 'entityReferenceId'],
    ]),
  ],
};

const sessions: EntitySetDef = {
  name: 'Sessions',
  typeName: 'Session',
  table: 'sessions',
  key: ['id'],
  projectProperty: 'projectId',
  description: 'One row per session.',
  properties: [
    text('id', 'id', REQUIRED),
    text('goals', 'goals', { searchable: true, description: 'Distinct tasks completed in the session, comma-separated.' }),
    text('stepPath', 'step_path', { description: 'entityReferenceIds in execution order, comma-separated.' }),
    int32('stepsCount', 'steps_count', REQUIRED),
    int32('handoverEscalations', 'handover_escalations', REQUIRED),
    timestamp('startedAt', 'started_at', REQUIRED),
    text('userId', 'user_id', { description: 'Raw user id.' }),
    text('sessionId', 'session_id', REQUIRED),
    text('localeReferenceId', 'locale_reference_id'),
    text('localeName', 'locale_name'),
    text('endpointReferenceId', 'endpoint_reference_id'),
    text('endpointName', 'endpoint_name'),
    text('projectName', 'project_name'),
    text('projectId', 'project_id', REQUIRED),
    text('organisationId', 'organisation_id'),
    text('snapshotId', 'snapshot_id'),
    text('snapshotName', 'snapshot_name'),
    text('endpointUrlToken', 'endpoint_url_token'),
    int32('rating', 'rating'),
    text('ratingComment', 'rating_comment', SEARCHABLE),
    timestamp('lastActivityAt', 'last_activity_at', { nullable: false, description: EXTENSION }),
    text('userType', 'user_type', { description: `${EXTENSION} 'external' or 'admin'.` }),
    text('channel', 'channel', { description: EXTENSION }),
  ],
  navigations: [
    many('analytics', 'Analytics', SAME_SESSION),
    many('conversations', 'Conversations', SAME_SESSION),
    many('executedSteps', 'ExecutedSteps', SAME_SESSION),
    many('completedTasks', 'CompletedTasks', SAME_SESSION),
    many('escalations', 'LiveAgentEscalations', SAME_SESSION),
    many('goalEvents', 'GoalEvents', SAME_SESSION),
    many('goalCycles', 'GoalCycles', SAME_SESSION),
  ],
};

const liveAgentEscalations: EntitySetDef = {
  name: 'LiveAgentEscalations',
  typeName: 'LiveAgentEscalation',
  table: 'live_agent_escalations',
  // Escalation ids come from the Live Agent account and repeat across projects.
  key: ['projectId', 'id'],
  projectProperty: 'projectId',
  description: 'One row per handover to a human agent.',
  properties: [
    text('id', 'id', REQUIRED),
    text('organisationId', 'organisation_id'),
    text('projectId', 'project_id', REQUIRED),
    text('sessionId', 'session_id', REQUIRED),
    timestamp('timestamp', 'occurred_at', REQUIRED),
    text('localeName', 'locale_name'),
    text('status', 'status', { nullable: false, description: "'opened', 'assigned', 'resolved' or 'abandoned'." }),
    text('inboxId', 'inbox_id'),
    text('inboxName', 'inbox_name', SEARCHABLE),
    text('teamId', 'team_id'),
    text('teamName', 'team_name', SEARCHABLE),
    text('labels', 'labels', { searchable: true, description: 'Comma-separated.' }),
    text('agentId', 'agent_id'),
    text('agentName', 'agent_name'),
    text('contactId', 'contact_id', { description: 'Live Agent contact id.' }),
    text('endpointName', 'endpoint_name'),
    text('endpointType', 'endpoint_type'),
    text('endpointUrlToken', 'endpoint_url_token'),
    text('channel', 'channel'),
    text('localeReferenceId', 'locale_reference_id'),
    text('snapshotId', 'snapshot_id'),
    text('snapshotName', 'snapshot_name'),
    timestamp('updatedAt', 'updated_at', { nullable: false, description: `${EXTENSION} Time of the latest status change.` }),
    text('userId', 'user_id', { description: `${EXTENSION} Raw user id.` }),
  ],
  navigations: [one('session', 'Sessions', SAME_SESSION)],
};

const contactProfiles: EntitySetDef = {
  name: 'ContactProfiles',
  typeName: 'ContactProfile',
  // A view: custom as JSON text, plus the task list (schema/002_odata_views.sql).
  table: 'odata_contact_profiles',
  key: ['projectId', 'contactId'],
  projectProperty: 'projectId',
  description: `${EXTENSION} One row per contact profile (end user).`,
  properties: [
    text('projectId', 'project_id', REQUIRED),
    text('contactId', 'contact_id', { nullable: false, description: 'User id (profileId in Cognigy).' }),
    text('firstname', 'firstname', SEARCHABLE),
    text('lastname', 'lastname', SEARCHABLE),
    text('email', 'email', SEARCHABLE),
    text('gender', 'gender'),
    int32('age', 'age'),
    date('birthday', 'birthday'),
    text('location', 'location', SEARCHABLE),
    bool('accepted_gdpr', 'accepted_gdpr'),
    bool('privacy_policy', 'privacy_policy_accepted', { description: 'Whether the user accepted the privacy policy.' }),
    timestamp('privacyPolicyAcceptedAt', 'privacy_policy_accepted_at'),
    text('custom', 'custom', { description: 'Custom profile fields as JSON text.' }),
    text('tasksCompleted', 'tasks_completed', {
      searchable: true,
      description: 'Distinct tasks the contact completed, comma-separated, in order of first completion.',
    }),
    timestamp('firstSeenAt', 'first_seen_at', REQUIRED),
    timestamp('lastSeenAt', 'last_seen_at', REQUIRED),
    timestamp('updatedAt', 'updated_at'),
  ],
  navigations: [
    many('tasks', 'ContactTasks', SAME_CONTACT),
    many('goals', 'ContactGoals', SAME_CONTACT),
    many('completedTasks', 'CompletedTasks', SAME_CONTACT),
    many('sessions', 'Sessions', [
      ['projectId', 'projectId'],
      ['contactId', 'userId'],
    ]),
  ],
};

const contactTasks: EntitySetDef = {
  name: 'ContactTasks',
  typeName: 'ContactTask',
  table: 'contact_tasks',
  key: ['projectId', 'contactId', 'task'],
  projectProperty: 'projectId',
  description: `${EXTENSION} Per contact and task: first and last completion and how often.`,
  properties: [
    text('projectId', 'project_id', REQUIRED),
    text('contactId', 'contact_id', REQUIRED),
    text('task', 'task', { nullable: false, searchable: true }),
    timestamp('firstCompletedAt', 'first_completed_at', REQUIRED),
    timestamp('lastCompletedAt', 'last_completed_at', REQUIRED),
    int32('count', 'completion_count', REQUIRED),
    text('lastSessionId', 'last_session_id'),
  ],
  navigations: [one('contactProfile', 'ContactProfiles', SAME_CONTACT)],
};

const completedTasks: EntitySetDef = {
  name: 'CompletedTasks',
  typeName: 'CompletedTask',
  table: 'completed_tasks',
  key: ['id'],
  projectProperty: 'projectId',
  description: `${EXTENSION} One row per completed task (Complete Task node, api.completeGoal).`,
  properties: [
    text('id', 'id', REQUIRED),
    text('projectId', 'project_id', REQUIRED),
    text('organisationId', 'organisation_id'),
    text('contactId', 'contact_id', { nullable: false, description: 'Raw user id.' }),
    text('sessionId', 'session_id', REQUIRED),
    text('inputId', 'input_id'),
    text('task', 'task', { nullable: false, searchable: true }),
    text('flowReferenceId', 'flow_id'),
    text('flowName', 'flow_name', SEARCHABLE),
    text('nodeId', 'node_id'),
    text('channel', 'channel'),
    text('userType', 'user_type'),
    timestamp('timestamp', 'occurred_at', REQUIRED),
  ],
  navigations: [one('session', 'Sessions', SAME_SESSION), one('contactProfile', 'ContactProfiles', SAME_CONTACT)],
};

// Goals (the Track Goal node): Cognigy's v2.4 Goals, GoalSteps, GoalStepMetrics and GoalEvents, plus GoalCycles and
// ContactGoals. Versions are UUIDs, unique across projects, so a version and a step or metric id make a key.
const SAME_GOAL: Pairs = [
  ['projectId', 'projectId'],
  ['goalId', 'goalId'],
];
const SAME_VERSION: Pairs = [...SAME_GOAL, ['version', 'version']];
const SAME_CYCLE: Pairs = [...SAME_SESSION, ['goalId', 'goalId'], ['goalCycleId', 'goalCycleId']];

const goals: EntitySetDef = {
  name: 'Goals',
  typeName: 'Goal',
  table: 'goals',
  key: ['projectId', 'goalId'],
  projectProperty: 'projectId',
  description: 'One row per goal, in its current version.',
  properties: [
    text('goalId', 'goal_id', REQUIRED),
    text('name', 'name', { nullable: false, searchable: true }),
    text('version', 'version', { nullable: false, description: 'UUID of the current version; new on every change.' }),
    text('description', 'description', SEARCHABLE),
    text('referenceId', 'reference_id'),
    text('projectId', 'project_id', REQUIRED),
    text('organisationId', 'organisation_id'),
    timestamp('createdAt', 'created_at', REQUIRED),
    timestamp('lastChanged', 'last_changed', { nullable: false, description: 'Strictly increasing over all goals.' }),
    text('createdBy', 'created_by'),
    text('lastChangedBy', 'last_changed_by'),
  ],
  navigations: [
    many('steps', 'GoalSteps', SAME_VERSION, 'The steps of the current version.'),
    many('metrics', 'GoalStepMetrics', SAME_VERSION, 'The metrics of the current version.'),
    many('events', 'GoalEvents', SAME_GOAL),
    many('cycles', 'GoalCycles', SAME_GOAL),
  ],
};

const goalSteps: EntitySetDef = {
  name: 'GoalSteps',
  typeName: 'GoalStep',
  table: 'goal_steps',
  key: ['version', 'goalStepId'],
  projectProperty: 'projectId',
  description: 'One row per step of every version of every goal.',
  properties: [
    text('goalStepId', 'step_id', REQUIRED),
    text('name', 'name', { nullable: false, searchable: true }),
    text('version', 'version', { nullable: false, description: 'The goal version the step belongs to.' }),
    text('description', 'description', SEARCHABLE),
    int32('order', 'step_order', REQUIRED),
    text('text', 'text'),
    text('type', 'type', { description: "'start', 'completion' or null." }),
    text('goalId', 'goal_id', REQUIRED),
    text('projectId', 'project_id', REQUIRED),
    text('organisationId', 'organisation_id'),
  ],
  navigations: [
    one('goal', 'Goals', SAME_GOAL),
    many('metrics', 'GoalStepMetrics', [...SAME_VERSION, ['goalStepId', 'goalStepId']]),
    many('events', 'GoalEvents', [...SAME_VERSION, ['goalStepId', 'stepId']]),
  ],
};

const goalStepMetrics: EntitySetDef = {
  name: 'GoalStepMetrics',
  typeName: 'GoalStepMetric',
  table: 'goal_step_metrics',
  key: ['version', 'goalStepMetricId'],
  projectProperty: 'projectId',
  description: 'One row per metric of every step of every goal version.',
  properties: [
    text('goalStepMetricId', 'metric_id', REQUIRED),
    text('name', 'name', { nullable: false, searchable: true }),
    text('version', 'version', REQUIRED),
    text('description', 'description'),
    text('type', 'type', { nullable: false, description: "'duration' (seconds) or 'currency' (the project's currency)." }),
    int32('value', 'value', REQUIRED),
    text('goalId', 'goal_id', REQUIRED),
    text('goalStepId', 'step_id', REQUIRED),
    text('projectId', 'project_id', REQUIRED),
    text('organisationId', 'organisation_id'),
    text('benefit', 'benefit', { nullable: false, description: `${EXTENSION} 'timeSaved', 'costSavings' or 'revenue'.` }),
  ],
  navigations: [one('goal', 'Goals', SAME_GOAL), one('step', 'GoalSteps', [...SAME_VERSION, ['goalStepId', 'goalStepId']])],
};

const goalEvents: EntitySetDef = {
  name: 'GoalEvents',
  typeName: 'GoalEvent',
  // A view: only the hits that belong to a goal cycle (schema/003_goals.sql).
  table: 'odata_goal_events',
  key: ['id'],
  projectProperty: 'projectId',
  description: 'One row per tracked step hit (a Track Goal node with several steps gives several rows).',
  properties: [
    text('id', 'id', { nullable: false, description: 'Event id and step id, joined by a colon.' }),
    text('version', 'version', { nullable: false, description: 'The goal version in force when the event arrived.' }),
    timestamp('timestamp', 'occurred_at', { nullable: false, description: 'The n-th step of one event is dated n microseconds after it.' }),
    text('goalCycleId', 'goal_cycle_id', REQUIRED),
    text('stepId', 'step_id', REQUIRED),
    text('goalId', 'goal_id', REQUIRED),
    text('sessionId', 'session_id', REQUIRED),
    text('projectId', 'project_id', REQUIRED),
    text('organisationId', 'organisation_id'),
    timestamp('expiresAt', 'expires_at', { description: 'When the goalEvents retention period removes the row.' }),
    text('localeName', 'locale_name'),
    text('endpointName', 'endpoint_name'),
    text('endpointType', 'endpoint_type'),
    text('endpointUrlToken', 'endpoint_url_token'),
    text('channel', 'channel'),
    text('localeReferenceId', 'locale_reference_id'),
    text('snapshotId', 'snapshot_id'),
    text('snapshotName', 'snapshot_name'),
  ],
  navigations: [
    one('session', 'Sessions', SAME_SESSION),
    one('goal', 'Goals', SAME_GOAL),
    one('step', 'GoalSteps', [...SAME_VERSION, ['stepId', 'goalStepId']]),
    one('cycle', 'GoalCycles', SAME_CYCLE),
  ],
};

const goalCycles: EntitySetDef = {
  name: 'GoalCycles',
  typeName: 'GoalCycle',
  table: 'goal_cycles',
  key: ['id'],
  projectProperty: 'projectId',
  description: `${EXTENSION} One row per goal cycle (a start step and the steps that followed it in the session).`,
  properties: [
    text('id', 'id', { nullable: false, description: 'Derived from project, session, goal and goalCycleId.' }),
    text('goalCycleId', 'goal_cycle_id', REQUIRED),
    text('goalId', 'goal_id', REQUIRED),
    text('version', 'version', { nullable: false, description: 'Goal version of the start step; status and metrics follow it.' }),
    text('sessionId', 'session_id', REQUIRED),
    text('contactId', 'contact_id', { description: 'Raw user id: the first one given by the cycle\'s events.' }),
    text('status', 'status', { nullable: false, description: "'incomplete', 'partially completed' or 'completed'." }),
    timestamp('startedAt', 'started_at', REQUIRED),
    timestamp('lastStepAt', 'last_step_at', REQUIRED),
    timestamp('completedAt', 'completed_at', { description: 'Time of the first completion step; null unless completed.' }),
    int32('stepsReached', 'steps_reached', { nullable: false, description: 'Distinct steps hit, the start step included.' }),
    int64('timeSavedSeconds', 'time_saved_seconds', { nullable: false, description: 'Duration metrics of the steps reached.' }),
    int64('costSavings', 'cost_savings', { nullable: false, description: 'Currency metrics (cost savings) of the steps reached.' }),
    int64('revenue', 'revenue', { nullable: false, description: 'Currency metrics (revenue) of the steps reached.' }),
    text('channel', 'channel'),
    text('projectId', 'project_id', REQUIRED),
  ],
  navigations: [
    one('session', 'Sessions', SAME_SESSION),
    one('goal', 'Goals', SAME_GOAL),
    many('events', 'GoalEvents', SAME_CYCLE),
    one('contactProfile', 'ContactProfiles', SAME_CONTACT),
  ],
};

const contactGoals: EntitySetDef = {
  name: 'ContactGoals',
  typeName: 'ContactGoal',
  // A view over the completed goal cycles of contacts with a profile (schema/003_goals.sql).
  table: 'contact_goals',
  key: ['projectId', 'contactId', 'goalId'],
  projectProperty: 'projectId',
  description: `${EXTENSION} Per contact and goal: first and last completion and how often.`,
  properties: [
    text('projectId', 'project_id', REQUIRED),
    text('contactId', 'contact_id', REQUIRED),
    text('goalId', 'goal_id', REQUIRED),
    timestamp('firstCompletedAt', 'first_completed_at', REQUIRED),
    timestamp('lastCompletedAt', 'last_completed_at', REQUIRED),
    int32('count', 'completion_count', REQUIRED),
    text('lastSessionId', 'last_session_id'),
    text('lastGoalCycleId', 'last_cycle_id'),
  ],
  navigations: [one('contactProfile', 'ContactProfiles', SAME_CONTACT), one('goal', 'Goals', SAME_GOAL)],
};

/** Freezes a model or a part of one, recursively, so no stage can change it in place. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** THE model: every built-in entity set, in $metadata order. */
export const taskfeedModel: EntityModel = deepFreeze({
  namespace: 'Taskfeed',
  containerName: 'Container',
  entitySets: [
    analytics,
    conversations,
    steps,
    executedSteps,
    sessions,
    liveAgentEscalations,
    contactProfiles,
    contactTasks,
    completedTasks,
    goals,
    goalSteps,
    goalStepMetrics,
    goalEvents,
    goalCycles,
    contactGoals,
  ],
});

// Lookups are exact-case: OData identifiers are case-sensitive.

/** findEntitySet(taskfeedModel, 'Sessions') → the Sessions set; 'sessions' → undefined. */
export function findEntitySet(model: EntityModel, name: string): EntitySetDef | undefined {
  return model.entitySets.find((s) => s.name === name);
}

/** findProperty(sessions, 'startedAt') → { column: 'started_at', type: 'Edm.DateTimeOffset', … }. */
export function findProperty(set: EntitySetDef, name: string): PropertyDef | undefined {
  return set.properties.find((p) => p.name === name);
}

/** findNavigation(sessions, 'analytics') → { target: 'Analytics', collection: true, on: […] }. */
export function findNavigation(set: EntitySetDef, name: string): NavigationDef | undefined {
  return set.navigations.find((n) => n.name === name);
}
