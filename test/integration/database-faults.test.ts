// The database dies under load (kill -9 of the postmaster, pg_terminate_backend): the server stays up, answers 503 with
// Retry-After meanwhile, recovers by itself, and never loses an acknowledged event. Runs on a cluster of its own.
import http from 'node:http';
import pg from 'pg';
import type { AppContext } from '../../src/context';
import { loadConfig } from '../../src/config';
import { openDatabases } from '../../src/db';
import { createLogger } from '../../src/logger';
import { runMigrations } from '../../src/migrate';
import { taskfeedModel } from '../../src/model/entity-model';
import { startServer, type RunningServer } from '../../src/server';
import { startThrowawayCluster, throwawayClusterTestsRun, type ThrowawayCluster } from '../helpers/throwaway-cluster';

const WRITE_KEY = 'fault-write-key';
const READ_KEY = 'fault-read-key';

interface Outcome {
  readonly ids: readonly string[];
  readonly status: number;
  readonly retryAfter: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; a deadline turns a hang into a failure with a name. */
async function until(what: string, check: () => boolean | Promise<boolean>, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await sleep(50);
  }
}

const taskCompleted = (id: string, i: number) => ({
  id,
  type: 'task.completed',
  projectId: 'drill',
  timestamp: `2026-11-24T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`,
  contactId: `contact-${i % 11}`,
  sessionId: `session-${i % 13}`,
  task: i % 2 === 0 ? 'Order Placement' : 'Account Registration',
});

/** Posters that never stop on their own: single events and batches of three, each with fresh ids. */
function startIngestLoad(base: string, scenario: string, workers = 6) {
  const outcomes: Outcome[] = [];
  let running = true;
  let next = 0;
  const worker = async (w: number) => {
    while (running) {
      const size = w % 3 === 0 ? 3 : 1;
      const ids = Array.from({ length: size }, () => `${scenario}-${next++}`);
      const body = JSON.stringify(size === 1 ? taskCompleted(ids[0] as string, next) : ids.map((id, k) => taskCompleted(id, next + k)));
      try {
        const res = await fetch(`${base}/api/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${WRITE_KEY}`, 'content-type': 'application/json' },
          body,
        });
        await res.arrayBuffer();
        outcomes.push({ ids, status: res.status, retryAfter: res.headers.get('retry-after') });
      } catch {
        outcomes.push({ ids, status: 0, retryAfter: null });
      }
      // While the database is down every answer is immediate: pace the posters.
      if (outcomes.at(-1)?.status === 503) await sleep(20);
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return {
    outcomes,
    count: (status: number) => outcomes.filter((o) => o.status === status).length,
    acknowledged: () => outcomes.filter((o) => o.status === 200 || o.status === 201).length,
    async stop(): Promise<Outcome[]> {
      running = false;
      await done;
      return outcomes;
    },
  };
}

