// test → a fresh, migrated database: embedded PGlite in memory, or a new database on TEST_DATABASE_URL's server
// (read through a streaming standby when TEST_DATABASE_READ_URL names one).
import crypto from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db';
import { runMigrations } from '../../src/migrate';

export interface TestDatabase {
  readonly db: Database;
  /** Connection string of the created database (PostgreSQL only). */
  readonly url?: string;
  /** The same database on the standby of TEST_DATABASE_READ_URL, read-only. */
  readonly readDb?: Database;
  readonly readUrl?: string;
  /** Resolves once the standby has replayed everything written so far (at once without a standby). */
  replayed?(): Promise<void>;
  drop(): Promise<void>;
}

export const usingPostgres = process.env.TEST_DATABASE_URL !== undefined && process.env.TEST_DATABASE_URL !== '';
const standbyUrl = usingPostgres && process.env.TEST_DATABASE_READ_URL ? process.env.TEST_DATABASE_READ_URL : undefined;

/** Bounds on waiting for the standby: it replays within milliseconds on one machine. */
const REPLAY_POLL_MS = 10;
const REPLAY_WAIT_MS = 15_000;

/** Polls the standby until its replay position reaches the primary's current WAL position. */
async function waitForReplay(primary: Database, standby: Database): Promise<void> {
  const target = (await primary.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]?.lsn;
  const deadline = Date.now() + REPLAY_WAIT_MS;
  for (;;) {
    const r = await standby.query<{ done: boolean }>('SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS done', [target]);
    if (r.rows[0]?.done === true) return;
    if (Date.now() > deadline) throw new Error(`the standby did not replay ${target} within ${REPLAY_WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, REPLAY_POLL_MS));
  }
}

const standbys = new WeakMap<Database, () => Promise<void>>();

/** After writing to `db` directly: waits until its standby (if any) has replayed the writes. */
export async function awaitReplay(db: Database): Promise<void> {
  await standbys.get(db)?.();
}

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
  let readDb: Database | undefined;
  let readUrl: string | undefined;
  if (standbyUrl !== undefined) {
    // The new database exists on the standby only once CREATE DATABASE is replayed: wait through its admin database.
    const standbyAdmin = await openDatabase({ databaseUrl: standbyUrl, poolSize: 1 });
    try {
      await waitForReplay(db, standbyAdmin);
    } finally {
      await standbyAdmin.close();
    }
    readUrl = withDatabase(standbyUrl, name);
    readDb = await openDatabase({ databaseUrl: readUrl, poolSize: options.poolSize ?? 10, readOnly: true });
  }
  const standby = readDb;
  const replayed = standby === undefined ? undefined : () => waitForReplay(db, standby);
  if (replayed !== undefined) standbys.set(db, replayed);
  return {
    db,
    url,
    readDb,
    readUrl,
    replayed,
    async drop() {
      await readDb?.close();
      await db.close();
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
