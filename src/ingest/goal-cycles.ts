// fresh goal.step events → goal_events (one row per step hit) → goal_cycles, inside the ingesting transaction.
//
// A cycle is rebuilt from all hits of its session and goal, so the result does not depend on arrival order:
// - a start step opens a cycle (id: the event's goalCycleId, or one derived from the event id);
// - every other hit of the event that opened a cycle belongs to it; a hit naming a goalCycleId belongs to that cycle
//   once its start is known; any other hit belongs to the session's cycle of the goal started last at or before it;
// - a hit with no such cycle stays untracked (NULL cycle) until a start dated at or before it arrives.
import type { Queryable } from '../db';
import { goalLockKey } from '../goals/store';
import type { GoalStepEvent } from './goal-events';
import type { PlannedEvent } from './privacy';
import type { ErasedContact, ErasedSession } from './erasure-sql';
import { formatMicros } from './time';

interface CycleKey {
  readonly project_id: string;
  readonly session_id: string;
  readonly goal_id: string;
}

const HIT_COLUMNS = `id text, event_id text, project_id text, organisation_id text, goal_id text, step_id text, step_position integer,
  occurred_at timestamptz, session_id text, contact_id text, requested_cycle_id text, for_profile boolean, locale_name text,
  locale_reference_id text, endpoint_name text, endpoint_type text, endpoint_url_token text, channel text, snapshot_id text, snapshot_name text`;

/**
 * Hits of steps of the goal's current version; the goal's retention period dates their expiry. A goal deleted since
 * the batch was checked leaves nothing to record.
 */
const INSERT_HITS_SQL = `INSERT INTO goal_events (id, event_id, project_id, organisation_id, goal_id, version, step_id, step_position, occurred_at,
  session_id, contact_id, requested_cycle_id, for_profile, expires_at, locale_name, locale_reference_id, endpoint_name, endpoint_type,
  endpoint_url_token, channel, snapshot_id, snapshot_name)
SELECT h.id, h.event_id, h.project_id, h.organisation_id, h.goal_id, g.version, h.step_id, h.step_position, h.occurred_at,
  h.session_id, h.contact_id, h.requested_cycle_id, h.for_profile,
  h.occurred_at + make_interval(days => ps.retention_goal_events_days),
  h.locale_name, h.locale_reference_id, h.endpoint_name, h.endpoint_type, h.endpoint_url_token, h.channel, h.snapshot_id, h.snapshot_name
FROM json_to_recordset($1::json) AS h(${HIT_COLUMNS})
JOIN goals g ON g.project_id = h.project_id AND g.goal_id = h.goal_id
JOIN goal_steps s ON s.version = g.version AND s.step_id = h.step_id
LEFT JOIN project_settings ps ON ps.project_id = h.project_id
ORDER BY h.id COLLATE "C"
ON CONFLICT (id) DO NOTHING`;

const KEYS = `keys AS (SELECT DISTINCT * FROM json_to_recordset($1::json) AS k(project_id text, session_id text, goal_id text))`;

const SAME_KEY = (a: string, b: string) => `${a}.project_id = ${b}.project_id AND ${a}.session_id = ${b}.session_id AND ${a}.goal_id = ${b}.goal_id`;

/** The cycle id a start hit opens when its event names none: stable for the event, unique per session and goal. */
const DERIVED_CYCLE_ID = `md5(h.project_id || chr(10) || h.session_id || chr(10) || h.goal_id || chr(10) || h.event_id)::uuid::text`;

