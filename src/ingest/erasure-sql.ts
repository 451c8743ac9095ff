// erasures → their SQL: the sessions and contacts an erasure reaches, the erasure itself, and the rebuild after it.
import { raw, render, sql, type CompiledQuery, type Sql } from '../sql/fragment';
import { contactTasksUpsert, type ContactKey, type SessionKey } from './derive-sql';
import { json } from './sql-parts';

/**
 * The sessions an erasure takes with it: every session holding data of the contact dated at or before the erasure,
 * and every session an earlier erasure of the contact took.
 */
export const erasureSessionsQuery = (erasures: readonly { p: string; c: string; h: string; t: string }[]): CompiledQuery =>
  render(sql`WITH er AS (SELECT * FROM json_to_recordset(${json(erasures)}) AS r(p text, c text, h text, t timestamptz))
${raw(ERASURE_SESSIONS)}`);

const ERASURE_SESSIONS = `SELECT DISTINCT x.p AS project_id, x.c AS contact_id, x.s AS session_id FROM (
  SELECT er.p, er.c, e.session_id AS s FROM er JOIN events e ON e.project_id = er.p AND e.contact_id = er.c AND e.occurred_at <= er.t WHERE e.session_id IS NOT NULL
  UNION ALL SELECT er.p, er.c, s.session_id FROM er JOIN sessions s ON s.project_id = er.p AND s.user_id = er.c AND s.started_at <= er.t
  UNION ALL SELECT er.p, er.c, a.session_id FROM er JOIN analytics a ON a.project_id = er.p AND a.contact_id = er.c AND a.occurred_at <= er.t
  UNION ALL SELECT er.p, er.c, m.session_id FROM er JOIN conversations m ON m.project_id = er.p AND m.contact_id = er.c AND m.occurred_at <= er.t
  UNION ALL SELECT er.p, er.c, x.session_id FROM er JOIN executed_steps x ON x.project_id = er.p AND x.user_id = er.c AND x.occurred_at <= er.t
  UNION ALL SELECT er.p, er.c, ct.session_id FROM er JOIN completed_tasks ct ON ct.project_id = er.p AND ct.contact_id = er.c AND ct.occurred_at <= er.t
  UNION ALL SELECT er.p, er.c, l.session_id FROM er JOIN live_agent_escalations l ON l.project_id = er.p AND l.user_id = er.c AND l.occurred_at <= er.t
  UNION ALL SELECT er.p, er.c, x.session_id FROM er JOIN erased_sessions x ON x.project_id = er.p AND x.contact_hash = er.h
) x`;



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

const erasureInputs = (contacts: readonly ErasedContact[], sessions: readonly ErasedSession[]): Sql =>
  sql`er AS (SELECT * FROM json_to_recordset(${json(contacts)}) AS r(project_id text, contact_id text, contact_hash text, erased_at timestamptz)),
  es AS (SELECT * FROM json_to_recordset(${json(sessions)}) AS r(project_id text, session_id text, contact_hash text, erased_at timestamptz))`;

/** Rows of `table` to erase: the contact's rows and every row of the erased sessions, each dated at or before its erasure. */
const erasedRows = (table: string, key: string, contactColumn: string, extra = '') => `SELECT t.${key}${extra} FROM er JOIN ${table} t
      ON t.project_id = er.project_id AND t.${contactColumn} = er.contact_id AND t.occurred_at <= er.erased_at
    UNION SELECT t.${key}${extra} FROM es JOIN ${table} t ON t.project_id = es.project_id AND t.session_id = es.session_id AND t.occurred_at <= es.erased_at`;

/** Contacts with events that an erasure of these contacts and sessions would remove: their rows get rebuilt. */
export const erasureContactsQuery = (contacts: readonly ErasedContact[], sessions: readonly ErasedSession[]): CompiledQuery =>
  render(sql`WITH ${erasureInputs(contacts, sessions)}\n${raw(ERASURE_CONTACTS)}`);

const ERASURE_CONTACTS = `SELECT DISTINCT x.project_id, x.contact_id FROM (${erasedRows('events', 'project_id', 'contact_id', ', t.contact_id')}) x
WHERE x.contact_id IS NOT NULL`;

/**
 * Records the tombstones, keeps of every erased event only its id, type, project and time (so a redelivery is still a
 * duplicate), deletes the other rows of the erased contacts and sessions dated at or before each erasure, and
 * deletes the derived rows of the sessions and of every contact whose events went; the rebuild and recompute statements
 * then rebuild those from what is left. Returns the affected contacts.
 */
export const eraseQuery = (contacts: readonly ErasedContact[], sessions: readonly ErasedSession[]): CompiledQuery =>
  render(sql`WITH ${erasureInputs(contacts, sessions)},\n  ${raw(ERASE)}`);

const ERASE = `contact_tombstones AS (
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
 * After an erasure: rebuilds the profile rows and task aggregates of the affected contacts from their remaining events,
 * and returns the escalations and inputs of the erased sessions left to recompute.
 */
export const erasureRebuildQuery = (contacts: readonly ContactKey[], sessions: readonly SessionKey[]): CompiledQuery =>
  render(sql`WITH ac AS (SELECT * FROM json_to_recordset(${json(contacts)}) AS r(project_id text, contact_id text)),
  es AS (SELECT * FROM json_to_recordset(${json(sessions)}) AS r(project_id text, session_id text)),
  ${raw(ERASURE_REBUILD)}`);

const ERASURE_REBUILD = `rebuilt_profiles AS (
    INSERT INTO contact_profiles AS cp (project_id, contact_id, first_seen_at, last_seen_at)
    SELECT e.project_id, e.contact_id, min(e.occurred_at), max(e.occurred_at)
    FROM ac JOIN events e ON e.project_id = ac.project_id AND e.contact_id = ac.contact_id
    WHERE e.for_profile GROUP BY 1, 2
    ON CONFLICT (project_id, contact_id) DO UPDATE SET first_seen_at = EXCLUDED.first_seen_at, last_seen_at = EXCLUDED.last_seen_at),
  ${contactTasksUpsert('rebuilt_tasks', 'ac JOIN events b ON b.project_id = ac.project_id AND b.contact_id = ac.contact_id', 'replace')}
SELECT
  (SELECT coalesce(json_agg(x), '[]'::json) FROM (
     SELECT DISTINCT e.project_id, e.payload->>'escalationId' AS escalation_id
     FROM es JOIN events e ON e.project_id = es.project_id AND e.session_id = es.session_id WHERE e.type = 'handover') x) AS escalations,
  (SELECT coalesce(json_agg(x), '[]'::json) FROM (
     SELECT DISTINCT a.project_id, a.input_id FROM es JOIN analytics a ON a.project_id = es.project_id AND a.session_id = es.session_id) x) AS inputs`;
