import request from 'supertest';
import { createApp } from '../../src/app';
import { openDatabase, type Database, type Queryable } from '../../src/db';
import { usingPostgres } from '../helpers/test-db';
import { countRows, createHarness, input, message, stepExecuted, taskCompleted, WRITE_KEY, type IngestHarness } from './ingest-support';

const batch = [
  input('o-in', 0, { inputId: 'o-i1' }),
  message('o-msg', 1),
  stepExecuted('o-step', 2),
  taskCompleted('o-task', 3, { inputId: 'o-i1' }),
];

function post(app: ReturnType<typeof createApp>) {
  return request(app).post('/api/v1/events').set('Authorization', `Bearer ${WRITE_KEY}`).set('Content-Type', 'application/json').send(JSON.stringify(batch));
}

/** The database connection breaks after `healthy` statements of the transaction (the driver's own message). */
function breakingAfter(db: Database, healthy: number): Database {
  return {
    ...db,
    transaction: (fn) =>
      db.transaction((tx) => {
        let statements = 0;
        const flaky: Queryable = {
          query: (text, values) => {
            statements += 1;
            if (statements > healthy) return Promise.reject(new Error('Connection terminated unexpectedly'));
            return tx.query(text, values);
          },
          exec: (script) => tx.exec(script),
        };
        return fn(flaky);
      }),
  };
}

const INGEST_TABLES = ['events', 'analytics', 'conversations', 'executed_steps', 'steps', 'completed_tasks', 'contact_tasks', 'contact_profiles', 'sessions'];

describe('the database going away', () => {
  let h: IngestHarness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  // 2 = locks and state (one statement) and the store statement succeed; the recompute of completedGoalsList fails.
  it.each([[0], [1], [2]])('the connection breaks after %i statements → 503 with Retry-After, nothing half-written', async (healthy) => {
    const app = createApp({ ...h.ctx, db: breakingAfter(h.db, healthy) });
    const res = await post(app);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body.error.code).toBe('DB_UNAVAILABLE');
    for (const table of INGEST_TABLES) expect([table, await countRows(h.db, table)]).toEqual([table, 0]);
  });

  it('the same batch succeeds once the database is back', async () => {
    const res = await post(h.app);
    expect([res.status, res.body]).toEqual([201, { accepted: 4, duplicates: 0, dropped: 0 }]);
    expect(await countRows(h.db, 'sessions')).toBe(1);
  });

  it('a closed database → 503 with Retry-After', async () => {
    // A second handle on the same database (PostgreSQL) or a fresh embedded one, closed before use.
    const closed = await openDatabase(usingPostgres ? { databaseUrl: h.testDb.url, poolSize: 1 } : { dataDir: 'memory://' });
    await closed.close();
    const app = createApp({ ...h.ctx, db: closed, readDb: closed });
    const res = await post(app);
    expect([res.status, res.headers['retry-after'], res.body.error.code]).toEqual([503, '5', 'DB_UNAVAILABLE']);
  });

  it('an unreachable server → 503 with Retry-After', async () => {
    const unreachable = await openDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', poolSize: 1 });
    try {
      const app = createApp({ ...h.ctx, db: unreachable, readDb: unreachable });
      const res = await post(app);
      expect([res.status, res.headers['retry-after'], res.body.error.code]).toEqual([503, '5', 'DB_UNAVAILABLE']);
    } finally {
      await unreachable.close();
    }
  });
});
