// test → a fresh, migrated database: embedded PGlite in memory, or a new database on TEST_DATABASE_URL's server.
import crypto from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db';
import { runMigrations } from '../../src/migrate';

export interface TestDatabase {
  readonly db: Database;
  /** Connection string of the created database (PostgreSQL only). */
  readonly url?: string;
  drop(): Promise<void>;
}

export const usingPostgres = process.env.TEST_DATABASE_URL !== undefined && process.env.TEST_DATABASE_URL !== '';

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Each test file gets its own database, so files can run in parallel on one server. */
export async function createTestDatabase(options: { migrate?: boolean; poolSize?: number } = {}): Promise<TestDatabase> {
  const migrate = options.migrate ?? true;
  if (!usingPostgres) {
    const db = await openDatabase({ dataDir: 'memory://' });
    if (migrate) await runMigrations(db);
    return { db, drop: () => db.close() };
  }
  const adminUrl = process.env.TEST_DATABASE_URL as string;
  const name = `taskfeed_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const db = await openDatabase({ databaseUrl: url, poolSize: options.poolSize ?? 10 });
  if (migrate) await runMigrations(db);
  return {
    db,
    url,
    async drop() {
      await db.close();
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
