// new events or affected keys → the derived rows: sessions merged incrementally or rebuilt, completedGoalsList,
// escalations, profiles and contact task aggregates.
import { join, raw, render, sql, type CompiledQuery, type Sql } from '../sql/fragment';
import { BY_TIME, BY_TIME_DESC, json, newer } from './sql-parts';

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

const SESSION_KEY_COLUMNS = ['id', 'project_id', 'session_id'];

/** Session columns read off the fold; the fold itself is kept in sessions.fold. */
const SESSION_FOLD_COLUMNS: readonly (readonly [string, string])[] = [
  ['user_id', `fold #>> '{f,user_id,2}'`],
  ...SESSION_FIELDS.map(([column, , rule]) => [column, `fold #>> '{${rule === 'first' ? 'f' : 'l'},${column},2}'`] as const),
  ['rating', `(fold #>> '{l,rating,2}')::integer`],
  ['goals', `(SELECT string_agg(g.key, ', ' ORDER BY (g.value->>0)::bigint, (g.value->>1) COLLATE "C") FROM jsonb_each(fold->'g') AS g)`],
  ['handover_escalations', `(SELECT count(*) FROM jsonb_object_keys(fold->'x'))::integer`],
];

const SESSION_COLUMNS = [
  ...SESSION_KEY_COLUMNS, 'started_at', 'last_activity_at', 'step_path', 'steps_count', 'fold', ...SESSION_FOLD_COLUMNS.map(([c]) => c),
];

/** The (time, id) key of an event as a JSON array: [epoch microseconds, event id]. */
const EVENT_KEY = 'jsonb_build_array(us, event_id)';
/** [micros, id, value] of the first (or latest) event by time whose value is not null. */
const pickEntry = (expr: string, order: string) => `(array_agg(jsonb_build_array(us, event_id, ${expr}) ORDER BY ${order}) FILTER (WHERE ${expr} IS NOT NULL))[1]`;
const entries = (list: readonly (readonly [string, string])[], order: string) =>
  `jsonb_strip_nulls(jsonb_build_object(${list.map(([name, expr]) => `'${name}', ${pickEntry(expr, order)}`).join(', ')}))`;

/**
 * CTEs `${name}_events` and `${name}_folds`: per session of `source` (rows with the columns of events), its time span,
 * fold (see schema/002), step path and step count. Used on a batch's new events (merged into the stored session) and on
 * all of a session's events (a rebuild); both give the same fold, so neither depends on the order events arrive in.
 */
function sessionFolds(name: string, source: string): string {
  const firstFields = FIRST_FOLD_FIELDS.map((c) => [c, c] as const);
  const latestFields = LATEST_FOLD_FIELDS.map((c) => [c, c] as const);
  return `${name}_events AS (
    SELECT e.project_id, e.session_id, e.event_id, e.type, e.occurred_at, (extract(epoch FROM e.occurred_at) * 1000000)::bigint AS us,
      e.contact_id AS user_id, e.payload->>'task' AS task, e.payload->>'entityReferenceId' AS step, e.payload->>'escalationId' AS escalation,
      e.payload->>'rating' AS rating, ${SESSION_FIELDS.map(([column, field]) => `e.payload->>'${field}' AS ${column}`).join(', ')}
    FROM ${source}),
  ${name}_goals AS (
    SELECT project_id, session_id, jsonb_object_agg(task, ${EVENT_KEY}) AS goals
    FROM (SELECT DISTINCT ON (project_id, session_id, task) project_id, session_id, task, us, event_id, occurred_at
          FROM ${name}_events WHERE type = 'task.completed' AND task IS NOT NULL
          ORDER BY project_id, session_id, task, ${BY_TIME}) first_completions
    GROUP BY project_id, session_id),
  ${name}_folds AS (
    SELECT e.project_id, e.session_id, min(e.occurred_at) AS started_at, max(e.occurred_at) AS last_activity_at,
      jsonb_build_object(
        'f', ${entries(firstFields, BY_TIME)},
        'l', ${entries(latestFields, BY_TIME_DESC)},
        'g', coalesce(g.goals, '{}'::jsonb),
        'x', coalesce(jsonb_object_agg(escalation, true) FILTER (WHERE type = 'handover' AND escalation IS NOT NULL), '{}'::jsonb),
        's', jsonb_strip_nulls(jsonb_build_object('last', (array_agg(${EVENT_KEY} ORDER BY ${BY_TIME_DESC}) FILTER (WHERE type = 'step.executed'))[1]))) AS fold,
      string_agg(step, ',' ORDER BY ${BY_TIME}) FILTER (WHERE type = 'step.executed') AS step_path,
      (count(*) FILTER (WHERE type = 'step.executed'))::integer AS steps_count,
      (array_agg(${EVENT_KEY} ORDER BY ${BY_TIME}) FILTER (WHERE type = 'step.executed'))[1] AS first_step
    -- A join, not a subquery per session: the goals CTE would be evaluated again for every session.
    FROM ${name}_events e LEFT JOIN ${name}_goals g ON g.project_id = e.project_id AND g.session_id = e.session_id
    GROUP BY e.project_id, e.session_id, g.goals)`;
}

