// npm run bench:ingest → events/s through POST /api/v1/events (autocannon) next to ceilings measured in the same run.
//
// Database: BENCH_DATABASE_URL || DATABASE_URL || postgres://postgres@127.0.0.1:5432/test (a server; the benchmark
// creates its own database there and drops it at the end). The app runs in a child process listening on 127.0.0.1
// on an ephemeral port, with a pool as large as the concurrency; autocannon drives it from this process.
//
// Traffic: the seed's mix (scripts/traffic.ts: per user input an input, two messages, several step.executed, tasks and
// handovers at their usual rates, the odd profile update), and the task-only stream (one task.completed per request).
// Ceilings, each measured in this run:
//   - bare HTTP: an express route doing one INSERT + COMMIT per request (a multi-row INSERT for a batch) through a pg
//     Pool at the same concurrency, behind the same HTTP stack — the HTTP + durability limit;
//   - raw rows: the per-event rows (events, analytics, conversations, executed_steps, completed_tasks) as one multi-row
//     INSERT per table per 1,000 events;
//   - all rows: the same plus every derived row the service keeps (sessions, steps, contact profiles and task
//     aggregates) as blind upserts, values computed beforehand.
// Session growth: ms per event appended to a session holding 10,000 events against a fresh session.
// Sustained load: BENCH_SUSTAIN_SECONDS (default 180) at 80 % of the measured maximum, with throughput, p99 and the
// server's RSS over time.
import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import express from 'express';
import pg from 'pg';
import { createApp } from '../src/app';
import type { AppContext } from '../src/context';
import { loadConfig } from '../src/config';
import { openDatabase, type Database } from '../src/db';
import type { IngestEvent } from '../src/ingest/events';
import { ingestEvents } from '../src/ingest/ingest';
import {
  ANALYTICS_COLUMNS,
  COMPLETED_TASK_COLUMNS,
  CONVERSATION_COLUMNS,
  EVENT_COLUMNS,
  EXECUTED_STEP_COLUMNS,
  STEP_COLUMNS,
  toAnalyticsRow,
  toCompletedTaskRow,
  toConversationRow,
  toExecutedStepRow,
  toStepRow,
} from '../src/ingest/rows';
import { parseTimestamp, type Instant } from '../src/ingest/time';
import { validateEvents } from '../src/ingest/validate';
import { createLogger } from '../src/logger';
import { runMigrations } from '../src/migrate';
import { taskfeedModel } from '../src/model/entity-model';
import { contactTraffic, type Event } from './traffic';

const ADMIN_URL = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const WRITE_KEY = 'bench-write-key';
const TASKS = ['Order Placement', 'Information Retrieval', 'Account Registration', 'Appointment Booking', 'Order Tracking', 'Password Reset'];
const SESSIONS = 5000;
const CONTACTS = 2000;

const HELP = `Usage: npm run bench:ingest -- [--duration SECONDS] [--warmup SECONDS] [--sustain SECONDS]

Measures events/s of POST /api/v1/events for the seed's traffic mix and for a task-only stream, single
events at concurrency 1, 16 and 64 and 1,000-event batches at concurrency 4, each next to its ceilings
(bare express INSERT + COMMIT at the same concurrency; raw rows as multi-row INSERTs; all rows as blind
upserts); the cost per event in a session of 10,000 events against a fresh one; and a sustained run at
80 % of the maximum rate with throughput, p99 and RSS over time.

Needs PostgreSQL: BENCH_DATABASE_URL, else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test.
A scratch database is created there and dropped at the end.

  --duration S   seconds per measurement (default 8)
  --warmup S     seconds of warm-up before each measurement (default 1)
  --sustain S    seconds of the sustained run (default BENCH_SUSTAIN_SECONDS or 180)
  --only TEXT    only the scenarios whose name contains TEXT (no session growth or sustained run)

BENCH_CPU_PROF=DIR writes a CPU profile of each app server into DIR.
`;

type Traffic = 'mixed' | 'tasks';