/** Assigns every hit of the keys ($1) to its cycle, or to none. */
const ASSIGN_SQL = `WITH ${KEYS},
  hits AS (
    SELECT h.id, h.event_id, h.project_id, h.session_id, h.goal_id, h.occurred_at, h.requested_cycle_id, s.type AS step_type
    FROM keys k JOIN goal_events h ON ${SAME_KEY('h', 'k')}
    LEFT JOIN goal_steps s ON s.version = h.version AND s.step_id = h.step_id),
  starts AS (
    SELECT h.event_id, h.project_id, h.session_id, h.goal_id, h.occurred_at, coalesce(h.requested_cycle_id, ${DERIVED_CYCLE_ID}) AS cycle_id
    FROM hits h WHERE h.step_type = 'start'),
  cycles AS (
    SELECT project_id, session_id, goal_id, cycle_id, min(occurred_at) AS started_at FROM starts GROUP BY 1, 2, 3, 4),
  assigned AS (
    SELECT h.id, CASE
      WHEN h.requested_cycle_id IS NOT NULL THEN
        (SELECT c.cycle_id FROM cycles c WHERE ${SAME_KEY('c', 'h')} AND c.cycle_id = h.requested_cycle_id)
      ELSE coalesce(
        (SELECT min(st.cycle_id) FROM starts st WHERE st.event_id = h.event_id),
        (SELECT c.cycle_id FROM cycles c WHERE ${SAME_KEY('c', 'h')} AND c.started_at <= h.occurred_at
          ORDER BY c.started_at DESC, c.cycle_id COLLATE "C" DESC LIMIT 1))
      END AS cycle_id
    FROM hits h)
UPDATE goal_events g SET goal_cycle_id = a.cycle_id FROM assigned a WHERE g.id = a.id AND g.goal_cycle_id IS DISTINCT FROM a.cycle_id`;

/**
 * Rebuilds the cycles of the keys ($1) from their assigned hits. A cycle's version is that of its first start hit;
 * status and metrics are judged by that version's steps, each step reached counted once. Returns, for the fresh
 * events ($2), how many have no tracked hit.
 */
const REBUILD_SQL = `WITH ${KEYS},
  hits AS (
    SELECT h.*, s.type AS step_type
    FROM keys k JOIN goal_events h ON ${SAME_KEY('h', 'k')}
    LEFT JOIN goal_steps s ON s.version = h.version AND s.step_id = h.step_id
    WHERE h.goal_cycle_id IS NOT NULL),
  cycle_facts AS (
    SELECT project_id, session_id, goal_id, goal_cycle_id,
      (array_agg(version ORDER BY occurred_at, id COLLATE "C") FILTER (WHERE step_type = 'start'))[1] AS version,
      min(occurred_at) FILTER (WHERE step_type = 'start') AS started_at,
      max(occurred_at) AS last_step_at,
      (array_agg(contact_id ORDER BY occurred_at, id COLLATE "C") FILTER (WHERE contact_id IS NOT NULL))[1] AS contact_id,
      (array_agg(channel ORDER BY occurred_at, id COLLATE "C") FILTER (WHERE channel IS NOT NULL))[1] AS channel,
      bool_or(for_profile) AS for_profile
    FROM hits GROUP BY 1, 2, 3, 4),
  reached AS (
    SELECT project_id, session_id, goal_id, goal_cycle_id, step_id, min(occurred_at) AS first_at
    FROM hits GROUP BY 1, 2, 3, 4, 5),
  judged AS (
    SELECT r.project_id, r.session_id, r.goal_id, r.goal_cycle_id, r.first_at, s.type,
      (SELECT coalesce(sum(m.value) FILTER (WHERE m.benefit = 'timeSaved'), 0) FROM goal_step_metrics m WHERE m.version = c.version AND m.step_id = r.step_id) AS time_saved,
      (SELECT coalesce(sum(m.value) FILTER (WHERE m.benefit = 'costSavings'), 0) FROM goal_step_metrics m WHERE m.version = c.version AND m.step_id = r.step_id) AS cost_savings,
      (SELECT coalesce(sum(m.value) FILTER (WHERE m.benefit = 'revenue'), 0) FROM goal_step_metrics m WHERE m.version = c.version AND m.step_id = r.step_id) AS revenue
    FROM reached r
    JOIN cycle_facts c ON ${SAME_KEY('c', 'r')} AND c.goal_cycle_id = r.goal_cycle_id
    LEFT JOIN goal_steps s ON s.version = c.version AND s.step_id = r.step_id),
  cycle_values AS (
    SELECT project_id, session_id, goal_id, goal_cycle_id, count(*)::integer AS steps_reached,
      min(first_at) FILTER (WHERE type = 'completion') AS completed_at,
      bool_or(type IS DISTINCT FROM 'start') AS beyond_start,
      sum(time_saved)::bigint AS time_saved_seconds, sum(cost_savings)::bigint AS cost_savings, sum(revenue)::bigint AS revenue
    FROM judged GROUP BY 1, 2, 3, 4),
  cycle_rows AS (
    SELECT md5(c.project_id || chr(10) || c.session_id || chr(10) || c.goal_id || chr(10) || c.goal_cycle_id)::uuid::text AS id,
      c.project_id, c.goal_id, c.goal_cycle_id, c.version, c.session_id, c.contact_id,
      CASE WHEN v.completed_at IS NOT NULL THEN 'completed' WHEN v.beyond_start THEN 'partially completed' ELSE 'incomplete' END AS status,
      c.started_at, c.last_step_at, v.completed_at, v.steps_reached, v.time_saved_seconds, v.cost_savings, v.revenue, c.channel, c.for_profile
    FROM cycle_facts c JOIN cycle_values v ON ${SAME_KEY('v', 'c')} AND v.goal_cycle_id = c.goal_cycle_id),
  upserted AS (
    INSERT INTO goal_cycles AS gc (id, project_id, goal_id, goal_cycle_id, version, session_id, contact_id, status, started_at, last_step_at,
      completed_at, steps_reached, time_saved_seconds, cost_savings, revenue, channel, for_profile)
    SELECT * FROM cycle_rows ORDER BY id
    ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, contact_id = EXCLUDED.contact_id, status = EXCLUDED.status,
      started_at = EXCLUDED.started_at, last_step_at = EXCLUDED.last_step_at, completed_at = EXCLUDED.completed_at,
      steps_reached = EXCLUDED.steps_reached, time_saved_seconds = EXCLUDED.time_saved_seconds, cost_savings = EXCLUDED.cost_savings,
      revenue = EXCLUDED.revenue, channel = EXCLUDED.channel, for_profile = EXCLUDED.for_profile
    RETURNING 1),
  removed AS (
    DELETE FROM goal_cycles gc USING keys k WHERE ${SAME_KEY('gc', 'k')} AND gc.id NOT IN (SELECT id FROM cycle_rows)
    RETURNING 1)
SELECT (SELECT count(*) FROM upserted)::integer AS cycles, (SELECT count(*) FROM removed)::integer AS removed,
  (SELECT coalesce(json_agg(e.event_id), '[]'::json) FROM json_array_elements_text($2::json) AS e(event_id)
    WHERE NOT EXISTS (SELECT 1 FROM goal_events g WHERE g.event_id = e.event_id AND g.goal_cycle_id IS NOT NULL)) AS untracked`;

