// planned rows → the store statement: events first, then, for the events it actually inserted, the per-event rows and
// the commutative merges of the derived rows.
import { join, raw, render, sql, type CompiledQuery, type Sql } from '../sql/fragment';
import { contactTasksUpsert, SESSIONS_MERGE, type SessionKey } from './derive-sql';
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
import { names, newer, recordset, updateAll, type Columns } from './sql-parts';

export interface StoreInput {
  readonly events: readonly EventRow[];
  readonly completedTasks: readonly CompletedTaskRow[];
  readonly analytics: readonly AnalyticsRow[];
  readonly conversations: readonly ConversationRow[];
  readonly executedSteps: readonly ExecutedStepRow[];
  readonly steps: readonly StepRow[];
  /** Whether any event feeds a contact profile (profile row, per-contact task aggregate). */
  readonly touchesProfiles: boolean;
  /** Whether any event feeds a session. */
  readonly touchesSessions: boolean;
}

/** What the store statement reports: the event ids it inserted and the sessions left for a rebuild. */
export interface StoreOutcome {
  readonly inserted: string[] | null;
  readonly rebuild: SessionKey[] | null;
}

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

const CONTACT_TASKS_MERGE = contactTasksUpsert('contact_tasks_new', 'batch b JOIN inserted i ON i.event_id = b.event_id', 'merge');

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
 * cannot deadlock), then, joined to the ids actually inserted, the per-event rows and the commutative merges
 * (contact tasks, profile times, sessions). Returns a StoreOutcome.
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
  if (input.touchesSessions) parts.push(raw(SESSIONS_MERGE));
  const rebuild = input.touchesSessions
    ? '(SELECT json_agg(json_build_object(\'project_id\', project_id, \'session_id\', session_id)) FROM session_merged WHERE rebuild)'
    : 'NULL::json';
  return render(sql`WITH ${join(parts, ',\n')}\nSELECT (SELECT json_agg(event_id) FROM inserted) AS inserted, ${raw(rebuild)} AS rebuild`);
}
