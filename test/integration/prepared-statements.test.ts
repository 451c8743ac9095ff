// OData statements run as named prepared statements of a bounded cache per read connection; a plan made stale by a
// migration is prepared afresh. PostgreSQL only: embedded PGlite runs every statement unnamed.
import request from 'supertest';
import type { AppContext } from '../../src/context';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { openDatabases, type Database } from '../../src/db';
import { createLogger } from '../../src/logger';
import { taskfeedModel } from '../../src/model/entity-model';
import { loadReadFixture } from '../helpers/fixtures';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/test-db';

const READ_KEY = 'prepared-read-key';

interface Prepared {
  readonly statement: string;
  readonly runs: number;
}

(usingPostgres ? describe : describe.skip)('prepared OData statements (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let readDb: Database;
  let ingestDb: Database;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    await loadReadFixture(testDb.db);
    // One read connection, so that pg_prepared_statements (a per-connection view) shows what the requests prepared.
    const config = loadConfig({
      DATABASE_URL: testDb.url as string,
      READ_KEYS: READ_KEY,
      WRITE_KEYS: 'prepared-write-key',
      LOG_LEVEL: 'silent',
      PUBLIC_URL: 'http://taskfeed.test',
      DATABASE_POOL_SIZE: '1',
      DATABASE_READ_POOL_SIZE: '1',
      ODATA_MAX_STATEMENTS_PER_KEY: '1',
      ODATA_STATEMENT_CACHE_SIZE: '2',
    });
    ({ db: ingestDb, readDb } = await openDatabases(config));
    const ctx: AppContext = { config, db: ingestDb, readDb, logger: createLogger('silent'), lifecycle: { shuttingDown: false }, model: taskfeedModel };
    app = createApp(ctx);
  });

  afterAll(async () => {
    await readDb?.close();
    await ingestDb?.close();
    await testDb?.drop();
  });

  const get = (url: string) => request(app).get(url.replace(/ /g, '%20')).set('x-api-key', READ_KEY);

  /** The read connection's prepared statements (this query itself is sent unnamed, so it is not among them). */
  async function prepared(): Promise<Prepared[]> {
    const r = await readDb.query<{ statement: string; runs: string }>(
      "SELECT statement, (generic_plans + custom_plans)::text AS runs FROM pg_prepared_statements WHERE name LIKE 'tf\\_%' ORDER BY prepare_time",
    );
    return r.rows.map((row) => ({ statement: row.statement, runs: Number(row.runs) }));
  }

  it('runs the same request shape as one prepared statement, whatever its values', async () => {
    for (const channel of ['webchat', 'voice', 'nowhere']) {
      await get(`/odata/Sessions?$filter=channel eq '${channel}'&$select=sessionId`).expect(200);
    }
    const statements = await prepared();
    expect(statements).toHaveLength(1);
    expect(statements[0]?.statement).toMatch(/sessions/);
    expect(statements[0]?.runs).toBe(3);
  });

  it('keeps at most ODATA_STATEMENT_CACHE_SIZE statements per connection, dropping the least recently used', async () => {
    await get('/odata/Analytics?$select=id&$top=2').expect(200);
    await get('/odata/CompletedTasks?$select=id&$top=2').expect(200);
    const statements = await prepared();
    expect(statements).toHaveLength(2);
    expect(statements.map((s) => s.statement).join('\n')).not.toMatch(/sessions/);
    expect(statements[0]?.statement).toMatch(/analytics/);
    expect(statements[1]?.statement).toMatch(/completed_tasks/);
  });

  it('plans every run with its values, pricing parallel workers by ODATA_PARALLEL_SETUP_COST', async () => {
    const setting = async (name: string) => (await readDb.query<{ setting: string }>(`SELECT current_setting('${name}') AS setting`)).rows[0]?.setting;
    expect(await setting('plan_cache_mode')).toBe('force_custom_plan');
    expect(await setting('parallel_setup_cost')).toBe('5000');
  });

  it('prepares a statement afresh when a migration changed a column it returns', async () => {
    // Grouped rows come back as plain columns (entity rows come as JSON, whose type no migration changes).
    const url = '/odata/Sessions?$apply=groupby((channel))';
    const before = await get(url).expect(200);
    await get(url).expect(200);
    await ingestDb.exec('ALTER TABLE sessions ALTER COLUMN channel TYPE varchar(200)');
    const after = await get(url).expect(200);
    expect(after.body.value).toEqual(before.body.value);
    expect((await prepared()).some((s) => /sessions/.test(s.statement))).toBe(true);
  });
});
