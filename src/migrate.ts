// schema/*.sql → applied migrations: in order, once each, in one transaction under an advisory lock.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from './db';
import { projectRoot } from './paths';

export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

// Any fixed 64-bit number; instances starting together wait on it instead of racing.
const MIGRATION_LOCK_KEY = 7_420_114_001;

export function readMigrations(dir = path.join(projectRoot(), 'schema')): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name), 'utf8');
      return { name, sql, checksum: crypto.createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * runMigrations(db) → ['001_init.sql'] the first time, [] afterwards.
 * Refuses to run when an applied migration's file has changed since it was applied.
 */
export async function runMigrations(db: Database, migrations = readMigrations()): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const applied = await tx.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migrations');
    const known = new Map(applied.rows.map((r) => [r.name, r.checksum]));
    for (const [name, checksum] of known) {
      const file = migrations.find((m) => m.name === name);
      if (file !== undefined && file.checksum !== checksum) {
        throw new Error(`Migration ${name} was edited after it was applied; add a new migration instead`);
      }
    }
    const pending = migrations.filter((m) => !known.has(m.name));
    for (const m of pending) {
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [m.name, m.checksum]);
    }
    return pending.map((m) => m.name);
  });
}