/** Writes the session rows of `merged` (project_id, session_id, started_at, last_activity_at, step_path, steps_count, fold). */
const sessionsUpsert = (name: string, merged: string) => `${name} AS (
    INSERT INTO sessions (${SESSION_COLUMNS.join(', ')})
    SELECT m.project_id || ':' || m.session_id, m.project_id, m.session_id, m.started_at, m.last_activity_at, m.step_path, m.steps_count, m.fold,
      ${SESSION_FOLD_COLUMNS.map(([, expr]) => expr.replace(/\bfold\b/g, 'm.fold')).join(',\n      ')}
    FROM ${merged} m
    ON CONFLICT (project_id, session_id) DO UPDATE SET ${SESSION_COLUMNS.filter((c) => !SESSION_KEY_COLUMNS.includes(c))
      .map((c) => `${c} = EXCLUDED.${c}`)
      .join(', ')})`;

const FIRST_FOLD_FIELDS = ['user_id', ...SESSION_FIELDS.filter(([, , r]) => r === 'first').map(([c]) => c)];
const LATEST_FOLD_FIELDS = ['rating', ...SESSION_FIELDS.filter(([, , r]) => r === 'latest').map(([c]) => c)];

/** The earlier (or later) of the entries `name` of maps a and b, by their [micros, id] keys; whichever exists. */
function pickEntryOf(a: string, b: string, name: string, latest: boolean): string {
  const [x, y] = [`${a}->'${name}'`, `${b}->'${name}'`];
  const bWins = latest ? `ingest_key_before(${x}, ${y})` : `ingest_key_before(${y}, ${x})`;
  return `CASE WHEN ${y} IS NULL THEN ${x} WHEN ${x} IS NULL OR ${bWins} THEN ${y} ELSE ${x} END`;
}

const pickAll = (a: string, b: string, fields: readonly string[], latest: boolean) =>
  `jsonb_strip_nulls(jsonb_build_object(${fields.map((f) => `'${f}', ${pickEntryOf(a, b, f, latest)}`).join(', ')}))`;

/**
 * Two session folds merged (see schema/002): per field the earliest (f) or latest (l) entry, per task its first
 * completion (g), the union of escalations (x), the latest step (s). Commutative and associative, written out per
 * field so that PostgreSQL evaluates plain expressions; only the goals, a map of unknown keys, call a function.
 */
function foldMerge(a: string, b: string): string {
  return `CASE WHEN ${a} IS NULL THEN ${b} ELSE jsonb_build_object(
        'f', ${pickAll(`${a}->'f'`, `${b}->'f'`, FIRST_FOLD_FIELDS, false)},
        'l', ${pickAll(`${a}->'l'`, `${b}->'l'`, LATEST_FOLD_FIELDS, true)},
        'g', CASE WHEN ${b}->'g' = '{}'::jsonb THEN ${a}->'g' ELSE ingest_fold_earliest(${a}->'g', ${b}->'g') END,
        'x', (${a}->'x') || (${b}->'x'),
        's', ${pickAll(`${a}->'s'`, `${b}->'s'`, ['last'], true)}) END`;
}

/**
 * The batch's new session events merged into the stored sessions: min/max of time, earliest/latest entries, union of
 * escalations, counts added, and the batch's steps appended to the path. A step older than the session's latest step
 * (or a session stored before folds existed) cannot be appended: such sessions are returned in `rebuild` and rebuilt
 * from their events by the next statement.
 */
export const SESSIONS_MERGE = `${sessionFolds('batch_session', `batch e JOIN inserted i ON i.event_id = e.event_id WHERE e.session_id IS NOT NULL AND e.for_analytics`)},
  session_merged AS (
    SELECT d.project_id, d.session_id, LEAST(s.started_at, d.started_at) AS started_at, GREATEST(s.last_activity_at, d.last_activity_at) AS last_activity_at,
      ${foldMerge('s.fold', 'd.fold')} AS fold,
      coalesce(s.steps_count, 0) + d.steps_count AS steps_count,
      CASE WHEN d.steps_count = 0 THEN s.step_path ELSE concat_ws(',', s.step_path, d.step_path) END AS step_path,
      s.session_id IS NOT NULL AND (s.fold IS NULL
        OR (d.steps_count > 0 AND s.fold #> '{s,last}' IS NOT NULL AND NOT ingest_key_before(s.fold #> '{s,last}', d.first_step))) AS rebuild
    FROM batch_session_folds d LEFT JOIN sessions s ON s.project_id = d.project_id AND s.session_id = d.session_id),
  ${sessionsUpsert('sessions_merged', 'session_merged')}`;