interface Scenario {
  readonly name: string;
  readonly traffic: Traffic;
  readonly concurrency: number;
  readonly eventsPerRequest: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'mixed, single event, c=1', traffic: 'mixed', concurrency: 1, eventsPerRequest: 1 },
  { name: 'mixed, single event, c=16', traffic: 'mixed', concurrency: 16, eventsPerRequest: 1 },
  { name: 'mixed, single event, c=64', traffic: 'mixed', concurrency: 64, eventsPerRequest: 1 },
  { name: 'mixed, 1,000-event batch, c=4', traffic: 'mixed', concurrency: 4, eventsPerRequest: 1000 },
  { name: 'tasks, single event, c=64', traffic: 'tasks', concurrency: 64, eventsPerRequest: 1 },
  { name: 'tasks, 1,000-event batch, c=4', traffic: 'tasks', concurrency: 4, eventsPerRequest: 1000 },
];

// ------------------------------------------------------------------------------------------------
// Events

let sequence = 0;
const runId = crypto.randomBytes(3).toString('hex');

function nextTask(): Event {
  const n = sequence++;
  // A fixed spread over sessions and contacts: each session receives several events during a run.
  const session = (n * 7919) % SESSIONS;
  return {
    id: `bench-${runId}-${n}`,
    type: 'task.completed',
    projectId: 'bench',
    timestamp: new Date(Date.now() - ((n * 104729) % 86_400_000)).toISOString(),
    contactId: `contact-${session % CONTACTS}`,
    sessionId: `session-${session}`,
    task: TASKS[n % TASKS.length],
    inputId: `input-${n}`,
    channel: 'webchat3',
    userType: 'external',
  };
}

// The seed's traffic of many contacts at once, as a platform sends it: each contact's events in order, contacts
// interleaved. A project per run keeps ids unique across runs.
const mixedOptions = { days: 30, end: new Date(), project: `bench-${runId}`, seed: 7 };
const ACTIVE_CONTACTS = 500;
let mixedContact = 0;
let mixedTurn = 0;
const active: Event[][] = [];

function nextMixed(): Event {
  for (;;) {
    const slot = mixedTurn++ % ACTIVE_CONTACTS;
    let queue = active[slot];
    while (queue === undefined || queue.length === 0) {
      queue = contactTraffic(mixedOptions, mixedContact++).events;
      active[slot] = queue;
    }
    const event = queue.shift();
    if (event !== undefined) return event;
  }
}

const nextEvent = (traffic: Traffic): Event => (traffic === 'mixed' ? nextMixed() : nextTask());

function nextBody(traffic: Traffic, events: number): string {
  if (events === 1) return JSON.stringify(nextEvent(traffic));
  return JSON.stringify(Array.from({ length: events }, () => nextEvent(traffic)));
}

// ------------------------------------------------------------------------------------------------
// Servers in a child process: the app, or the bare ceiling route

type ServerMode = 'app' | 'bare';

function answerParent(server: http.Server, stop: () => Promise<void>): void {
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('message', (message) => {
    if (message === 'rss') process.send?.({ rss: process.memoryUsage().rss });
    if (message !== 'stop') return;
    server.close();
    server.closeAllConnections();
    void stop().then(() => process.exit(0));
  });
}

async function serveApp(): Promise<void> {
  const config = loadConfig(process.env);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, poolSize: config.poolSize, statementTimeoutMs: config.statementTimeoutMs });
  const ctx: AppContext = { config, db, readDb: db, logger: createLogger('silent'), lifecycle: { shuttingDown: false }, model: taskfeedModel };
  answerParent(http.createServer(createApp(ctx)), () => db.close());
}

const BARE_INSERT = `INSERT INTO events (event_id, type, project_id, contact_id, session_id, occurred_at, payload)
SELECT r.id, r.type, r."projectId", r."contactId", r."sessionId", r.timestamp, r.payload
FROM json_to_recordset($1::json) AS r(id text, type text, "projectId" text, "contactId" text, "sessionId" text, timestamp timestamptz, payload jsonb)`;

