// GoalDefinition ↔ goals, goal_versions, goal_steps, goal_step_metrics: versioned writes, reads, and deletion with analytics.
import crypto from 'node:crypto';
import type { Database, Queryable } from '../db';
import type { GoalDefinition, GoalMetric, GoalStep } from './definition';

/** A goal as the API returns it: the definition of one version plus its bookkeeping. */
export interface StoredGoal extends GoalDefinition {
  readonly goalId: string;
  readonly projectId: string;
  readonly version: string;
  readonly createdAt: string;
  readonly lastChanged: string;
  readonly createdBy: string | null;
  readonly lastChangedBy: string | null;
  /** Every version of the goal, oldest first. */
  readonly versions: readonly { readonly version: string; readonly createdAt: string; readonly createdBy: string | null }[];
}

export type PutOutcome = 'created' | 'changed' | 'unchanged';

/**
 * The advisory lock of one goal. Writers of its analytics take it shared (see src/ingest/goal-cycles.ts), the
 * definition's writers exclusively, so a deletion never interleaves with a hit being recorded.
 */
export function goalLockKey(projectId: string, goalId: string): string {
  return crypto.hash('sha256', `goal\n${projectId}\n${goalId}`, 'buffer').readBigInt64BE(0).toString();
}

// Serialises every definition write, so lastChanged can be made strictly increasing across all goals.
const DEFINITIONS_LOCK = '7420114003';

/** timestamptz → ISO 8601 text in UTC with microseconds (lastChanged values differ by as little as 1 µs). */
const utc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const GOAL_COLUMNS = `g.project_id, g.goal_id, ${utc('g.created_at')} AS created_at, ${utc('g.last_changed')} AS last_changed, g.created_by, g.last_changed_by`;

interface VersionRow {
  project_id: string;
  goal_id: string;
  version: string;
  created_at: string;
  last_changed: string;
  created_by: string | null;
  last_changed_by: string | null;
  definition: GoalDefinition;
  versions: { version: string; created_at: string; created_by: string | null }[];
}

function toStoredGoal(row: VersionRow): StoredGoal {
  return {
    goalId: row.goal_id,
    projectId: row.project_id,
    ...row.definition,
    version: row.version,
    createdAt: row.created_at,
    lastChanged: row.last_changed,
    createdBy: row.created_by,
    lastChangedBy: row.last_changed_by,
    versions: row.versions.map((v) => ({ version: v.version, createdAt: v.created_at, createdBy: v.created_by })),
  };
}

/** The goal at `version` (default: the current one), with the list of all its versions. */
const READ_SQL = `SELECT ${GOAL_COLUMNS}, v.version, v.definition,
  (SELECT json_agg(json_build_object('version', x.version, 'created_at', ${utc('x.created_at')}, 'created_by', x.created_by) ORDER BY x.created_at, x.version)
     FROM goal_versions x WHERE x.project_id = g.project_id AND x.goal_id = g.goal_id) AS versions
FROM goals g JOIN goal_versions v ON v.project_id = g.project_id AND v.goal_id = g.goal_id AND v.version = coalesce($3, g.version)
WHERE g.project_id = $1 AND (g.goal_id = $2 OR $2 IS NULL)
ORDER BY g.goal_id COLLATE "C"`;

export async function readGoal(db: Queryable, projectId: string, goalId: string, version?: string): Promise<StoredGoal | undefined> {
  const r = await db.query<VersionRow>(READ_SQL, [projectId, goalId, version ?? null]);
  const row = r.rows[0];
  return row === undefined ? undefined : toStoredGoal(row);
}

export async function listGoals(db: Queryable, projectId: string): Promise<StoredGoal[]> {
  const r = await db.query<VersionRow>(READ_SQL, [projectId, null, null]);
  return r.rows.map(toStoredGoal);
}

const stepRows = (definition: GoalDefinition) =>
  definition.steps.map((s: GoalStep) => ({
    step_id: s.stepId,
    name: s.name,
    description: s.description,
    step_order: s.order,
    text: s.text,
    type: s.type,
  }));

const metricRows = (definition: GoalDefinition) =>
  definition.steps.flatMap((s: GoalStep) =>
    s.metrics.map((m: GoalMetric) => ({
      step_id: s.stepId,
      metric_id: m.metricId,
      name: m.name,
      description: m.description,
      type: m.type,
      benefit: m.benefit,
      value: m.value,
    })),
  );

