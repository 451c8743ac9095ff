// planned rows and affected keys → CompiledQuery: the ingestion's SQL. Rows travel as one JSON parameter per table.
import { raw, render, sql, type CompiledQuery, type Sql } from '../sql/fragment';
import {
  ANALYTICS_COLUMNS,
  COMPLETED_TASK_COLUMNS,
  CONVERSATION_COLUMNS,
  EVENT_COLUMNS,
  EXECUTED_STEP_COLUMNS,
  STEP_COLUMNS,
  type AnalyticsRow,
  type CompletedTaskRow,
  type ConversationRow,
  type EventRow,
  type ExecutedStepRow,
  type StepRow,
} from './rows';

// Ties on time are broken by event id in byte order, so the order does not depend on the database's collation.
const BY_TIME = 'occurred_at, event_id COLLATE "C"';
const BY_TIME_DESC = 'occurred_at DESC, event_id COLLATE "C" DESC';

type Columns = Readonly<Record<string, string>>;

const names = (columns: Columns, prefix = '') => Object.keys(columns).map((c) => `${prefix}${c}`).join(', ');
const definitions = (columns: Columns) => Object.entries(columns).map(([c, t]) => `${c} ${t}`).join(', ');

/** json_to_recordset($n::json) AS alias(col type, …): a whole table's worth of rows in one parameter. */
function recordset(rows: readonly object[], columns: Columns, alias: string): Sql {
  return sql`json_to_recordset(${JSON.stringify(rows)}::json) AS ${raw(`${alias}(${definitions(columns)})`)}`;
}

/** `a` is newer than `b` by (time, event id). */
const newer = (aTime: string, aId: string, bTime: string, bId: string) =>
  `(${aTime} > ${bTime} OR (${aTime} = ${bTime} AND ${aId} COLLATE "C" > ${bId} COLLATE "C"))`;

// ---------------------------------------------------------------------------------------------
// Locks and state

/** Takes the transaction's advisory locks in the order given (ascending; see locks.ts). */
export const LOCK_SQL = 'SELECT count(pg_advisory_xact_lock(k::bigint)) AS locked FROM json_array_elements_text($1::json) AS k';

/**
 * Settings of the batch's projects and the erasure tombstones of its contacts and sessions, read after the locks so
 * an erasure committed by a transaction we waited for is seen. $1 project ids, $2 [{p, h}] hashed contacts,
 * $3 [{p, s}] sessions (one row per contact that took the session).
 */
export const STATE_SQL = `SELECT
  (SELECT coalesce(json_agg(s), '[]'::json) FROM project_settings s
    WHERE s.project_id IN (SELECT json_array_elements_text($1::json))) AS settings,
  (SELECT coalesce(json_agg(json_build_array(t.project_id, t.contact_hash, (extract(epoch FROM t.erased_at) * 1000000)::bigint::text)), '[]'::json)
    FROM erasures t JOIN json_to_recordset($2::json) AS k(p text, h text) ON t.project_id = k.p AND t.contact_hash = k.h) AS contacts,
  (SELECT coalesce(json_agg(json_build_array(t.project_id, t.session_id, t.contact_hash, (extract(epoch FROM t.erased_at) * 1000000)::bigint::text)), '[]'::json)
    FROM erased_sessions t JOIN json_to_recordset($3::json) AS k(p text, s text) ON t.project_id = k.p AND t.session_id = k.s) AS sessions`;

/**
 * The sessions an erasure takes with it: every session holding data of the contact dated at or before the erasure,
 * and every session an earlier erasure of the contact took. $1 [{p, c, h, t}]
 */
export const ERASURE_SESSIONS_SQL = `WITH er AS (SELECT * FROM json_to_recordset($1::json) AS r(p text, c text, h text, t timestamptz))
SELECT DISTINCT x.p AS project_id, x.c AS contact_id, x.s AS session_id FROM (
  SELECT er.p, er.c, e.session_id AS s FROM er JOIN events e ON e.project_id = er.p AND e.contact_id = er.c AND e.occurred_at <= er.t WHERE e.session_id IS NOT NULL
  UNION ALL SELECT er.p, er.c, s.session_id FROM er JOIN sessions s ON s.project_id = er.p AND s.user_id = er.c AND s.started_at <= er.t
  UNION ALL SELECT er.p, er.c, a.session_id FROM er JOIN analytics a ON a.project_id = er.p AND a.contact_id = er.c AND a.occurred_at <= er.t
  UNION ALL SELECT er.p, er.c, m.session_id FROM er JOIN conversations m ON m.project_id = er.p AND m.contact_id = er.c AND m.occurred_at <= er.t
  UNION ALL SELECT er.p, er.c, x.session_id FROM er JOIN executed_steps x ON x.project_id = er.p AND x.user_id = er.c AND x.occurred_at <= er.t
  UNION ALL SELECT er.p, er.c, ct.session_id FROM er JOIN completed_tasks ct ON ct.project_id = er.p AND ct.contact_id = er.c AND ct.occurred_at <= er.t
  UNION ALL SELECT er.p, er.c, l.session_id FROM er JOIN live_agent_escalations l ON l.project_id = er.p AND l.user_id = er.c AND l.occurred_at <= er.t
  UNION ALL SELECT er.p, er.c, x.session_id FROM er JOIN erased_sessions x ON x.project_id = er.p AND x.contact_hash = er.h
) x`;