/** Sessions rebuilt from all their events (after an erasure, or when a step arrived out of order). */
const sessionsRebuild = (keys: readonly SessionKey[]): Sql => sql`session_keys AS (SELECT DISTINCT * FROM json_to_recordset(${json(keys)}) AS k(project_id text, session_id text)),
  ${raw(SESSIONS_REBUILD)}`;

const SESSIONS_REBUILD = `${sessionFolds('stored_session', `session_keys k JOIN events e ON e.project_id = k.project_id AND e.session_id = k.session_id WHERE e.for_analytics`)},
  ${sessionsUpsert('sessions_rebuilt', 'stored_session_folds')}`;

// Only inputs that have an Analytics record are looked at (a task may arrive before its input).
const inputGoalsRecompute = (keys: readonly InputKey[]): Sql => sql`input_keys AS (SELECT DISTINCT * FROM json_to_recordset(${json(keys)}) AS k(project_id text, input_id text)),
  ${raw(INPUT_GOALS_RECOMPUTE)}`;

const INPUT_GOALS_RECOMPUTE = `input_goals AS (
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

const escalationsRecompute = (keys: readonly EscalationKey[]): Sql => sql`escalation_keys AS (SELECT DISTINCT * FROM json_to_recordset(${json(
  keys,
)}) AS k(project_id text, escalation_id text)),
  ${raw(ESCALATIONS_RECOMPUTE)}`;

const ESCALATIONS_RECOMPUTE = `escalation_events AS (
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

const profilesRecompute = (keys: readonly ContactKey[]): Sql => sql`profile_keys AS (SELECT DISTINCT * FROM json_to_recordset(${json(keys)}) AS k(project_id text, contact_id text)),
  ${raw(PROFILES_RECOMPUTE)}`;

const PROFILES_RECOMPUTE = `profile_events AS (
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

/**
 * One statement that rebuilds the given sessions, Analytics completedGoalsList values, escalations and profile fields
 * from all their source rows; undefined when there is nothing to rebuild.
 */
export function recomputeQuery(input: RecomputeInput): CompiledQuery | undefined {
  const parts: Sql[] = [];
  if (input.sessions.length > 0) parts.push(sessionsRebuild(input.sessions));
  if (input.inputs.length > 0) parts.push(inputGoalsRecompute(input.inputs));
  if (input.escalations.length > 0) parts.push(escalationsRecompute(input.escalations));
  if (input.profiles.length > 0) parts.push(profilesRecompute(input.profiles));
  if (parts.length === 0) return undefined;
  return render(sql`WITH ${join(parts, ',\n  ')}\nSELECT 1 AS done`);
}

// ---------------------------------------------------------------------------------------------
// Contact task aggregates

/**
 * CTE `name`: the contact_tasks rows of the task.completed events of `source` (events aliased b). 'merge' folds them into
 * the stored aggregate with commutative merges (least, greatest, sum, newest-wins), so arrival order does not matter;
 * 'replace' overwrites it (a rebuild from all the contact's events).
 */
export function contactTasksUpsert(name: string, source: string, mode: 'merge' | 'replace'): string {
  const newest = newer('EXCLUDED.last_completed_at', 'EXCLUDED.last_event_id', 'ct.last_completed_at', 'ct.last_event_id');
  const set =
    mode === 'replace'
      ? `first_completed_at = EXCLUDED.first_completed_at, last_completed_at = EXCLUDED.last_completed_at,
      completion_count = EXCLUDED.completion_count, last_session_id = EXCLUDED.last_session_id, last_event_id = EXCLUDED.last_event_id`
      : `first_completed_at = LEAST(ct.first_completed_at, EXCLUDED.first_completed_at),
      last_completed_at = GREATEST(ct.last_completed_at, EXCLUDED.last_completed_at),
      completion_count = ct.completion_count + EXCLUDED.completion_count,
      last_session_id = CASE WHEN ct.last_event_id IS NULL OR ${newest} THEN EXCLUDED.last_session_id ELSE ct.last_session_id END,
      last_event_id = CASE WHEN ct.last_event_id IS NULL OR ${newest} THEN EXCLUDED.last_event_id ELSE ct.last_event_id END`;
  return `${name} AS (
    INSERT INTO contact_tasks AS ct (project_id, contact_id, task, first_completed_at, last_completed_at, completion_count, last_session_id, last_event_id)
    SELECT b.project_id, b.contact_id, b.payload->>'task', min(b.occurred_at), max(b.occurred_at), count(*)::integer,
      (array_agg(b.session_id ORDER BY b.occurred_at DESC, b.event_id COLLATE "C" DESC))[1],
      (array_agg(b.event_id ORDER BY b.occurred_at DESC, b.event_id COLLATE "C" DESC))[1]
    FROM ${source}
    WHERE b.type = 'task.completed' AND b.for_profile
    GROUP BY 1, 2, 3
    ON CONFLICT (project_id, contact_id, task) DO UPDATE SET
      ${set})`;
}
