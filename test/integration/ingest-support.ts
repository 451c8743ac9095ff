// test fixtures → valid events of every type, an app on a fresh test database, and table snapshots for comparisons.
import type express from 'express';
import type { AppContext } from '../../src/context';
import type { Database } from '../../src/db';
import { createTestApp } from '../helpers/test-app';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';

export { READ_KEY, WRITE_KEY } from '../helpers/test-app';
export const PROJECT = 'p1';

const T0 = Date.parse('2025-03-01T09:00:00.000Z');

/** ISO time `seconds` after 2025-03-01T09:00:00Z. */
export function at(seconds: number): string {
  return new Date(T0 + seconds * 1000).toISOString();
}

type Fields = Record<string, unknown>;

export const taskCompleted = (id: string, seconds: number, fields: Fields = {}) => ({
  id,
  type: 'task.completed',
  projectId: PROJECT,
  timestamp: at(seconds),
  contactId: 'c1',
  sessionId: 's1',
  task: 'Order Placement',
  ...fields,
});

export const input = (id: string, seconds: number, fields: Fields = {}) => ({
  id,
  type: 'input',
  projectId: PROJECT,
  timestamp: at(seconds),
  contactId: 'c1',
  sessionId: 's1',
  inputId: `in-${id}`,
  inputText: 'I want to order a pizza',
  channel: 'webchat3',
  ...fields,
});

export const message = (id: string, seconds: number, fields: Fields = {}) => ({
  id,
  type: 'message',
  projectId: PROJECT,
  timestamp: at(seconds),
  contactId: 'c1',
  sessionId: 's1',
  source: 'user',
  text: 'hello',
  ...fields,
});

export const stepExecuted = (id: string, seconds: number, fields: Fields = {}) => ({
  id,
  type: 'step.executed',
  projectId: PROJECT,
  timestamp: at(seconds),
  contactId: 'c1',
  sessionId: 's1',
  entityReferenceId: 'node-start',
  stepType: 'node',
  stepLabel: 'Start',
  ...fields,
});

export const handover = (id: string, seconds: number, fields: Fields = {}) => ({
  id,
  type: 'handover',
  projectId: PROJECT,
  timestamp: at(seconds),
  escalationId: 'esc1',
  sessionId: 's1',
  userId: 'c1',
  ...fields,
});

export const profileUpdated = (id: string, seconds: number, fields: Fields = {}) => ({
  id,
  type: 'profile.updated',
  projectId: PROJECT,
  timestamp: at(seconds),
  contactId: 'c1',
  ...fields,
});

export const profileDeleted = (id: string, seconds: number, fields: Fields = {}) => ({
  id,
  type: 'profile.deleted',
  projectId: PROJECT,
  timestamp: at(seconds),
  contactId: 'c1',
  ...fields,
});

export interface IngestHarness {
  readonly app: express.Express;
  readonly ctx: AppContext;
  readonly db: Database;
  readonly testDb: TestDatabase;
  close(): Promise<void>;
}

export async function createHarness(env: Record<string, string> = {}, options: { poolSize?: number } = {}): Promise<IngestHarness> {
  const testDb = await createTestDatabase({ poolSize: options.poolSize });
  const t = await createTestApp({ env, database: testDb });
  return { app: t.app, ctx: t.ctx, db: testDb.db, testDb, close: () => t.close() };
}

/** Every table the ingestion writes, with the columns that identify a row. */
export const INGEST_TABLES: Readonly<Record<string, string>> = {
  events: 'event_id',
  completed_tasks: 'id',
  contact_tasks: 'project_id, contact_id, task',
  contact_profiles: 'project_id, contact_id',
  sessions: 'id',
  analytics: 'id',
  conversations: 'id',
  steps: 'id',
  executed_steps: 'id',
  live_agent_escalations: 'project_id, id',
  erasures: 'project_id, contact_hash',
  erased_sessions: 'project_id, session_id, contact_hash',
};

/** All rows of a table in key order; `received_at` is dropped because it records arrival, not content. */
export async function tableRows(db: Database, table: string): Promise<Record<string, unknown>[]> {
  const key = INGEST_TABLES[table];
  if (key === undefined) throw new Error(`unknown table ${table}`);
  const r = await db.query<Record<string, unknown>>(`SELECT * FROM ${table} ORDER BY ${key.split(', ').map((k) => `${k} COLLATE "C"`).join(', ')}`);
  return r.rows.map((row) => {
    const { received_at: _received, ...rest } = row;
    return rest;
  });
}

export async function countRows(db: Database, table: string): Promise<number> {
  const r = await db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${table}`);
  return r.rows[0]?.n ?? -1;
}

export async function snapshot(db: Database): Promise<Record<string, Record<string, unknown>[]>> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const table of Object.keys(INGEST_TABLES)) out[table] = await tableRows(db, table);
  return out;
}
