// project_settings retention periods → deleted expired rows, counted per table (npm run purge, PURGE_INTERVAL_MINUTES).
import type { Database } from './db';

/** Rows per DELETE: keeps each statement short, so purging never holds locks for long. */
const BATCH = 5000;

interface Target {
  readonly table: string;
  /** project_settings column with the period in days. */
  readonly setting: string;
  /** The row's age is measured from this column. */
  readonly column: string;
  readonly condition?: string;
}

// profile.updated events are the source of the profile fields, so they go with the profile, not with the events.
const TARGETS: readonly Target[] = [
  { table: 'events', setting: 'retention_events_days', column: 'occurred_at', condition: "x.type <> 'profile.updated'" },
  { table: 'analytics', setting: 'retention_analytics_days', column: 'occurred_at' },
  { table: 'conversations', setting: 'retention_conversations_days', column: 'occurred_at' },
  { table: 'executed_steps', setting: 'retention_steps_days', column: 'occurred_at' },
  { table: 'steps', setting: 'retention_steps_days', column: 'last_seen_at' },
  { table: 'sessions', setting: 'retention_sessions_days', column: 'last_activity_at' },
  { table: 'live_agent_escalations', setting: 'retention_escalations_days', column: 'updated_at' },
  { table: 'completed_tasks', setting: 'retention_tasks_days', column: 'occurred_at' },
  // Goals: the hits, and the cycles whose last hit has expired.
  { table: 'goal_events', setting: 'retention_goal_events_days', column: 'occurred_at' },
  { table: 'goal_cycles', setting: 'retention_goal_events_days', column: 'last_step_at' },
];

const expired = (t: Pick<Target, 'table' | 'setting' | 'column' | 'condition'>) =>
  `SELECT x.ctid FROM ${t.table} x JOIN project_settings s ON s.project_id = x.project_id
   WHERE s.${t.setting} IS NOT NULL AND x.${t.column} < now() - make_interval(days => s.${t.setting})${t.condition ? ` AND ${t.condition}` : ''}
   LIMIT ${BATCH}`;

// Profiles expire after `profiles` days without activity (a sliding TTL, as in Cognigy), taking their task
// aggregates and profile.updated events with them.
const PURGE_PROFILES_SQL = `WITH deleted AS (
    DELETE FROM contact_profiles p USING project_settings s
    WHERE s.project_id = p.project_id AND s.retention_profiles_days IS NOT NULL
      AND p.last_seen_at < now() - make_interval(days => s.retention_profiles_days)
      AND p.ctid = ANY(ARRAY(${expired({ table: 'contact_profiles', setting: 'retention_profiles_days', column: 'last_seen_at' })}))
    RETURNING p.project_id, p.contact_id),
  tasks AS (DELETE FROM contact_tasks t USING deleted d WHERE t.project_id = d.project_id AND t.contact_id = d.contact_id RETURNING 1),
  updates AS (DELETE FROM events e USING deleted d
    WHERE e.project_id = d.project_id AND e.contact_id = d.contact_id AND e.type = 'profile.updated' RETURNING 1)
SELECT (SELECT count(*) FROM deleted)::integer AS contact_profiles, (SELECT count(*) FROM tasks)::integer AS contact_tasks,
  (SELECT count(*) FROM updates)::integer AS events`;

/**
 * Deletes every row older than its project's retention period for its kind of data; projects without a period keep
 * everything. purgeExpired(db) → { events: 120, analytics: 40, …, contact_profiles: 2, contact_tasks: 3 }
 */
export async function purgeExpired(db: Database): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  for (const target of TARGETS) {
    let total = 0;
    for (;;) {
      const r = await db.query(`DELETE FROM ${target.table} WHERE ctid = ANY(ARRAY(${expired(target)}))`);
      total += r.rowCount;
      if (r.rowCount < BATCH) break;
    }
    deleted[target.table] = total;
  }
  deleted.contact_profiles = 0;
  deleted.contact_tasks = 0;
  for (;;) {
    const r = await db.query<{ contact_profiles: number; contact_tasks: number; events: number }>(PURGE_PROFILES_SQL);
    const row = r.rows[0] ?? { contact_profiles: 0, contact_tasks: 0, events: 0 };
    deleted.contact_profiles += row.contact_profiles;
    deleted.contact_tasks += row.contact_tasks;
    deleted.events = (deleted.events ?? 0) + row.events;
    if (row.contact_profiles < BATCH) break;
  }
  return deleted;
}