/** The HTTP + durability ceiling: parse the body, one INSERT in autocommit (one round trip and its COMMIT), 201. */
async function serveBare(): Promise<void> {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE) });
  pool.on('error', () => undefined);
  const app = express();
  app.post('/api/v1/events', express.raw({ type: () => true, limit: 16 * 1024 * 1024 }), async (req, res) => {
    const parsed: unknown = JSON.parse((req.body as Buffer).toString('utf8'));
    const events = (Array.isArray(parsed) ? parsed : [parsed]) as Event[];
    await pool.query(BARE_INSERT, [JSON.stringify(events.map((e) => ({ ...e, payload: e })))]);
    res.status(201).json({ accepted: events.length });
  });
  answerParent(http.createServer(app), () => pool.end());
}

interface Server {
  readonly port: number;
  rss(): Promise<number>;
  stop(): Promise<void>;
}

function startServer(mode: ServerMode, databaseUrl: string, poolSize: number): Promise<Server> {
  // BENCH_CPU_PROF=dir: the app servers write a V8 CPU profile there (node --cpu-prof), one per scenario.
  const profile = mode === 'app' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const child: ChildProcess = fork(__filename, [mode === 'app' ? '--serve' : '--serve-bare'], {
    execArgv: [...process.execArgv, ...profile],
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
        rss: () =>
          new Promise((done) => {
            const onMessage = (m: { rss?: number }) => {
              if (m.rss === undefined) return;
              child.off('message', onMessage);
              done(m.rss);
            };
            child.on('message', onMessage);
            child.send('rss');
          }),
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.send('stop');
          }),
      });
    });
  });
}

interface Load {
  readonly traffic: Traffic;
  readonly concurrency: number;
  readonly eventsPerRequest: number;
  readonly seconds: number;
  /** Requests per second over all connections; unset: as fast as the server answers. */
  readonly rate?: number;
}

