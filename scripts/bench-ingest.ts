// npm run bench:ingest → events/s through POST /api/v1/events (autocannon) next to the database's own ceiling for the same rows.
//
// Database: BENCH_DATABASE_URL || DATABASE_URL || postgres://postgres@127.0.0.1:5432/test (a server; the benchmark
// creates its own database there and drops it at the end). The app runs in a child process listening on 127.0.0.1
// on an ephemeral port, with a pool as large as the concurrency; autocannon drives it from this process.
//
// Scenarios: one event per request at concurrency 1, 16 and 64, and 1,000-event batches at concurrency 4. The
// ceiling writes the same rows (the events row and the completed_tasks row of each task.completed event) straight
// through a pg Pool of the same size: one INSERT … per event in autocommit (one round trip, one commit), and one
// multi-row INSERT per 1,000 events. A second ceiling also writes the derived rows the service keeps per event
// (contact task aggregate, contact profile, session row) as blind upserts, without reading anything: the gap
// between the two ceilings is the write amplification of the data model, the rest is the service's own cost
// (HTTP, validation, advisory locks, settings and erasure checks, recomputing the session from its events).
import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import pg from 'pg';
import { createApp } from '../src/app';
import type { AppContext } from '../src/context';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db';
import { createLogger } from '../src/logger';
import { runMigrations } from '../src/migrate';
import { taskfeedModel } from '../src/model/entity-model';

const ADMIN_URL = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const WRITE_KEY = 'bench-write-key';
const PROJECT = 'bench';
const TASKS = ['Order Placement', 'Information Retrieval', 'Account Registration', 'Appointment Booking', 'Order Tracking', 'Password Reset'];
const SESSIONS = 5000;
const CONTACTS = 2000;

const HELP = `Usage: npm run bench:ingest -- [--duration SECONDS] [--warmup SECONDS]

Measures events/s of POST /api/v1/events for single-event requests at concurrency 1, 16 and 64 and
for 1,000-event batches at concurrency 4, and the database's ceiling for the same rows (single-row
INSERT + COMMIT through a pg Pool at the same concurrency; multi-row INSERT for batches). A second
ceiling also writes the derived rows the service keeps per event (blind upserts of the contact's
task aggregate, the profile and the session row).

Needs PostgreSQL: BENCH_DATABASE_URL, else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test.
A scratch database is created there and dropped at the end.

  --duration S   seconds per measurement (default 8)
  --warmup S     seconds of warm-up before each measurement (default 1)
`;

interface Scenario {
  readonly name: string;
  readonly concurrency: number;
  readonly eventsPerRequest: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'single event, concurrency 1', concurrency: 1, eventsPerRequest: 1 },
  { name: 'single event, concurrency 16', concurrency: 16, eventsPerRequest: 1 },
  { name: 'single event, concurrency 64', concurrency: 64, eventsPerRequest: 1 },
  { name: '1,000-event batch, concurrency 4', concurrency: 4, eventsPerRequest: 1000 },
];

// ------------------------------------------------------------------------------------------------
// Events

let sequence = 0;
const runId = crypto.randomBytes(3).toString('hex');

function nextEvent(): Record<string, unknown> {
  const n = sequence++;
  // A fixed spread over sessions and contacts: each session receives several events during a run.
  const session = (n * 7919) % SESSIONS;
  return {
    id: `bench-${runId}-${n}`,
    type: 'task.completed',
    projectId: PROJECT,
    timestamp: new Date(Date.now() - ((n * 104729) % 86_400_000)).toISOString(),
    contactId: `contact-${session % CONTACTS}`,
    sessionId: `session-${session}`,
    task: TASKS[n % TASKS.length],
    inputId: `input-${n}`,
    channel: 'webchat3',
    userType: 'external',
  };
}

function nextBody(events: number): string {
  if (events === 1) return JSON.stringify(nextEvent());
  return JSON.stringify(Array.from({ length: events }, nextEvent));
}

// ------------------------------------------------------------------------------------------------
// The app in a child process

async function serve(): Promise<void> {
  const config = loadConfig(process.env);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, poolSize: config.poolSize, statementTimeoutMs: config.statementTimeoutMs });
  const ctx: AppContext = { config, db, readDb: db, logger: createLogger('silent'), lifecycle: { shuttingDown: false }, model: taskfeedModel };
  const server = http.createServer(createApp(ctx));
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('message', (message) => {
    if (message !== 'stop') return;
    server.close();
    server.closeAllConnections();
    void db.close().then(() => process.exit(0));
  });
}

interface Server {
  readonly port: number;
  stop(): Promise<void>;
}

function startServer(databaseUrl: string, poolSize: number): Promise<Server> {
  const child: ChildProcess = fork(__filename, ['--serve'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      DATABASE_READ_URL: '',
      DATABASE_POOL_SIZE: String(poolSize),
      WRITE_KEYS: WRITE_KEY,
      READ_KEYS: 'bench-read-key',
      WEBHOOK_SECRET: '',
      LOG_LEVEL: 'silent',
      MAX_BODY_BYTES: String(16 * 1024 * 1024),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    child.once('message', (message: { port: number }) => {
      child.removeAllListeners('exit');
      resolve({
        port: message.port,
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.send('stop');
          }),
      });
    });
  });
}