// Shared: recording hits of a goal never waits for another recording, only for the goal's deletion.
const LOCK_GOALS_SQL = 'SELECT count(pg_advisory_xact_lock_shared(k::bigint)) AS locked FROM json_array_elements_text($1::json) AS k';

function sortedLockKeys(keys: readonly CycleKey[]): string[] {
  const unique = [...new Set(keys.map((k) => goalLockKey(k.project_id, k.goal_id)))].map(BigInt);
  unique.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return unique.map(String);
}

/** Takes the goals' locks (shared), in one global order. */
async function lockGoals(tx: Queryable, keys: readonly CycleKey[]): Promise<void> {
  await tx.query(LOCK_GOALS_SQL, [JSON.stringify(sortedLockKeys(keys))]);
}

/** Rebuilds the cycles of these sessions' goals (their locks held); returns how many of `eventIds` have no tracked hit. */
/** Rebuilds the cycles of `keys`; returns which of `eventIds` have no hit in any cycle. */
async function rebuildCycles(tx: Queryable, keys: readonly CycleKey[], eventIds: readonly string[]): Promise<string[]> {
  const json = JSON.stringify(keys);
  await tx.query(ASSIGN_SQL, [json]);
  const r = await tx.query<{ untracked: string[] }>(REBUILD_SQL, [json, JSON.stringify(eventIds)]);
  return r.rows[0]?.untracked ?? [];
}

const orNull = <T>(value: T | null | undefined): T | null => (value === undefined ? null : value);