// One statement writes the version: $1 project, $2 goal, $3 version, $4 definition, $5 changedBy, $6 steps, $7 metrics.
const WRITE_VERSION_SQL = `WITH stamp AS (
    SELECT greatest(clock_timestamp(), (SELECT max(last_changed) FROM goals) + interval '1 microsecond') AS at),
  d AS (SELECT $4::jsonb AS def),
  version_row AS (
    INSERT INTO goal_versions (project_id, goal_id, version, name, description, reference_id, created_at, created_by, definition)
    SELECT $1, $2, $3, d.def->>'name', d.def->>'description', d.def->>'referenceId', stamp.at, $5, d.def FROM d, stamp),
  step_rows AS (
    INSERT INTO goal_steps (project_id, goal_id, version, step_id, name, description, step_order, text, type, organisation_id)
    SELECT $1, $2, $3, s.step_id, s.name, s.description, s.step_order, s.text, s.type, d.def->>'organisationId'
    FROM d, json_to_recordset($6::json) AS s(step_id text, name text, description text, step_order integer, text text, type text)),
  metric_rows AS (
    INSERT INTO goal_step_metrics (project_id, goal_id, version, step_id, metric_id, name, description, type, benefit, value, organisation_id)
    SELECT $1, $2, $3, m.step_id, m.metric_id, m.name, m.description, m.type, m.benefit, m.value, d.def->>'organisationId'
    FROM d, json_to_recordset($7::json) AS m(step_id text, metric_id text, name text, description text, type text, benefit text, value integer))
INSERT INTO goals AS g (project_id, goal_id, version, name, description, reference_id, organisation_id, created_at, last_changed, created_by, last_changed_by)
SELECT $1, $2, $3, d.def->>'name', d.def->>'description', d.def->>'referenceId', d.def->>'organisationId', stamp.at, stamp.at, $5, $5 FROM d, stamp
ON CONFLICT (project_id, goal_id) DO UPDATE SET version = EXCLUDED.version, name = EXCLUDED.name, description = EXCLUDED.description,
  reference_id = EXCLUDED.reference_id, organisation_id = EXCLUDED.organisation_id, last_changed = EXCLUDED.last_changed,
  last_changed_by = EXCLUDED.last_changed_by`;

const CURRENT_SQL = `SELECT v.definition = $3::jsonb AS same FROM goals g
  JOIN goal_versions v ON v.version = g.version WHERE g.project_id = $1 AND g.goal_id = $2`;

/**
 * Stores a definition. A new goal or a changed definition gets a new version; a definition identical to the current
 * one changes nothing (not even lastChanged), so a repeated PUT is harmless.
 * putGoal(db, 'p1', 'refund', def) → { outcome: 'created', goal: { version: '5f0c…', … } }
 */
export async function putGoal(
  db: Database,
  projectId: string,
  goalId: string,
  definition: GoalDefinition,
  changedBy: string | null,
): Promise<{ outcome: PutOutcome; goal: StoredGoal }> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint), pg_advisory_xact_lock($2::bigint)', [DEFINITIONS_LOCK, goalLockKey(projectId, goalId)]);
    const json = JSON.stringify(definition);
    const current = await tx.query<{ same: boolean }>(CURRENT_SQL, [projectId, goalId, json]);
    const existing = current.rows[0];
    let outcome: PutOutcome = 'unchanged';
    if (existing === undefined || !existing.same) {
      outcome = existing === undefined ? 'created' : 'changed';
      await tx.query(WRITE_VERSION_SQL, [
        projectId,
        goalId,
        crypto.randomUUID(),
        json,
        changedBy,
        JSON.stringify(stepRows(definition)),
        JSON.stringify(metricRows(definition)),
      ]);
    }
    const goal = await readGoal(tx, projectId, goalId);
    if (goal === undefined) throw new Error(`goal ${goalId} vanished inside its own transaction`);
    return { outcome, goal };
  });
}

// The raw goal.step events keep their ids (a redelivery stays a duplicate and cannot bring the goal's data back), but
// lose their payload.
const DELETE_SQL = `WITH
  goal_row AS (DELETE FROM goals WHERE project_id = $1 AND goal_id = $2 RETURNING 1),
  version_rows AS (DELETE FROM goal_versions WHERE project_id = $1 AND goal_id = $2 RETURNING 1),
  step_rows AS (DELETE FROM goal_steps WHERE project_id = $1 AND goal_id = $2 RETURNING 1),
  metric_rows AS (DELETE FROM goal_step_metrics WHERE project_id = $1 AND goal_id = $2 RETURNING 1),
  hit_rows AS (DELETE FROM goal_events WHERE project_id = $1 AND goal_id = $2 RETURNING 1),
  cycle_rows AS (DELETE FROM goal_cycles WHERE project_id = $1 AND goal_id = $2 RETURNING 1),
  raw_events AS (UPDATE events SET payload = NULL
    WHERE project_id = $1 AND type = 'goal.step' AND payload->>'goalId' = $2 RETURNING 1)
SELECT (SELECT count(*) FROM goal_row)::integer AS goals, (SELECT count(*) FROM version_rows)::integer AS versions,
  (SELECT count(*) FROM hit_rows)::integer AS goal_events, (SELECT count(*) FROM cycle_rows)::integer AS goal_cycles`;

export interface DeletedGoal {
  readonly versions: number;
  readonly goalEvents: number;
  readonly goalCycles: number;
}

const MAX_ATTEMPTS = 3;

// An erasure that anonymises the goal's raw events while waiting for the goal's lock can deadlock with a deletion;
// PostgreSQL breaks the tie by aborting one of the two, and the deletion simply runs again.
const isDeadlock = (err: unknown) => (err as { code?: unknown })?.code === '40P01';

/** Deletes the goal, all its versions, its goal events and its cycles in one transaction; undefined when unknown. */
export async function deleteGoal(db: Database, projectId: string, goalId: string): Promise<DeletedGoal | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [goalLockKey(projectId, goalId)]);
        const r = await tx.query<{ goals: number; versions: number; goal_events: number; goal_cycles: number }>(DELETE_SQL, [projectId, goalId]);
        const row = r.rows[0];
        if (row === undefined || row.goals === 0) return undefined;
        return { versions: row.versions, goalEvents: row.goal_events, goalCycles: row.goal_cycles };
      });
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || !isDeadlock(err)) throw err;
    }
  }
}