// ---------------------------------------------------------------------------------------------
// Store: events first; everything else only for the events this statement actually inserted

export interface StoreInput {
  readonly events: readonly EventRow[];
  readonly completedTasks: readonly CompletedTaskRow[];
  readonly analytics: readonly AnalyticsRow[];
  readonly conversations: readonly ConversationRow[];
  readonly executedSteps: readonly ExecutedStepRow[];
  readonly steps: readonly StepRow[];
  /** Whether any event feeds a contact profile (profile row, per-contact task aggregate). */
  readonly touchesProfiles: boolean;
}

const updateAll = (columns: Columns, keep: readonly string[]) =>
  Object.keys(columns)
    .filter((c) => !keep.includes(c))
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(', ');

function appendOnly(table: string, columns: Columns, rows: readonly object[], idColumn: string): Sql {
  return sql`${raw(`${table}_new AS (INSERT INTO ${table} (${names(columns)}) SELECT ${names(columns, 'r.')} FROM `)}${recordset(rows, columns, 'r')}${raw(
    ` JOIN inserted i ON i.event_id = r.${idColumn} ON CONFLICT (id) DO NOTHING)`,
  )}`;
}

function analyticsUpsert(rows: readonly AnalyticsRow[]): Sql {
  const c = ANALYTICS_COLUMNS;
  return sql`${raw(`analytics_new AS (INSERT INTO analytics AS a (${names(c)}) SELECT DISTINCT ON (r.project_id, r.input_id) ${names(c, 'r.')} FROM `)}${recordset(rows, c, 'r')}${raw(
    ` JOIN inserted i ON i.event_id = r.event_id ORDER BY r.project_id, r.input_id, r.occurred_at DESC, r.event_id COLLATE "C" DESC
    ON CONFLICT (project_id, input_id) DO UPDATE SET ${updateAll(c, ['id', 'project_id', 'input_id'])}
    WHERE a.event_id IS NULL OR ${newer('EXCLUDED.occurred_at', 'EXCLUDED.event_id', 'a.occurred_at', 'a.event_id')})`,
  )}`;
}

function stepsUpsert(rows: readonly StepRow[]): Sql {
  const c = STEP_COLUMNS;
  // Idempotent by itself (the newest proposal wins), so duplicates and erased events may propose too.
  return sql`${raw(`steps_new AS (INSERT INTO steps AS st (${names(c)}) SELECT DISTINCT ON (r.project_id, r.entity_reference_id) ${names(c, 'r.')} FROM `)}${recordset(rows, c, 'r')}${raw(
    ` ORDER BY r.project_id, r.entity_reference_id, r.last_seen_at DESC, r.last_event_id COLLATE "C" DESC
    ON CONFLICT (project_id, entity_reference_id) DO UPDATE SET ${updateAll(c, ['id', 'project_id', 'entity_reference_id'])}
    WHERE ${newer('EXCLUDED.last_seen_at', 'EXCLUDED.last_event_id', 'st.last_seen_at', 'st.last_event_id')})`,
  )}`;
}