(throwawayClusterTestsRun ? describe : describe.skip)('database faults (a PostgreSQL cluster of the test’s own)', () => {
  let cluster: ThrowawayCluster;
  let ctx: AppContext;
  let running: RunningServer;
  let base: string;

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers: { 'x-api-key': READ_KEY, ...headers } });

  async function storedIds(ids: readonly string[]): Promise<Set<string>> {
    const client = new pg.Client({ connectionString: cluster.url() });
    await client.connect();
    try {
      const r = await client.query<{ event_id: string }>('SELECT event_id FROM events WHERE event_id = ANY($1)', [ids]);
      return new Set(r.rows.map((row) => row.event_id));
    } finally {
      await client.end();
    }
  }

  /** Every answer was a 2xx or a 503 with Retry-After, and every acknowledged event is in the database. */
  async function expectNothingLost(outcomes: readonly Outcome[]): Promise<void> {
    const unexpected = outcomes.filter((o) => ![200, 201, 503].includes(o.status) || (o.status === 503 && o.retryAfter === null));
    expect(unexpected).toEqual([]);
    const acknowledged = outcomes.filter((o) => o.status === 200 || o.status === 201).flatMap((o) => o.ids);
    expect(acknowledged.length).toBeGreaterThan(0);
    const stored = await storedIds(acknowledged);
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  }

  async function expectOutageAnswers(): Promise<void> {
    const ready = await get('/readyz');
    expect([ready.status, ready.headers.get('retry-after') !== null]).toEqual([503, true]);
    const read = await get('/odata/Analytics?$top=1');
    const body = (await read.json()) as { error: { code: string } };
    expect([read.status, read.headers.get('retry-after') !== null, body.error.code]).toEqual([503, true, 'DB_UNAVAILABLE']);
  }

  async function expectAlive(): Promise<void> {
    expect((await get('/healthz')).status).toBe(200);
  }

  beforeAll(async () => {
    cluster = await startThrowawayCluster();
    const config = loadConfig({
      DATABASE_URL: cluster.url(),
      WRITE_KEYS: WRITE_KEY,
      READ_KEYS: READ_KEY,
      LOG_LEVEL: 'silent',
      PORT: '0',
      // A page larger than this streams while holding its connection: the kill below lands mid-page.
      ODATA_BUFFER_BYTES: '1024',
    });
    const { db, readDb } = await openDatabases(config);
    await runMigrations(db);
    await db.query(
      `INSERT INTO analytics (id, project_id, input_id, session_id, contact_id, input_text, channel, occurred_at)
       SELECT 'big-' || g, 'drill', 'i' || g, 's' || (g % 50), 'c' || (g % 70), repeat('x', 500), 'webchat', '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 second'
       FROM generate_series(1, 3000) g`,
    );
    ctx = { config, db, readDb, logger: createLogger('silent'), lifecycle: { shuttingDown: false }, model: taskfeedModel };
    running = await startServer(ctx);
    base = `http://127.0.0.1:${running.port}`;
  }, 180_000);

  afterAll(async () => {
    await running?.stop('test');
    await cluster?.destroy();
  });

  it('kill -9 of the postmaster during ingestion: 503 with Retry-After meanwhile, recovery, no acknowledged event lost', async () => {
    const load = startIngestLoad(base, 'kill');
    await until('events acknowledged before the kill', () => load.acknowledged() >= 30);
    await cluster.killPostmaster();
    await until('a 503 while the database is down', () => load.count(503) > 0);
    await expectOutageAnswers();
    await cluster.start();
    const before = load.acknowledged();
    await until('an event acknowledged after the restart', () => load.acknowledged() > before + 10);
    await expectNothingLost(await load.stop());
    await expectAlive();
  }, 180_000);

  it('pg_terminate_backend of every taskfeed backend during ingestion: interrupted transactions answer 503, none is lost', async () => {
    const load = startIngestLoad(base, 'terminate');
    await until('events acknowledged before the terminations', () => load.acknowledged() >= 30);
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    try {
      await until('an interrupted transaction answered 503', async () => {
        await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'taskfeed%' AND pid <> pg_backend_pid()");
        await sleep(30);
        return load.count(503) > 0;
      });
    } finally {
      await admin.end();
    }
    const before = load.acknowledged();
    await until('events acknowledged after the terminations', () => load.acknowledged() > before + 10);
    await expectNothingLost(await load.stop());
    await expectAlive();
  }, 180_000);

  it('kill -9 of the postmaster during a streamed page: the page is cut, the server stays up and recovers', async () => {
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http
        .get(`${base}/odata/Analytics?$select=id,inputText&$top=3000`, { headers: { 'x-api-key': READ_KEY, prefer: 'odata.maxpagesize=3000' } }, resolve)
        .on('error', reject);
    });
    response.pause();
    expect(response.statusCode).toBe(200);
    // The client does not read: the page holds its read connection.
    await until('the page holding a read connection', () => ctx.readDb.stats().inUse > 0);
    await cluster.killPostmaster();
    const body = new Promise<string>((resolve) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve(text));
      response.on('error', () => resolve(text));
      response.on('close', () => resolve(text));
    });
    response.resume();
    await body;
    await expectOutageAnswers();
    await expectAlive();
    await cluster.start();
    await until('the feed answering after the restart', async () => (await get('/odata/Analytics?$top=1&$select=id')).status === 200);
    const page = (await (await get('/odata/Analytics?$select=id&$top=3000', { prefer: 'odata.maxpagesize=3000' })).json()) as { value: unknown[] };
    expect(page.value).toHaveLength(3000);
  }, 180_000);
});