function runAutocannon(port: number, s: Scenario, seconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}/api/v1/events`,
        method: 'POST',
        connections: s.concurrency,
        duration: seconds,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
        requests: [{ setupRequest: (req) => ({ ...req, body: nextBody(s.eventsPerRequest) }) }],
        timeout: 60,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

// ------------------------------------------------------------------------------------------------
// The database's ceiling for the same rows

const SINGLE_SQL = `WITH e AS (
  INSERT INTO events (event_id, type, project_id, contact_id, session_id, occurred_at, payload) VALUES ($1, 'task.completed', $2, $3, $4, $5, $6))
INSERT INTO completed_tasks (id, project_id, contact_id, session_id, input_id, task, channel, user_type, occurred_at) VALUES ($1, $2, $3, $4, $7, $8, 'webchat3', 'external', $5)`;

const BATCH_SQL = `WITH r AS (SELECT * FROM json_to_recordset($1::json) AS r(id text, "projectId" text, "contactId" text, "sessionId" text, timestamp timestamptz, "inputId" text, task text, payload jsonb)),
  e AS (INSERT INTO events (event_id, type, project_id, contact_id, session_id, occurred_at, payload)
        SELECT id, 'task.completed', "projectId", "contactId", "sessionId", timestamp, payload FROM r)
INSERT INTO completed_tasks (id, project_id, contact_id, session_id, input_id, task, channel, user_type, occurred_at)
SELECT id, "projectId", "contactId", "sessionId", "inputId", task, 'webchat3', 'external', timestamp FROM r`;

// Every row the service stores for a task.completed event, written blind (no reads, values precomputed).
const SINGLE_ALL_SQL = `WITH e AS (
  INSERT INTO events (event_id, type, project_id, contact_id, session_id, occurred_at, payload) VALUES ($1, 'task.completed', $2, $3, $4, $5, $6)),
  t AS (INSERT INTO completed_tasks (id, project_id, contact_id, session_id, input_id, task, channel, user_type, occurred_at) VALUES ($1, $2, $3, $4, $7, $8, 'webchat3', 'external', $5)),
  ct AS (INSERT INTO contact_tasks AS x (project_id, contact_id, task, first_completed_at, last_completed_at, completion_count, last_session_id, last_event_id)
         VALUES ($2, $3, $8, $5, $5, 1, $4, $1)
         ON CONFLICT (project_id, contact_id, task) DO UPDATE SET last_completed_at = GREATEST(x.last_completed_at, EXCLUDED.last_completed_at), completion_count = x.completion_count + 1),
  cp AS (INSERT INTO contact_profiles AS x (project_id, contact_id, first_seen_at, last_seen_at) VALUES ($2, $3, $5, $5)
         ON CONFLICT (project_id, contact_id) DO UPDATE SET last_seen_at = GREATEST(x.last_seen_at, EXCLUDED.last_seen_at))
INSERT INTO sessions AS x (id, project_id, session_id, user_id, channel, user_type, started_at, last_activity_at, goals) VALUES ($2 || ':' || $4, $2, $4, $3, 'webchat3', 'external', $5, $5, $8)
ON CONFLICT (project_id, session_id) DO UPDATE SET last_activity_at = GREATEST(x.last_activity_at, EXCLUDED.last_activity_at), goals = EXCLUDED.goals`;

const BATCH_ALL_SQL = `WITH r AS (SELECT * FROM json_to_recordset($1::json) AS r(id text, "projectId" text, "contactId" text, "sessionId" text, timestamp timestamptz, "inputId" text, task text, payload jsonb)),
  e AS (INSERT INTO events (event_id, type, project_id, contact_id, session_id, occurred_at, payload)
        SELECT id, 'task.completed', "projectId", "contactId", "sessionId", timestamp, payload FROM r),
  t AS (INSERT INTO completed_tasks (id, project_id, contact_id, session_id, input_id, task, channel, user_type, occurred_at)
        SELECT id, "projectId", "contactId", "sessionId", "inputId", task, 'webchat3', 'external', timestamp FROM r),
  ct AS (INSERT INTO contact_tasks AS x (project_id, contact_id, task, first_completed_at, last_completed_at, completion_count, last_session_id, last_event_id)
         SELECT "projectId", "contactId", task, min(timestamp), max(timestamp), count(*), max("sessionId"), max(id) FROM r GROUP BY 1, 2, 3
         ON CONFLICT (project_id, contact_id, task) DO UPDATE SET last_completed_at = GREATEST(x.last_completed_at, EXCLUDED.last_completed_at),
           completion_count = x.completion_count + EXCLUDED.completion_count),
  cp AS (INSERT INTO contact_profiles AS x (project_id, contact_id, first_seen_at, last_seen_at)
         SELECT "projectId", "contactId", min(timestamp), max(timestamp) FROM r GROUP BY 1, 2
         ON CONFLICT (project_id, contact_id) DO UPDATE SET last_seen_at = GREATEST(x.last_seen_at, EXCLUDED.last_seen_at))