// Commutative merges (least, greatest, sum, newest-wins), so the order in which batches arrive does not matter.
const CONTACT_TASKS_MERGE = `contact_tasks_new AS (
    INSERT INTO contact_tasks AS ct (project_id, contact_id, task, first_completed_at, last_completed_at, completion_count, last_session_id, last_event_id)
    SELECT b.project_id, b.contact_id, b.payload->>'task', min(b.occurred_at), max(b.occurred_at), count(*)::integer,
      (array_agg(b.session_id ORDER BY b.occurred_at DESC, b.event_id COLLATE "C" DESC))[1],
      (array_agg(b.event_id ORDER BY b.occurred_at DESC, b.event_id COLLATE "C" DESC))[1]
    FROM batch b JOIN inserted i ON i.event_id = b.event_id
    WHERE b.type = 'task.completed' AND b.for_profile
    GROUP BY 1, 2, 3
    ON CONFLICT (project_id, contact_id, task) DO UPDATE SET
      first_completed_at = LEAST(ct.first_completed_at, EXCLUDED.first_completed_at),
      last_completed_at = GREATEST(ct.last_completed_at, EXCLUDED.last_completed_at),
      completion_count = ct.completion_count + EXCLUDED.completion_count,
      last_session_id = CASE WHEN ct.last_event_id IS NULL OR ${newer('EXCLUDED.last_completed_at', 'EXCLUDED.last_event_id', 'ct.last_completed_at', 'ct.last_event_id')}
        THEN EXCLUDED.last_session_id ELSE ct.last_session_id END,
      last_event_id = CASE WHEN ct.last_event_id IS NULL OR ${newer('EXCLUDED.last_completed_at', 'EXCLUDED.last_event_id', 'ct.last_completed_at', 'ct.last_event_id')}
        THEN EXCLUDED.last_event_id ELSE ct.last_event_id END)`;

const PROFILES_TOUCH = `profiles_seen AS (
    INSERT INTO contact_profiles AS cp (project_id, contact_id, first_seen_at, last_seen_at)
    SELECT b.project_id, b.contact_id, min(b.occurred_at), max(b.occurred_at)
    FROM batch b JOIN inserted i ON i.event_id = b.event_id
    WHERE b.for_profile AND b.contact_id IS NOT NULL
    GROUP BY 1, 2
    ON CONFLICT (project_id, contact_id) DO UPDATE SET
      first_seen_at = LEAST(cp.first_seen_at, EXCLUDED.first_seen_at),
      last_seen_at = GREATEST(cp.last_seen_at, EXCLUDED.last_seen_at))`;

/**
 * One statement: insert the events (ON CONFLICT DO NOTHING, in event-id order so concurrent batches sharing ids
 * cannot deadlock), then, joined to the ids actually inserted, the per-event rows and the commutative aggregates.
 * Returns the inserted event ids.
 */
export function storeQuery(input: StoreInput): CompiledQuery {
  const e = EVENT_COLUMNS;
  const parts: Sql[] = [
    sql`batch AS (SELECT * FROM ${recordset(input.events, e, 'b')})`,
    raw(`inserted AS (INSERT INTO events (${names(e)}) SELECT ${names(e)} FROM batch ORDER BY event_id COLLATE "C" ON CONFLICT (event_id) DO NOTHING RETURNING event_id)`),
  ];
  if (input.completedTasks.length > 0) parts.push(appendOnly('completed_tasks', COMPLETED_TASK_COLUMNS, input.completedTasks, 'id'));
  if (input.analytics.length > 0) parts.push(analyticsUpsert(input.analytics));
  if (input.conversations.length > 0) parts.push(appendOnly('conversations', CONVERSATION_COLUMNS, input.conversations, 'id'));
  if (input.executedSteps.length > 0) parts.push(appendOnly('executed_steps', EXECUTED_STEP_COLUMNS, input.executedSteps, 'id'));
  if (input.steps.length > 0) parts.push(stepsUpsert(input.steps));
  if (input.touchesProfiles) parts.push(raw(CONTACT_TASKS_MERGE), raw(PROFILES_TOUCH));
  return render(sql`WITH ${joinSql(parts, ',\n')}\nSELECT event_id FROM inserted`);
}

function joinSql(parts: readonly Sql[], separator: string): Sql {
  return parts.reduce<Sql | undefined>((acc, p) => (acc === undefined ? p : sql`${acc}${raw(separator)}${p}`), undefined) ?? raw('');
}

// ---------------------------------------------------------------------------------------------
// Recompute: derived rows rebuilt from all their source rows (so arrival order cannot matter)

export interface SessionKey {
  readonly project_id: string;
  readonly session_id: string;
}
export interface InputKey {
  readonly project_id: string;
  readonly input_id: string;
}
export interface EscalationKey {
  readonly project_id: string;
  readonly escalation_id: string;
}
export interface ContactKey {
  readonly project_id: string;
  readonly contact_id: string;
}

export interface RecomputeInput {
  readonly sessions: readonly SessionKey[];
  readonly inputs: readonly InputKey[];
  readonly escalations: readonly EscalationKey[];
  readonly profiles: readonly ContactKey[];
}