function runAutocannon(port: number, load: Load, onTick?: (requests: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}/api/v1/events`,
        method: 'POST',
        connections: load.concurrency,
        duration: load.seconds,
        ...(load.rate !== undefined ? { overallRate: load.rate } : {}),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
        requests: [{ setupRequest: (req) => ({ ...req, body: nextBody(load.traffic, load.eventsPerRequest) }) }],
        timeout: 60,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    // autocannon emits a tick per second with that second's completed requests.
    if (onTick !== undefined) (instance as unknown as NodeJS.EventEmitter).on('tick', (tick: { counter: number }) => onTick(tick.counter));
  });
}

async function measureHttp(mode: ServerMode, url: string, load: Load, warmup: number): Promise<autocannon.Result> {
  const server = await startServer(mode, url, load.concurrency);
  try {
    await runAutocannon(server.port, { ...load, seconds: warmup });
    return await runAutocannon(server.port, load);
  } finally {
    await server.stop();
  }
}

const eventsPerSecond = (r: autocannon.Result, eventsPerRequest: number) => (r['2xx'] * eventsPerRequest) / r.duration;

// ------------------------------------------------------------------------------------------------
// Row ceilings: the same rows written straight through a pg Pool, 1,000 events per statement

type Columns = Readonly<Record<string, string>>;

const insertRows = (name: string, table: string, columns: Columns, param: number, conflict = '') =>
  `${name} AS (INSERT INTO ${table} (${Object.keys(columns).join(', ')}) SELECT ${Object.keys(columns).join(', ')} FROM json_to_recordset($${param}::json) AS r(${Object.entries(
    columns,
  )
    .map(([c, t]) => `${c} ${t}`)
    .join(', ')})${conflict})`;

const SESSION_ROW = { id: 'text', project_id: 'text', session_id: 'text', user_id: 'text', started_at: 'timestamptz', last_activity_at: 'timestamptz', step_path: 'text', steps_count: 'integer' };
const PROFILE_ROW = { project_id: 'text', contact_id: 'text', first_seen_at: 'timestamptz', last_seen_at: 'timestamptz' };
const CONTACT_TASK_ROW = {
  project_id: 'text',
  contact_id: 'text',
  task: 'text',
  first_completed_at: 'timestamptz',
  last_completed_at: 'timestamptz',
  completion_count: 'integer',
  last_session_id: 'text',
  last_event_id: 'text',
};

const RAW_SQL = `WITH ${[
  insertRows('e', 'events', EVENT_COLUMNS, 1),
  insertRows('a', 'analytics', ANALYTICS_COLUMNS, 2),
  insertRows('m', 'conversations', CONVERSATION_COLUMNS, 3),
  insertRows('x', 'executed_steps', EXECUTED_STEP_COLUMNS, 4),
].join(',\n')}
INSERT INTO completed_tasks (${Object.keys(COMPLETED_TASK_COLUMNS).join(', ')}) SELECT ${Object.keys(COMPLETED_TASK_COLUMNS).join(', ')} FROM json_to_recordset($5::json) AS r(${Object.entries(
  COMPLETED_TASK_COLUMNS,
)
  .map(([c, t]) => `${c} ${t}`)
  .join(', ')})`;

const upsertAll = (columns: Columns, keys: readonly string[]) =>
  ` ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${Object.keys(columns)
    .filter((c) => !keys.includes(c) && c !== 'id')
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(', ')}`;

const ALL_SQL = `WITH ${[
  insertRows('e', 'events', EVENT_COLUMNS, 1),
  insertRows('a', 'analytics', ANALYTICS_COLUMNS, 2, upsertAll(ANALYTICS_COLUMNS, ['project_id', 'input_id'])),
  insertRows('m', 'conversations', CONVERSATION_COLUMNS, 3),
  insertRows('x', 'executed_steps', EXECUTED_STEP_COLUMNS, 4),
  insertRows('t', 'completed_tasks', COMPLETED_TASK_COLUMNS, 5),
  insertRows('st', 'steps', STEP_COLUMNS, 6, upsertAll(STEP_COLUMNS, ['project_id', 'entity_reference_id'])),
  insertRows('s', 'sessions', SESSION_ROW, 7, upsertAll(SESSION_ROW, ['project_id', 'session_id'])),
  insertRows('p', 'contact_profiles', PROFILE_ROW, 8, upsertAll(PROFILE_ROW, ['project_id', 'contact_id'])),
].join(',\n')}
INSERT INTO contact_tasks (${Object.keys(CONTACT_TASK_ROW).join(', ')}) SELECT ${Object.keys(CONTACT_TASK_ROW).join(', ')} FROM json_to_recordset($9::json) AS r(${Object.entries(
  CONTACT_TASK_ROW,
)
  .map(([c, t]) => `${c} ${t}`)
  .join(', ')})${upsertAll(CONTACT_TASK_ROW, ['project_id', 'contact_id', 'task'])}`;

const last = <K, V>(map: Map<K, V>, key: K, make: () => V): V => {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
};

/** Parameters of RAW_SQL (the first five) and ALL_SQL (all nine) for a batch; derived values are computed here. */
function rowParameters(items: readonly Event[]): string[] {
  const events = validateEvents(items);
  const at = (e: IngestEvent) => parseTimestamp(e.timestamp) as Instant;
  const eventRows = events.map((e) => ({
    event_id: e.id,
    type: e.type,
    project_id: e.projectId,
    contact_id: 'contactId' in e ? e.contactId : null,
    session_id: 'sessionId' in e ? e.sessionId : null,
    occurred_at: at(e).iso,
    payload: e,
    for_analytics: true,
    for_profile: true,
  }));
  const analytics = new Map<string, ReturnType<typeof toAnalyticsRow>>();
  const conversations = [];
  const executed = [];
  const tasks = [];
  const steps = new Map<string, ReturnType<typeof toStepRow>>();
  const sessions = new Map<string, { id: string; project_id: string; session_id: string; user_id: string | null; started_at: string; last_activity_at: string; step_path: string; steps_count: number }>();
  const profiles = new Map<string, { project_id: string; contact_id: string; first_seen_at: string; last_seen_at: string }>();
  const contactTasks = new Map<
    string,
    { project_id: string; contact_id: string; task: string; first_completed_at: string; last_completed_at: string; completion_count: number; last_session_id: string; last_event_id: string }
  >();
  for (const e of events) {
    const t = at(e);
    if (e.type === 'input') analytics.set(`${e.projectId}:${e.inputId}`, toAnalyticsRow(e, t));
    if (e.type === 'message') conversations.push(toConversationRow(e, t));
    if (e.type === 'step.executed') {
      executed.push(toExecutedStepRow(e, t));
      steps.set(`${e.projectId}:${e.entityReferenceId}`, toStepRow(e, t));
    }
    if (e.type === 'task.completed') {
      tasks.push(toCompletedTaskRow(e, t));
      const ct = last(contactTasks, `${e.projectId}\n${e.contactId}\n${e.task}`, () => ({
        project_id: e.projectId,
        contact_id: e.contactId,
        task: e.task,
        first_completed_at: t.iso,
        last_completed_at: t.iso,
        completion_count: 0,
        last_session_id: e.sessionId,
        last_event_id: e.id,
      }));
      ct.completion_count++;
    }
    if (e.type !== 'profile.updated' && e.type !== 'profile.deleted') {
      const s = last(sessions, `${e.projectId}:${e.sessionId}`, () => ({
        id: `${e.projectId}:${e.sessionId}`,
        project_id: e.projectId,
        session_id: e.sessionId,
        user_id: e.type === 'handover' ? (e.userId ?? null) : e.contactId,
        started_at: t.iso,
        last_activity_at: t.iso,
        step_path: '',
        steps_count: 0,
      }));
      s.last_activity_at = t.iso;
      if (e.type === 'step.executed') {
        s.steps_count++;
        s.step_path = s.step_path === '' ? e.entityReferenceId : `${s.step_path},${e.entityReferenceId}`;
      }
    }
    if ('contactId' in e && e.type !== 'handover') {
      const p = last(profiles, `${e.projectId}:${e.contactId}`, () => ({ project_id: e.projectId, contact_id: e.contactId, first_seen_at: t.iso, last_seen_at: t.iso }));
      p.last_seen_at = t.iso;
    }
  }
  return [eventRows, [...analytics.values()], conversations, executed, tasks, [...steps.values()], [...sessions.values()], [...profiles.values()], [...contactTasks.values()]].map(
    (rows) => JSON.stringify(rows),
  );
}

/**
 * events/s of one kind of row ceiling: `concurrency` connections each writing 1,000-event batches for `seconds`. Only
 * the time in the database counts; preparing the rows here is not the database's cost.
 */
async function runRowCeiling(databaseUrl: string, traffic: Traffic, concurrency: number, seconds: number, allRows: boolean): Promise<number> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: concurrency });
  // Dropping the scratch database ends idle connections; that must not end the benchmark.
  pool.on('error', () => undefined);
  let events = 0;
  let busy = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const client = await pool.connect();
      try {
        while (Date.now() < end) {
          const params = rowParameters(Array.from({ length: 1000 }, () => nextEvent(traffic)));
          const started = performance.now();
          await client.query(allRows ? ALL_SQL : RAW_SQL, allRows ? params : params.slice(0, 5));
          busy += performance.now() - started;
          events += 1000;
        }
      } finally {
        client.release();
      }
    }),
  );
  await pool.end();
  return events / (busy / 1000 / concurrency);
}

// ------------------------------------------------------------------------------------------------
// Session growth and sustained load

/** ms per event for `count` single events, one after another, appended to session `sessionId` (steps and messages). */
async function msPerEvent(db: Database, sessionId: string, first: number, count: number): Promise<number> {
  const base = Date.parse('2026-01-01T00:00:00Z');
  const event = (i: number): Event => ({
    id: `growth-${runId}-${sessionId}-${i}`,
    type: i % 2 === 0 ? 'step.executed' : 'message',
    projectId: 'growth',
    timestamp: new Date(base + i * 10).toISOString(),
    contactId: 'growth-user',
    sessionId,
    ...(i % 2 === 0 ? { entityReferenceId: `node-${i % 13}`, stepType: 'node' } : { source: 'user', text: 'hello' }),
  });
  const started = performance.now();
  for (let i = first; i < first + count; i++) await ingestEvents(db, validateEvents([event(i)]));
  return (performance.now() - started) / count;
}

async function sessionGrowth(url: string, size: number, probes: number): Promise<{ long: number; fresh: number }> {
  const db = await openDatabase({ databaseUrl: url, poolSize: 2 });
  try {
    const base = Date.parse('2026-01-01T00:00:00Z');
    for (let start = 0; start < size; start += 1000) {
      const batch = Array.from({ length: Math.min(1000, size - start) }, (_, k) => {
        const i = start + k;
        return {
          id: `growth-${runId}-long-${i}`,
          type: i % 2 === 0 ? 'step.executed' : 'message',
          projectId: 'growth',
          timestamp: new Date(base + i * 10).toISOString(),
          contactId: 'growth-user',
          sessionId: 'long',
          ...(i % 2 === 0 ? { entityReferenceId: `node-${i % 13}`, stepType: 'node' } : { source: 'user', text: 'hello' }),
        };
      });
      await ingestEvents(db, validateEvents(batch));
    }
    await msPerEvent(db, 'warm-up', 0, probes);
    // Alternated, so that both see the same machine.
    let long = 0;
    let fresh = 0;
    for (let round = 0; round < 4; round++) {
      long += await msPerEvent(db, 'long', size + round * probes, probes);
      fresh += await msPerEvent(db, `fresh-${round}`, 0, probes);
    }
    return { long: long / 4, fresh: fresh / 4 };
  } finally {
    await db.close();
  }
}

interface Sample {
  readonly second: number;
  readonly eventsPerSecond: number;
  readonly rssMb: number;
}

async function sustained(url: string, rate: number, seconds: number): Promise<{ result: autocannon.Result; samples: Sample[] }> {
  const server = await startServer('app', url, 64);
  const samples: Sample[] = [];
  const window = Math.max(5, Math.round(seconds / 6));
  let requests = 0;
  let second = 0;
  try {
    const result = await runAutocannon(server.port, { traffic: 'mixed', concurrency: 64, eventsPerRequest: 1, seconds, rate }, (n) => {
      requests += n;
      second++;
      if (second % window === 0) {
        const done = requests;
        requests = 0;
        void server.rss().then((rss) => samples.push({ second, eventsPerSecond: done / window, rssMb: rss / 1024 / 1024 }));
      }
    });
    return { result, samples };
  } finally {
    await server.stop();
  }
}

// ------------------------------------------------------------------------------------------------

const TABLES = ['events', 'completed_tasks', 'contact_tasks', 'contact_profiles', 'sessions', 'analytics', 'conversations', 'executed_steps', 'steps', 'live_agent_escalations'];

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

function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |\n`;
  process.stdout.write(`\n${line(header)}|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|\n`);
  for (const row of rows) process.stdout.write(line(row));
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)} %`;

interface Measured {
  readonly scenario: Scenario;
  readonly service: number;
  readonly bare: number;
  readonly raw?: number;
  readonly all?: number;
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
  const sustainSeconds = option('--sustain', Number(process.env.BENCH_SUSTAIN_SECONDS) || 180);
  const name = `taskfeed_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  admin.on('error', () => undefined);
  await admin.connect();
  const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = withDatabase(ADMIN_URL, name);
  const measured: Measured[] = [];
  let failed = false;
  try {
    const setup = await openDatabase({ databaseUrl: url, poolSize: 1 });
    await runMigrations(setup);
    await setup.close();
    process.stdout.write(`PostgreSQL ${version}, scratch database ${name}; ${seconds} s per measurement after ${warmup} s warm-up\n`);

    const onlyIndex = process.argv.indexOf('--only');
    const only = onlyIndex < 0 ? undefined : process.argv[onlyIndex + 1];
    for (const scenario of SCENARIOS.filter((s) => only === undefined || s.name.includes(only))) {
      // A batch request takes long enough that a few seconds would count only a handful of them.
      const load: Load = { ...scenario, seconds: scenario.eventsPerRequest > 1 ? Math.max(seconds, 20) : seconds };
      await reset(url);
      const result = await measureHttp('app', url, load, warmup);
      await reset(url);
      const bare = eventsPerSecond(await measureHttp('bare', url, load, warmup), scenario.eventsPerRequest);
      let raw: number | undefined;
      let all: number | undefined;
      if (scenario.eventsPerRequest > 1) {
        await reset(url);
        raw = await runRowCeiling(url, scenario.traffic, scenario.concurrency, seconds, false);
        await reset(url);
        all = await runRowCeiling(url, scenario.traffic, scenario.concurrency, seconds, true);
      }
      const row: Measured = {
        scenario,
        service: eventsPerSecond(result, scenario.eventsPerRequest),
        bare,
        raw,
        all,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.non2xx + result.errors + result.timeouts,
      };
      measured.push(row);
      process.stdout.write(
        `  ${scenario.name}: ${int(row.service)} events/s (bare HTTP ${int(bare)}${raw !== undefined ? `, raw rows ${int(raw)}, all rows ${int(all ?? 0)}` : ''}), p99 ${row.p99} ms\n`,
      );
    }
    printTable(
      ['scenario', 'taskfeed events/s', 'bare HTTP INSERT+COMMIT', 'ratio', 'raw rows', 'ratio', 'all rows', 'ratio', 'p50 / p99 ms', 'errors'],
      measured.map((m) => [
        m.scenario.name,
        int(m.service),
        int(m.bare),
        pct(m.service, m.bare),
        m.raw !== undefined ? int(m.raw) : '',
        m.raw !== undefined ? pct(m.service, m.raw) : '',
        m.all !== undefined ? int(m.all) : '',
        m.all !== undefined ? pct(m.service, m.all) : '',
        `${m.p50} / ${m.p99}`,
        String(m.errors),
      ]),
    );
    failed = measured.some((m) => m.errors > 0);

    if (only !== undefined) return;
    await reset(url);
    const growth = await sessionGrowth(url, 10_000, 100);
    process.stdout.write(
      `\nSession growth: ${growth.long.toFixed(2)} ms per event in a session of 10,000 events, ${growth.fresh.toFixed(2)} ms in a fresh one: ${(growth.long / growth.fresh).toFixed(2)}×\n`,
    );

    const max = measured.find((m) => m.scenario.traffic === 'mixed' && m.scenario.concurrency === 64 && m.scenario.eventsPerRequest === 1);
    if (max !== undefined) {
      await reset(url);
      const rate = Math.round(0.8 * max.service);
      process.stdout.write(`\nSustained: ${sustainSeconds} s of mixed single events at ${int(rate)} requests/s (80 % of ${int(max.service)}), c=64\n`);
      const { result, samples } = await sustained(url, rate, sustainSeconds);
      printTable(
        ['second', 'events/s', 'server RSS MB'],
        samples.map((s) => [String(s.second), int(s.eventsPerSecond), s.rssMb.toFixed(0)]),
      );
      process.stdout.write(`overall ${int(eventsPerSecond(result, 1))} events/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, errors ${result.non2xx + result.errors + result.timeouts}\n`);
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
  if (failed) process.exitCode = 1;
}

const role = process.argv[2];
const run = role === '--serve' ? serveApp : role === '--serve-bare' ? serveBare : main;
run().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