INSERT INTO sessions AS x (id, project_id, session_id, user_id, channel, user_type, started_at, last_activity_at, goals)
SELECT "projectId" || ':' || "sessionId", "projectId", "sessionId", min("contactId"), 'webchat3', 'external', min(timestamp), max(timestamp), string_agg(DISTINCT task, ', ')
FROM r GROUP BY "projectId", "sessionId"
ON CONFLICT (project_id, session_id) DO UPDATE SET last_activity_at = GREATEST(x.last_activity_at, EXCLUDED.last_activity_at), goals = EXCLUDED.goals`;

async function runCeiling(databaseUrl: string, s: Scenario, seconds: number, allRows = false): Promise<number> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: s.concurrency });
  // Dropping the scratch database ends idle connections; that must not end the benchmark.
  pool.on('error', () => undefined);
  let events = 0;
  const started = Date.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: s.concurrency }, async () => {
      const client = await pool.connect();
      try {
        while (Date.now() < end) {
          if (s.eventsPerRequest === 1) {
            const e = nextEvent();
            await client.query(allRows ? SINGLE_ALL_SQL : SINGLE_SQL, [e.id, e.projectId, e.contactId, e.sessionId, e.timestamp, JSON.stringify(e), e.inputId, e.task]);
          } else {
            const rows = Array.from({ length: s.eventsPerRequest }, () => {
              const e = nextEvent();
              return { ...e, payload: e };
            });
            await client.query(allRows ? BATCH_ALL_SQL : BATCH_SQL, [JSON.stringify(rows)]);
          }
          events += s.eventsPerRequest;
        }
      } finally {
        client.release();
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  await pool.end();
  return events / elapsed;
}

// ------------------------------------------------------------------------------------------------

const TABLES = ['events', 'completed_tasks', 'contact_tasks', 'contact_profiles', 'sessions', 'analytics'];

async function reset(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`TRUNCATE ${TABLES.join(', ')}`);
  await client.query('CHECKPOINT');
  await client.end();
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

interface Row {
  readonly scenario: Scenario;
  readonly service: number;
  readonly ceiling: number;
  readonly ceilingAll: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  const seconds = option('--duration', 8);
  const warmup = option('--warmup', 1);
  const name = `taskfeed_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  admin.on('error', () => undefined);
  await admin.connect();
  const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = withDatabase(ADMIN_URL, name);
  const rows: Row[] = [];
  try {
    const setup = await openDatabase({ databaseUrl: url, poolSize: 1 });
    await runMigrations(setup);
    await setup.close();
    process.stdout.write(`PostgreSQL ${version}, scratch database ${name}; ${seconds} s per measurement after ${warmup} s warm-up\n`);

    for (const scenario of SCENARIOS) {
      await reset(url);
      const server = await startServer(url, scenario.concurrency);
      let result: autocannon.Result;
      try {
        await runAutocannon(server.port, scenario, warmup);
        result = await runAutocannon(server.port, scenario, seconds);
      } finally {
        await server.stop();
      }
      const ok = result['2xx'];
      const service = (ok * scenario.eventsPerRequest) / result.duration;
      await reset(url);
      await runCeiling(url, scenario, warmup);
      const ceiling = await runCeiling(url, scenario, seconds);
      await reset(url);
      await runCeiling(url, scenario, warmup, true);
      const ceilingAll = await runCeiling(url, scenario, seconds, true);
      const row = { scenario, service, ceiling, ceilingAll, p50: result.latency.p50, p99: result.latency.p99, errors: result.non2xx + result.errors + result.timeouts };
      rows.push(row);
      process.stdout.write(
        `  ${scenario.name}: service ${Math.round(service)} events/s, ceiling ${Math.round(ceiling)} events/s, all stored rows ${Math.round(ceilingAll)} events/s\n`,
      );
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }

  const header = ['scenario', 'service events/s', 'ceiling events/s', 'ratio', 'all-rows ceiling', 'ratio', 'p50 ms', 'p99 ms', 'errors'];
  const table = rows.map((r) => [
    r.scenario.name,
    String(Math.round(r.service)),
    String(Math.round(r.ceiling)),
    `${((100 * r.service) / r.ceiling).toFixed(0)} %`,
    String(Math.round(r.ceilingAll)),
    `${((100 * r.service) / r.ceilingAll).toFixed(0)} %`,
    String(r.p50),
    String(r.p99),
    String(r.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |\n`;
  process.stdout.write(`\n${line(header)}|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|\n`);
  for (const row of table) process.stdout.write(line(row));
  if (rows.some((r) => r.errors > 0)) process.exitCode = 1;
}

if (process.argv[2] === '--serve') {
  serve().catch((err: unknown) => {
    process.stderr.write(`bench server failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