/** First non-null value by time (session context: the conversation's start decides). */
const first = (expr: string) => `(array_agg(${expr} ORDER BY ${BY_TIME}) FILTER (WHERE ${expr} IS NOT NULL))[1]`;
/** Newest non-null value by time. */
const latest = (expr: string) => `(array_agg(${expr} ORDER BY ${BY_TIME_DESC}) FILTER (WHERE ${expr} IS NOT NULL))[1]`;

/** Session columns folded from the payloads of the session's events: [column, payload field, rule]. */
const SESSION_FIELDS: readonly (readonly [string, string, 'first' | 'latest'])[] = [
  ['organisation_id', 'organisationId', 'first'],
  ['user_type', 'userType', 'first'],
  ['channel', 'channel', 'first'],
  ['locale_reference_id', 'localeReferenceId', 'first'],
  ['locale_name', 'localeName', 'first'],
  ['endpoint_reference_id', 'endpointReferenceId', 'first'],
  ['endpoint_name', 'endpointName', 'first'],
  ['endpoint_url_token', 'endpointUrlToken', 'first'],
  ['project_name', 'projectName', 'first'],
  ['snapshot_id', 'snapshotId', 'first'],
  ['snapshot_name', 'snapshotName', 'first'],
  ['rating_comment', 'ratingComment', 'latest'],
];

const SESSION_COLUMNS = [
  'id', 'project_id', 'session_id', 'user_id', 'started_at', 'last_activity_at', 'goals', 'step_path', 'steps_count',
  'handover_escalations', 'rating', ...SESSION_FIELDS.map(([c]) => c),
];

// Payload fields are extracted once per event (the CTE is materialised), not once per aggregate and filter.
const SESSIONS_RECOMPUTE = `session_keys AS (SELECT DISTINCT * FROM json_to_recordset($SESSIONS::json) AS k(project_id text, session_id text)),
  session_events AS (
    SELECT e.project_id, e.session_id, e.event_id, e.type, e.contact_id, e.occurred_at,
      e.payload->>'task' AS task, e.payload->>'entityReferenceId' AS step, e.payload->>'escalationId' AS escalation,
      (e.payload->>'rating')::integer AS rating,
      ${SESSION_FIELDS.map(([column, field]) => `e.payload->>'${field}' AS ${column}`).join(', ')}
    FROM session_keys k JOIN events e ON e.project_id = k.project_id AND e.session_id = k.session_id
    WHERE e.session_id IS NOT NULL AND e.for_analytics),
  session_goals AS (
    SELECT project_id, session_id, string_agg(task, ', ' ORDER BY ${BY_TIME}) AS goals
    FROM (SELECT DISTINCT ON (project_id, session_id, task) project_id, session_id, task, occurred_at, event_id
          FROM session_events WHERE type = 'task.completed'
          ORDER BY project_id, session_id, task, ${BY_TIME}) first_completions
    GROUP BY project_id, session_id),
  session_rows AS (
    SELECT project_id, session_id, min(occurred_at) AS started_at, max(occurred_at) AS last_activity_at,
      ${first('contact_id')} AS user_id,
      ${latest('rating')} AS rating,
      ${SESSION_FIELDS.map(([column, , rule]) => `${(rule === 'first' ? first : latest)(column)} AS ${column}`).join(',\n      ')},
      string_agg(step, ',' ORDER BY ${BY_TIME}) FILTER (WHERE type = 'step.executed') AS step_path,
      (count(*) FILTER (WHERE type = 'step.executed'))::integer AS steps_count,
      (count(DISTINCT escalation) FILTER (WHERE type = 'handover'))::integer AS handover_escalations
    FROM session_events GROUP BY project_id, session_id),
  sessions_new AS (
    INSERT INTO sessions (${SESSION_COLUMNS.join(', ')})
    SELECT r.project_id || ':' || r.session_id, r.project_id, r.session_id, r.user_id, r.started_at, r.last_activity_at, g.goals,
      r.step_path, r.steps_count, r.handover_escalations, r.rating, ${SESSION_FIELDS.map(([c]) => `r.${c}`).join(', ')}
    FROM session_rows r LEFT JOIN session_goals g ON g.project_id = r.project_id AND g.session_id = r.session_id
    ON CONFLICT (project_id, session_id) DO UPDATE SET ${SESSION_COLUMNS.filter((c) => !['id', 'project_id', 'session_id'].includes(c))
      .map((c) => `${c} = EXCLUDED.${c}`)
      .join(', ')})`;

