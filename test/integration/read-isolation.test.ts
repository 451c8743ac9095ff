// More slow readers than the OData cap allows, plus abandoned statements: ingestion and /readyz still answer at once,
// and a client that went away leaves no statement behind. PostgreSQL only (a fresh database, or a cluster of the test's own).
import http from 'node:http';
import pg from 'pg';
import request from 'supertest';
import type { AppContext } from '../../src/context';
import { loadConfig } from '../../src/config';
import { createApp } from '../../src/app';
import { forRequest, openDatabase, openDatabases, type Database } from '../../src/db';
import { createLogger } from '../../src/logger';
import { runMigrations } from '../../src/migrate';
import { taskfeedModel } from '../../src/model/entity-model';
import { startServer, type RunningServer } from '../../src/server';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/test-db';
import { startThrowawayCluster, throwawayClusterTestsRun, type ThrowawayCluster } from '../helpers/throwaway-cluster';

const WRITE_KEY = 'isolation-write-key';
const READERS = ['isolation-reader-1', 'isolation-reader-2'];
const ABANDONING = 'isolation-reader-3';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await sleep(50);
  }
}

/** A GET on a socket of its own whose response is never read (the client stalls, or hangs up later). */
function openStalledRequest(base: string, path: string, key: string): http.ClientRequest {
  const req = http.get(`${base}${path}`, { agent: false, headers: { 'x-api-key': key, prefer: 'odata.maxpagesize=5000' } }, (res) => res.pause());
  req.on('error', () => undefined);
  return req;
}