/** The hit rows of one event: the n-th step is dated n microseconds after the event, so every hit has its own time. */
function hitsOf(planned: PlannedEvent & { readonly event: GoalStepEvent }) {
  const { event: e, at, forProfile } = planned;
  return e.stepIds.map((stepId, position) => ({
    id: `${e.id}:${stepId}`,
    event_id: e.id,
    project_id: e.projectId,
    organisation_id: orNull(e.organisationId),
    goal_id: e.goalId,
    step_id: stepId,
    step_position: position,
    occurred_at: formatMicros(at.micros + BigInt(position)),
    session_id: e.sessionId,
    contact_id: orNull(e.contactId),
    requested_cycle_id: orNull(e.goalCycleId),
    for_profile: forProfile,
    locale_name: orNull(e.localeName),
    locale_reference_id: orNull(e.localeReferenceId),
    endpoint_name: orNull(e.endpointName),
    endpoint_type: orNull(e.endpointType),
    endpoint_url_token: orNull(e.endpointUrlToken),
    channel: orNull(e.channel),
    snapshot_id: orNull(e.snapshotId),
    snapshot_name: orNull(e.snapshotName),
  }));
}

const keyOf = (k: CycleKey) => `${k.project_id}\n${k.session_id}\n${k.goal_id}`;

function uniqueKeys(keys: readonly CycleKey[]): CycleKey[] {
  return [...new Map(keys.map((k) => [keyOf(k), { project_id: k.project_id, session_id: k.session_id, goal_id: k.goal_id }])).values()];
}

/**
 * Records the step hits of the batch's new goal.step events and rebuilds the cycles they touch. Returns the ids of
 * those events that have no open cycle for any of their steps: they are acknowledged as dropped, and kept, so that a
 * start step that arrives later but is dated before them still takes them into its cycle.
 * recordGoalSteps(tx, [plannedStartStep, plannedResolvedStep]) → []
 */
export async function recordGoalSteps(tx: Queryable, fresh: readonly PlannedEvent[]): Promise<string[]> {
  const goalSteps = fresh.filter((p): p is PlannedEvent & { readonly event: GoalStepEvent } => p.forAnalytics && p.event.type === 'goal.step');
  if (goalSteps.length === 0) return [];
  const keys = uniqueKeys(goalSteps.map(({ event: e }) => ({ project_id: e.projectId, session_id: e.sessionId, goal_id: e.goalId })));
  await lockGoals(tx, keys);
  await tx.query(INSERT_HITS_SQL, [JSON.stringify(goalSteps.flatMap(hitsOf))]);
  return rebuildCycles(tx, keys, goalSteps.map((p) => p.event.id));
}

const ERASURE_INPUTS = `er AS (SELECT * FROM json_to_recordset($1::json) AS r(project_id text, contact_id text, erased_at timestamptz)),
  es AS (SELECT * FROM json_to_recordset($2::json) AS r(project_id text, session_id text, erased_at timestamptz)),
  erased AS (
    SELECT h.id, h.project_id, h.session_id, h.goal_id FROM er
      JOIN goal_events h ON h.project_id = er.project_id AND h.contact_id = er.contact_id AND h.occurred_at <= er.erased_at
    UNION SELECT h.id, h.project_id, h.session_id, h.goal_id FROM es
      JOIN goal_events h ON h.project_id = es.project_id AND h.session_id = es.session_id AND h.occurred_at <= es.erased_at)`;

/** The sessions' goals whose hits an erasure removes (their sessions and contacts are locked: the set cannot grow). */
const ERASED_KEYS_SQL = `WITH ${ERASURE_INPUTS} SELECT DISTINCT project_id, session_id, goal_id FROM erased`;

const ERASE_HITS_SQL = `WITH ${ERASURE_INPUTS} DELETE FROM goal_events g USING erased x WHERE g.id = x.id`;

/**
 * Part of an erasure (src/ingest/erasure.ts): deletes the goal hits of the erased contacts and of the sessions the
 * erasure takes, dated at or before it, and rebuilds (or removes) the cycles they belonged to.
 */
export async function eraseGoalHits(tx: Queryable, contacts: readonly ErasedContact[], sessions: readonly ErasedSession[]): Promise<void> {
  const params = [JSON.stringify(contacts), JSON.stringify(sessions)];
  const keys = uniqueKeys((await tx.query<CycleKey>(ERASED_KEYS_SQL, params)).rows);
  if (keys.length === 0) return;
  // The goals' locks before any row lock, so a concurrent deletion of a goal cannot deadlock with the erasure.
  await lockGoals(tx, keys);
  await tx.query(ERASE_HITS_SQL, params);
  await rebuildCycles(tx, keys, []);
}