// Only inputs that have an Analytics record are looked at (a task may arrive before its input).
const INPUT_GOALS_RECOMPUTE = `input_keys AS (SELECT DISTINCT * FROM json_to_recordset($INPUTS::json) AS k(project_id text, input_id text)),
  input_goals AS (
    SELECT a.id,
      (SELECT string_agg(f.task, ', ' ORDER BY f.occurred_at, f.id COLLATE "C")
         FROM (SELECT DISTINCT ON (ct.task) ct.task, ct.occurred_at, ct.id FROM completed_tasks ct
               WHERE ct.project_id = a.project_id AND ct.input_id = a.input_id
               ORDER BY ct.task, ct.occurred_at, ct.id COLLATE "C") f) AS goals
    FROM input_keys k JOIN analytics a ON a.project_id = k.project_id AND a.input_id = k.input_id),
  analytics_goals AS (
    UPDATE analytics a SET completed_goals_list = g.goals FROM input_goals g
    WHERE a.id = g.id AND a.completed_goals_list IS DISTINCT FROM g.goals)`;

/** Escalation columns: [column, payload field]; the newest event that carries a (non-null) value wins. */
const ESCALATION_FIELDS: readonly (readonly [string, string])[] = [
  ['organisation_id', 'organisationId'],
  ['session_id', 'sessionId'],
  ['inbox_id', 'inboxId'],
  ['inbox_name', 'inboxName'],
  ['team_id', 'teamId'],
  ['team_name', 'teamName'],
  ['agent_id', 'agentId'],
  ['agent_name', 'agentName'],
  ['contact_id', 'contactId'],
  ['endpoint_name', 'endpointName'],
  ['endpoint_type', 'endpointType'],
  ['endpoint_url_token', 'endpointUrlToken'],
  ['channel', 'channel'],
  ['locale_name', 'localeName'],
  ['locale_reference_id', 'localeReferenceId'],
  ['snapshot_id', 'snapshotId'],
  ['snapshot_name', 'snapshotName'],
];

const ESCALATION_COLUMNS = ['id', 'project_id', 'occurred_at', 'updated_at', 'status', 'labels', 'user_id', ...ESCALATION_FIELDS.map(([c]) => c)];

const ESCALATIONS_RECOMPUTE = `escalation_keys AS (SELECT DISTINCT * FROM json_to_recordset($ESCALATIONS::json) AS k(project_id text, escalation_id text)),
  escalation_events AS (
    SELECT e.project_id, e.payload->>'escalationId' AS escalation_id, e.event_id, e.contact_id, e.occurred_at, e.payload
    FROM escalation_keys k JOIN events e ON e.project_id = k.project_id AND e.type = 'handover' AND e.payload->>'escalationId' = k.escalation_id
    WHERE e.for_analytics),
  escalation_rows AS (
    SELECT project_id, escalation_id, min(occurred_at) AS occurred_at, max(occurred_at) AS updated_at,
      coalesce(${latest("payload->>'status'")}, 'opened') AS status,
      ${latest('contact_id')} AS user_id,
      (array_agg(payload->'labels' ORDER BY ${BY_TIME_DESC}) FILTER (WHERE jsonb_typeof(payload->'labels') = 'array'))[1] AS labels,
      ${ESCALATION_FIELDS.map(([column, field]) => `${latest(`payload->>'${field}'`)} AS ${column}`).join(',\n      ')}
    FROM escalation_events GROUP BY project_id, escalation_id),
  escalations_new AS (
    INSERT INTO live_agent_escalations (${ESCALATION_COLUMNS.join(', ')})
    SELECT r.escalation_id, r.project_id, r.occurred_at, r.updated_at, r.status,
      (SELECT nullif(string_agg(l.value, ',' ORDER BY l.n), '') FROM jsonb_array_elements_text(r.labels) WITH ORDINALITY AS l(value, n)),
      r.user_id, ${ESCALATION_FIELDS.map(([c]) => `r.${c}`).join(', ')}
    FROM escalation_rows r
    ON CONFLICT (project_id, id) DO UPDATE SET ${ESCALATION_COLUMNS.filter((c) => c !== 'id' && c !== 'project_id')
      .map((c) => `${c} = EXCLUDED.${c}`)
      .join(', ')})`;

/** Profile fields: the newest profile.updated event that carries the field wins, even when it carries null (which clears it). */
const PROFILE_TEXT_FIELDS = ['firstname', 'lastname', 'email', 'gender', 'location'];
const carried = (field: string) => `(array_agg(payload->'${field}' ORDER BY ${BY_TIME_DESC}) FILTER (WHERE payload ? '${field}'))[1]`;