(usingPostgres || throwawayClusterTestsRun ? describe : describe.skip)('read isolation (PostgreSQL)', () => {
  let cluster: ThrowawayCluster | undefined;
  let testDb: TestDatabase | undefined;
  let url: string;
  let ctx: AppContext;
  let readDb: Database;
  let running: RunningServer;
  let base: string;
  let admin: pg.Client;

  beforeAll(async () => {
    if (usingPostgres) {
      testDb = await createTestDatabase({ migrate: false, poolSize: 1 });
      url = testDb.url as string;
    } else {
      cluster = await startThrowawayCluster();
      url = cluster.url();
    }
    const config = loadConfig({
      DATABASE_URL: url,
      WRITE_KEYS: WRITE_KEY,
      READ_KEYS: [...READERS, ABANDONING].join(','),
      LOG_LEVEL: 'silent',
      PORT: '0',
      DATABASE_POOL_SIZE: '3',
      DATABASE_READ_POOL_SIZE: '4',
      ODATA_MAX_STATEMENTS_PER_KEY: '2',
      // A page is far larger than this, so a reader that stalls keeps its connection (until the send timeout).
      ODATA_BUFFER_BYTES: '65536',
      ODATA_SEND_TIMEOUT_MS: '600000',
    });
    const databases = await openDatabases(config);
    readDb = databases.readDb;
    await runMigrations(databases.db);
    // 5000 rows of about 4 KB: one page is about 20 MB, more than the socket buffers of a client that does not read.
    await databases.db.query(
      `INSERT INTO analytics (id, project_id, input_id, session_id, contact_id, input_text, channel, occurred_at)
       SELECT 'big-' || g, 'p1', 'i' || g, 's' || (g % 50), 'c' || (g % 70), repeat('y', 4000), 'webchat', '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 second'
       FROM generate_series(1, 5000) g`,
    );
    ctx = { config, db: databases.db, readDb, logger: createLogger('silent'), lifecycle: { shuttingDown: false }, model: taskfeedModel };
    running = await startServer(ctx);
    base = `http://127.0.0.1:${running.port}`;
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  }, 180_000);

  afterAll(async () => {
    await admin?.end();
    await running?.stop('test');
    if (testDb !== undefined) await testDb.drop();
    await cluster?.destroy();
  });

  const readStatements = async (where: string): Promise<number> => {
    const r = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'taskfeed-read' AND state <> 'idle' AND ${where}`,
    );
    return r.rows[0]?.n ?? 0;
  };

  async function expectIngestionAndReadiness(i: number): Promise<void> {
    const posted = await fetch(`${base}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WRITE_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: `iso-${i}`, type: 'task.completed', projectId: 'p1', timestamp: '2026-11-24T10:00:00Z', contactId: 'c1', sessionId: 's1', task: 'Order' }),
    });
    expect(posted.status).toBe(201);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  }

  it('slow readers over the cap and abandoned statements neither block ingestion nor outlive their clients', async () => {
    // Statements that cannot finish: the table is locked by the test until the end (on a connection of its own, since
    // pg_stat_activity reads stay the same for the rest of a transaction).
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE steps IN ACCESS EXCLUSIVE MODE');
    try {
      const abandoned = [openStalledRequest(base, '/odata/Steps?$top=1', ABANDONING), openStalledRequest(base, '/odata/Steps?$top=1', ABANDONING)];
      await until('the abandoned statements running', async () => (await readStatements("wait_event_type = 'Lock'")) === 2);

      // Three slow readers per key: two slots left overall, so most of them queue.
      const readers = READERS.flatMap((key) => [0, 1, 2].map(() => openStalledRequest(base, '/odata/Analytics?$select=id,inputText', key)));
      await until('every read slot taken and the other readers queued', () => readDb.queueStats().inUse === 4 && readDb.queueStats().waiting === 4);
      await expectIngestionAndReadiness(1);

      // A queued request whose client hangs up leaves the queue.
      const queued = openStalledRequest(base, '/odata/Analytics?$top=1', ABANDONING);
      await until('the extra request queued', () => readDb.queueStats().waiting === 5);
      queued.destroy();
      await until('the hung-up request gone from the queue', () => readDb.queueStats().waiting === 4);

      // The abandoning clients hang up mid-statement: their statements are cancelled and their slots go to waiting readers.
      for (const req of abandoned) req.destroy();
      await until('no statement of the gone clients', async () => (await readStatements("wait_event_type = 'Lock'")) === 0, 10_000);
      await until('the freed slots given to waiting readers', () => readDb.queueStats().inUse === 4 && readDb.queueStats().waiting === 2);
      await expectIngestionAndReadiness(2);

      for (const req of readers) req.destroy();
      await until('no statement of the gone readers', async () => (await readStatements('true')) === 0, 10_000);
      await until('every read slot free', () => readDb.queueStats().inUse === 0 && readDb.queueStats().waiting === 0, 10_000);
      await expectIngestionAndReadiness(3);
    } finally {
      await locker.end();
    }
  }, 180_000);

  it.each([
    ['the same key', ABANDONING, 'ODATA_MAX_STATEMENTS_PER_KEY'],
    ['another key', READERS[0] as string, 'DATABASE_READ_POOL_SIZE'],
  ])('a request that waits in the queue longer than ODATA_QUEUE_TIMEOUT_MS → 503 DB_BUSY naming the limit (%s)', async (_name, key, setting) => {
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE steps IN ACCESS EXCLUSIVE MODE');
    const oneSlot = await openDatabase({ databaseUrl: url, poolSize: 1, queue: { total: 1, perKey: 1, timeoutMs: 200 } });
    const holder = new AbortController();
    try {
      const held = forRequest(oneSlot, { key: ABANDONING, signal: holder.signal }).query('SELECT count(*) FROM steps').catch((err: unknown) => err);
      await until('the only slot taken', () => oneSlot.queueStats().inUse === 1);
      const app = createApp({ ...ctx, readDb: oneSlot });
      const res = await request(app).get('/odata/Analytics?$top=1').set('x-api-key', key);
      expect({ status: res.status, code: res.body.error?.code, retryAfter: res.headers['retry-after'] }).toEqual({ status: 503, code: 'DB_BUSY', retryAfter: '30' });
      expect(res.body.error.message).toContain(setting);
      expect(res.body.error.message).not.toContain(key);
      // A busy database is not an unreachable one: readiness holds.
      expect((await request(app).get('/readyz')).status).toBe(200);
      holder.abort();
      await held;
    } finally {
      await locker.end();
      await oneSlot.close();
    }
  });

  it('a client that stops reading a page larger than the buffer loses its connection after ODATA_SEND_TIMEOUT_MS', async () => {
    const stallingDb = await openDatabase({ databaseUrl: url, poolSize: 1, queue: { total: 1, perKey: 1, timeoutMs: 60_000 }, bufferBytes: 65536, consumerTimeoutMs: 200 });
    const server = http.createServer(createApp({ ...ctx, readDb: stallingDb }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    let responded = false;
    const req = http.get(
      `http://127.0.0.1:${address.port}/odata/Analytics?$select=id,inputText`,
      { agent: false, headers: { 'x-api-key': READERS[0] as string, prefer: 'odata.maxpagesize=5000' } },
      (res) => {
        responded = true;
        res.pause();
      },
    );
    req.on('error', () => undefined);
    try {
      await until('the page streaming', () => responded);
      // The client still holds its socket, but the connection and the slot are back.
      await until('the stalled page releasing its connection', () => stallingDb.stats().inUse === 0 && stallingDb.queueStats().inUse === 0, 10_000);
      expect(req.destroyed).toBe(false);
    } finally {
      req.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await stallingDb.close();
    }
  });
});