const PROFILES_RECOMPUTE = `profile_keys AS (SELECT DISTINCT * FROM json_to_recordset($PROFILES::json) AS k(project_id text, contact_id text)),
  profile_events AS (
    SELECT e.project_id, e.contact_id, e.event_id, e.occurred_at, e.payload
    FROM profile_keys k JOIN events e ON e.project_id = k.project_id AND e.contact_id = k.contact_id
    WHERE e.contact_id IS NOT NULL AND e.type = 'profile.updated' AND e.for_profile),
  profile_fields AS (
    SELECT project_id, contact_id, max(occurred_at) AS updated_at,
      ${[...PROFILE_TEXT_FIELDS, 'age', 'birthday', 'accepted_gdpr', 'privacy_policy'].map((f) => `${carried(f)} AS ${f}`).join(',\n      ')}
    FROM profile_events GROUP BY project_id, contact_id),
  profile_custom AS (
    SELECT project_id, contact_id, jsonb_object_agg(key, value) FILTER (WHERE value <> 'null'::jsonb) AS custom
    FROM (SELECT DISTINCT ON (pe.project_id, pe.contact_id, f.key) pe.project_id, pe.contact_id, f.key, f.value
          FROM profile_events pe
          CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(pe.payload->'custom') = 'object' THEN pe.payload->'custom' ELSE '{}'::jsonb END) AS f(key, value)
          ORDER BY pe.project_id, pe.contact_id, f.key, pe.occurred_at DESC, pe.event_id COLLATE "C" DESC) newest
    GROUP BY project_id, contact_id),
  profiles_new AS (
    UPDATE contact_profiles cp SET
      ${PROFILE_TEXT_FIELDS.map((f) => `${f} = f.${f} #>> '{}'`).join(', ')},
      age = (f.age #>> '{}')::integer,
      birthday = (f.birthday #>> '{}')::date,
      accepted_gdpr = (f.accepted_gdpr #>> '{}')::boolean,
      privacy_policy_accepted = CASE jsonb_typeof(f.privacy_policy) WHEN 'boolean' THEN (f.privacy_policy #>> '{}')::boolean
        WHEN 'object' THEN (f.privacy_policy->>'accepted')::boolean END,
      privacy_policy_accepted_at = CASE WHEN jsonb_typeof(f.privacy_policy) = 'object' THEN (f.privacy_policy->>'acceptedAt')::timestamptz END,
      custom = c.custom,
      updated_at = f.updated_at
    FROM profile_fields f LEFT JOIN profile_custom c ON c.project_id = f.project_id AND c.contact_id = f.contact_id
    WHERE cp.project_id = f.project_id AND cp.contact_id = f.contact_id)`;

function withParam(fragment: string, placeholder: string, rows: readonly object[]): Sql {
  const [before, after] = fragment.split(`$${placeholder}`) as [string, string];
  return sql`${raw(before)}${JSON.stringify(rows)}${raw(after)}`;
}

/**
 * One statement that rebuilds the given sessions, Analytics completedGoalsList values, escalations and profile fields
 * from all their source rows; undefined when there is nothing to rebuild.
 */
export function recomputeQuery(input: RecomputeInput): CompiledQuery | undefined {
  const parts: Sql[] = [];
  if (input.sessions.length > 0) parts.push(withParam(SESSIONS_RECOMPUTE, 'SESSIONS', input.sessions));
  if (input.inputs.length > 0) parts.push(withParam(INPUT_GOALS_RECOMPUTE, 'INPUTS', input.inputs));
  if (input.escalations.length > 0) parts.push(withParam(ESCALATIONS_RECOMPUTE, 'ESCALATIONS', input.escalations));
  if (input.profiles.length > 0) parts.push(withParam(PROFILES_RECOMPUTE, 'PROFILES', input.profiles));
  if (parts.length === 0) return undefined;
  return render(sql`WITH ${joinSql(parts, ',\n  ')}\nSELECT 1 AS done`);
}

// ---------------------------------------------------------------------------------------------
// Erasure

export interface ErasedContact {
  readonly project_id: string;
  readonly contact_id: string;
  readonly contact_hash: string;
  readonly erased_at: string;
}
/** A session taken by the erasure of the contact with hash `contact_hash`. */
export interface ErasedSession {
  readonly project_id: string;
  readonly session_id: string;
  readonly contact_hash: string;
  readonly erased_at: string;
}

const ERASURE_INPUTS = `er AS (SELECT * FROM json_to_recordset($1::json) AS r(project_id text, contact_id text, contact_hash text, erased_at timestamptz)),
  es AS (SELECT * FROM json_to_recordset($2::json) AS r(project_id text, session_id text, contact_hash text, erased_at timestamptz))`;

/** Rows of `table` to erase: the contact's rows and every row of the erased sessions, each dated at or before its erasure. */
const erasedRows = (table: string, key: string, contactColumn: string, extra = '') => `SELECT t.${key}${extra} FROM er JOIN ${table} t
      ON t.project_id = er.project_id AND t.${contactColumn} = er.contact_id AND t.occurred_at <= er.erased_at
    UNION SELECT t.${key}${extra} FROM es JOIN ${table} t ON t.project_id = es.project_id AND t.session_id = es.session_id AND t.occurred_at <= es.erased_at`;

/** Contacts with events that an erasure of these contacts ($1) and sessions ($2) would remove: their rows get rebuilt. */
export const ERASURE_CONTACTS_SQL = `WITH ${ERASURE_INPUTS}
SELECT DISTINCT x.project_id, x.contact_id FROM (${erasedRows('events', 'project_id', 'contact_id', ', t.contact_id')}) x
WHERE x.contact_id IS NOT NULL`;

/**
 * Records the tombstones, keeps of every erased event only its id, type, project and time (so a redelivery is still a
 * duplicate), deletes the other rows of the erased contacts ($1) and sessions ($2) dated at or before each erasure, and
 * deletes the derived rows of the sessions and of every contact whose events went; the rebuild and recompute statements
 * then rebuild those from what is left. Returns the affected contacts.
 */
export const ERASE_SQL = `WITH ${ERASURE_INPUTS},
  contact_tombstones AS (
    INSERT INTO erasures (project_id, contact_hash, erased_at) SELECT project_id, contact_hash, erased_at FROM er
    ON CONFLICT (project_id, contact_hash) DO UPDATE SET erased_at = GREATEST(erasures.erased_at, EXCLUDED.erased_at)),
  session_tombstones AS (
    INSERT INTO erased_sessions (project_id, session_id, contact_hash, erased_at) SELECT project_id, session_id, contact_hash, erased_at FROM es
    ON CONFLICT (project_id, session_id, contact_hash) DO UPDATE SET erased_at = GREATEST(erased_sessions.erased_at, EXCLUDED.erased_at)),
  erased_events AS (${erasedRows('events', 'event_id', 'contact_id', ', t.project_id, t.contact_id')}),
  affected AS (SELECT project_id, contact_id FROM erased_events WHERE contact_id IS NOT NULL UNION SELECT project_id, contact_id FROM er),
  anonymised_events AS (
    UPDATE events e SET contact_id = NULL, session_id = NULL, payload = NULL, for_analytics = false, for_profile = false
    FROM erased_events x WHERE e.event_id = x.event_id RETURNING 1),
  erased_tasks AS (DELETE FROM completed_tasks WHERE id IN (${erasedRows('completed_tasks', 'id', 'contact_id')}) RETURNING 1),
  erased_analytics AS (DELETE FROM analytics WHERE id IN (${erasedRows('analytics', 'id', 'contact_id')}) RETURNING 1),
  erased_conversations AS (DELETE FROM conversations WHERE id IN (${erasedRows('conversations', 'id', 'contact_id')}) RETURNING 1),
  erased_steps AS (DELETE FROM executed_steps WHERE id IN (${erasedRows('executed_steps', 'id', 'user_id')}) RETURNING 1),
  erased_escalations AS (DELETE FROM live_agent_escalations l USING es WHERE l.project_id = es.project_id AND l.session_id = es.session_id RETURNING 1),
  erased_session_rows AS (DELETE FROM sessions s USING es WHERE s.project_id = es.project_id AND s.session_id = es.session_id RETURNING 1),
  erased_profiles AS (DELETE FROM contact_profiles p USING affected a WHERE p.project_id = a.project_id AND p.contact_id = a.contact_id RETURNING 1),
  erased_contact_tasks AS (DELETE FROM contact_tasks t USING affected a WHERE t.project_id = a.project_id AND t.contact_id = a.contact_id RETURNING 1)
SELECT (SELECT coalesce(json_agg(a), '[]'::json) FROM affected a) AS contacts,
  json_build_object(
    'events', (SELECT count(*) FROM anonymised_events),
    'completed_tasks', (SELECT count(*) FROM erased_tasks),
    'analytics', (SELECT count(*) FROM erased_analytics),
    'conversations', (SELECT count(*) FROM erased_conversations),
    'executed_steps', (SELECT count(*) FROM erased_steps),
    'live_agent_escalations', (SELECT count(*) FROM erased_escalations),
    'sessions', (SELECT count(*) FROM erased_session_rows),
    'contact_profiles', (SELECT count(*) FROM erased_profiles),
    'contact_tasks', (SELECT count(*) FROM erased_contact_tasks)) AS erased`;

/**
 * After an erasure: rebuilds the profile rows and task aggregates of the affected contacts ($1 [{project_id, contact_id}])
 * from their remaining events, and returns the escalations and inputs of the erased sessions ($2) left to recompute.
 */
export const ERASURE_REBUILD_SQL = `WITH ac AS (SELECT * FROM json_to_recordset($1::json) AS r(project_id text, contact_id text)),
  es AS (SELECT * FROM json_to_recordset($2::json) AS r(project_id text, session_id text)),
  rebuilt_profiles AS (
    INSERT INTO contact_profiles AS cp (project_id, contact_id, first_seen_at, last_seen_at)
    SELECT e.project_id, e.contact_id, min(e.occurred_at), max(e.occurred_at)
    FROM ac JOIN events e ON e.project_id = ac.project_id AND e.contact_id = ac.contact_id
    WHERE e.for_profile GROUP BY 1, 2
    ON CONFLICT (project_id, contact_id) DO UPDATE SET first_seen_at = EXCLUDED.first_seen_at, last_seen_at = EXCLUDED.last_seen_at),
  rebuilt_tasks AS (
    INSERT INTO contact_tasks AS ct (project_id, contact_id, task, first_completed_at, last_completed_at, completion_count, last_session_id, last_event_id)
    SELECT e.project_id, e.contact_id, e.payload->>'task', min(e.occurred_at), max(e.occurred_at), count(*)::integer,
      (array_agg(e.session_id ORDER BY e.occurred_at DESC, e.event_id COLLATE "C" DESC))[1],
      (array_agg(e.event_id ORDER BY e.occurred_at DESC, e.event_id COLLATE "C" DESC))[1]
    FROM ac JOIN events e ON e.project_id = ac.project_id AND e.contact_id = ac.contact_id
    WHERE e.type = 'task.completed' AND e.for_profile GROUP BY 1, 2, 3
    ON CONFLICT (project_id, contact_id, task) DO UPDATE SET first_completed_at = EXCLUDED.first_completed_at,
      last_completed_at = EXCLUDED.last_completed_at, completion_count = EXCLUDED.completion_count,
      last_session_id = EXCLUDED.last_session_id, last_event_id = EXCLUDED.last_event_id)
SELECT
  (SELECT coalesce(json_agg(x), '[]'::json) FROM (
     SELECT DISTINCT e.project_id, e.payload->>'escalationId' AS escalation_id
     FROM es JOIN events e ON e.project_id = es.project_id AND e.session_id = es.session_id WHERE e.type = 'handover') x) AS escalations,
  (SELECT coalesce(json_agg(x), '[]'::json) FROM (
     SELECT DISTINCT a.project_id, a.input_id FROM es JOIN analytics a ON a.project_id = es.project_id AND a.session_id = es.session_id) x) AS inputs`;

// ---------------------------------------------------------------------------------------------
// Settings

export const LOAD_SETTINGS_SQL = 'SELECT * FROM project_settings WHERE project_id = $1';

export const SAVE_SETTINGS_SQL = `INSERT INTO project_settings (project_id, collect_analytics, contact_profiles, mask_sensitive, mask_ip,
  retention_events_days, retention_analytics_days, retention_conversations_days, retention_steps_days,
  retention_sessions_days, retention_escalations_days, retention_tasks_days, retention_profiles_days, retention_goal_events_days, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())
ON CONFLICT (project_id) DO UPDATE SET collect_analytics = EXCLUDED.collect_analytics, contact_profiles = EXCLUDED.contact_profiles,
  mask_sensitive = EXCLUDED.mask_sensitive, mask_ip = EXCLUDED.mask_ip,
  retention_events_days = EXCLUDED.retention_events_days, retention_analytics_days = EXCLUDED.retention_analytics_days,
  retention_conversations_days = EXCLUDED.retention_conversations_days, retention_steps_days = EXCLUDED.retention_steps_days,
  retention_sessions_days = EXCLUDED.retention_sessions_days, retention_escalations_days = EXCLUDED.retention_escalations_days,
  retention_tasks_days = EXCLUDED.retention_tasks_days, retention_profiles_days = EXCLUDED.retention_profiles_days,
  retention_goal_events_days = EXCLUDED.retention_goal_events_days,
  updated_at = now()
RETURNING *`;
