// What bench-odata and bench-apply share: a scratch database with the read data set, the server and a bare
// express baseline as child processes, load at a fixed concurrency over HTTP (autocannon) and over SQL, figures.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { openDatabase } from '../src/db';
import { runMigrations } from '../src/migrate';
import { projectRoot } from '../src/paths';

export const ADMIN_URL = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
/** Seconds per measurement (each scenario × concurrency × variant). */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
export const CONCURRENCIES: readonly number[] = (process.env.BENCH_CONCURRENCY ?? '1,20').split(',').map(Number);
export const READ_KEY = 'bench-read-key';
export const ANALYTICS_ROWS = 1_000_000;
export const TASK_ROWS = 200_000;
export const SESSION_ROWS = 100_000;

export interface LoadStats {
  readonly requests: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Responses other than 2xx, plus transport errors. */
  readonly failures: number;
}

export function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * 1M Analytics inputs over 30 days in 100k sessions of 3 projects (50/30/20 %), a skewed intent mix with 15 %
 * without intent, and 200k CompletedTasks over 40 tasks: the sizes of a busy month of one bot platform.
 */
const SEED = `
INSERT INTO sessions (id, project_id, session_id, user_id, user_type, channel, started_at, last_activity_at, steps_count, handover_escalations, locale_name, endpoint_name)
SELECT p || ':s' || s, p, 's' || s, 'u' || (s % 20000), CASE WHEN s % 20 = 0 THEN 'admin' ELSE 'external' END,
       (ARRAY['webchat', 'voice', 'whatsapp'])[1 + s % 3],
       timestamptz '2024-03-01T00:00:00Z' + s * interval '25.92 seconds',
       timestamptz '2024-03-01T00:00:00Z' + s * interval '25.92 seconds' + interval '10 minutes',
       s % 12, (s % 17 = 0)::int, 'en', 'Web'
FROM generate_series(0, ${SESSION_ROWS - 1}) AS s,
     LATERAL (SELECT CASE WHEN s % 10 < 5 THEN 'p1' WHEN s % 10 < 8 THEN 'p2' ELSE 'p3' END AS p) AS proj;

INSERT INTO analytics (id, project_id, organisation, input_id, session_id, contact_id, flow_reference_id, flow_name, project_name,
                       input_text, input_data, state, mode, user_type, channel, flow_language, intent, intent_score,
                       completed_goals_list, understood, occurred_at, execution_time, execution, custom1, locale_name, endpoint_name)
SELECT 'a' || lpad(g::text, 7, '0'), p, 'org-1', 'in' || g, 's' || s, 'c' || (s % 20000), 'flow-' || (g % 7), 'Main flow', 'Project ' || p,
       'user input number ' || g, CASE WHEN g % 4 = 0 THEN '{"size":"large"}' END, 'default', 'TextOnly',
       CASE WHEN s % 20 = 0 THEN 'admin' ELSE 'external' END, (ARRAY['webchat', 'voice', 'whatsapp'])[1 + s % 3], 'en-US',
       CASE WHEN r < 250 THEN 'order.food' WHEN r < 370 THEN 'order.status' WHEN r < 470 THEN 'greeting'
            WHEN r < 530 THEN 'account.register' WHEN r < 580 THEN 'smalltalk' WHEN r < 620 THEN 'help' WHEN r < 650 THEN 'cancel'
            WHEN r < 850 THEN 'intent.' || (r % 40) ELSE NULL END,
       CASE WHEN r < 850 THEN 0.5 + (r % 500) / 1000.0 END,
       CASE WHEN r < 40 THEN 'Order Placement' END, r < 850,
       timestamptz '2024-03-01T00:00:00Z' + g * interval '2.592 seconds' + (hashint4(g * 7) & 1023) * interval '1 millisecond',
       20 + (hashint4(g * 13) & 511), 1 + g % 9, CASE WHEN g % 10 = 0 THEN 'vip' END, 'en', 'Web'
FROM generate_series(1, ${ANALYTICS_ROWS}) AS g,
     LATERAL (SELECT (hashint4(g) & 2147483647) % ${SESSION_ROWS} AS s, (hashint4(g * 31) & 1023) AS r) AS h,
     LATERAL (SELECT CASE WHEN h.s % 10 < 5 THEN 'p1' WHEN h.s % 10 < 8 THEN 'p2' ELSE 'p3' END AS p) AS proj;

INSERT INTO completed_tasks (id, project_id, contact_id, session_id, task, occurred_at, channel, user_type)
SELECT 'c' || g, p, 'c' || (s % 20000), 's' || s, 'task' || (hashint4(g * 17) & 2147483647) % 40,
       timestamptz '2024-03-01T00:00:00Z' + g * interval '12.96 seconds', (ARRAY['webchat', 'voice', 'whatsapp'])[1 + s % 3],
       CASE WHEN s % 20 = 0 THEN 'admin' ELSE 'external' END
FROM generate_series(1, ${TASK_ROWS}) AS g,
     LATERAL (SELECT (hashint4(g * 3) & 2147483647) % ${SESSION_ROWS} AS s) AS h,
     LATERAL (SELECT CASE WHEN h.s % 10 < 5 THEN 'p1' WHEN h.s % 10 < 8 THEN 'p2' ELSE 'p3' END AS p) AS proj;
`;

export interface ScratchDatabase {
  readonly name: string;
  readonly url: string;
  readonly seedSeconds: number;
  drop(): Promise<void>;
}

/** A new database on ADMIN_URL's server, migrated and seeded, vacuumed so that autovacuum stays out of the timings. */
export async function createSeededDatabase(prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
  const url = databaseUrl(name);
  await admin(`CREATE DATABASE ${name}`);
  const drop = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  const started = process.hrtime.bigint();
  try {
    process.stdout.write(`scratch database ${name}: migrating and seeding ${ANALYTICS_ROWS.toLocaleString('en-US')} Analytics, ` +
      `${TASK_ROWS.toLocaleString('en-US')} CompletedTasks and ${SESSION_ROWS.toLocaleString('en-US')} Sessions rows…\n`);
    const db = await openDatabase({ databaseUrl: url, poolSize: 1, statementTimeoutMs: 3_600_000 });
    try {
      await runMigrations(db);
      await db.exec(SEED);
      for (const table of ['analytics', 'completed_tasks', 'sessions']) await db.exec(`VACUUM ANALYZE ${table}`);
    } finally {
      await db.close();
    }
  } catch (err) {
    await drop();
    throw err;
  }
  return { name, url, seedSeconds: elapsedMs(started) / 1000, drop };
}

// Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ).
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) of a process, from /proc (NaN where there is no /proc). */
export function processCpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** CPU seconds of every PostgreSQL process on this machine (backends, parallel workers, writers). */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const seconds = processCpuSeconds(Number(entry));
      if (Number.isFinite(seconds)) total += seconds;
    } catch {
      // The process ended while being read.
    }
  }
  return total;
}

export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  readonly port: number;
  readonly pid: number;
  /** Resident memory now and at its peak (VmHWM), in MB. */
  rss(): { now: number; peak: number };
  /** CPU seconds (user + system) the process has used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Starts a built script (a path below dist/) as a child process and waits until `readyPath` answers 200. */
export async function startChild(script: string, env: Record<string, string>, readyPath: string): Promise<ChildServer> {
  const port = await freePort();
  const main = path.join(projectRoot(), 'dist', script);
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build first (the bench:* scripts do)`);
  const child: ChildProcess = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with code ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}${readyPath}`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${script} did not become ready within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid as number;
  const status = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? NaN : Number(m[1]) / 1024;
  };
  return {
    port,
    pid,
    rss: () => ({ now: status('VmRSS'), peak: status('VmHWM') }),
    cpuSeconds: () => processCpuSeconds(pid),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** taskfeed itself, on the scratch database, with every project readable by READ_KEY. */
export function startTaskfeed(url: string, extraEnv: Record<string, string> = {}): Promise<ChildServer> {
  return startChild('src/main.js', { DATABASE_URL: url, READ_KEYS: READ_KEY, WRITE_KEYS: 'bench-write-key', ...extraEnv }, '/readyz');
}

/** A route of the bare express baseline: the same statement, answered as the same JSON by the plainest code. */
export interface BareRoute {
  readonly path: string;
  /** Absent for 'static'. */
  readonly sql?: string;
  readonly params?: readonly unknown[];
  /** 'collection': {"@odata.context", "value": rows}; 'entity': the first row with its context; 'static': a fixed 1 KB JSON. */
  readonly shape: 'collection' | 'entity' | 'static';
  readonly context: string;
}

export function startBareExpress(url: string, routes: readonly BareRoute[], poolSize: number): Promise<ChildServer> {
  return startChild('scripts/bench-bare-server.js', { DATABASE_URL: url, BARE_ROUTES: JSON.stringify(routes), BARE_POOL_SIZE: String(poolSize) }, '/ready');
}

/** Load over HTTP: `connections` clients, each sending its next request when the previous one is answered. */
export async function httpLoad(url: string, connections: number, seconds = SECONDS, headers: Record<string, string> = {}): Promise<LoadStats> {
  // A BI client waits minutes for an answer (Power BI: 600 s), not autocannon's default 10 s.
  const r = await autocannon({ url, connections, duration: seconds, timeout: 600, headers: { 'x-api-key': READ_KEY, ...headers } });
  return {
    requests: r.requests.total,
    perSecond: r.requests.total / seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failures: r.non2xx + r.errors + r.timeouts,
  };
}

/** `$n` placeholders replaced by literals: the statement as psql would send it (simple query protocol). */
export function inlineParams(sql: string, params: readonly unknown[]): string {
  const literal = (v: unknown): string => {
    if (Array.isArray(v)) return pg.escapeLiteral(`{${v.map((x) => `"${String(x).replace(/["\\]/g, '\\$&')}"`).join(',')}}`);
    if (v === null || v === undefined) return 'NULL';
    return pg.escapeLiteral(String(v));
  };
  return sql.replace(/\$(\d+)/g, (_m, n: string) => literal(params[Number(n) - 1]));
}

export type SqlMode = 'simple' | 'prepared';

/**
 * Load over SQL: `concurrency` connections, each running the statement again as soon as it is answered.
 * 'simple' sends the text with literals as psql does (planned every time); 'prepared' a named statement.
 * As with autocannon, only statements answered within the window count.
 */
export async function sqlLoad(
  url: string,
  sql: string,
  params: readonly unknown[],
  concurrency: number,
  mode: SqlMode,
  seconds = SECONDS,
): Promise<LoadStats> {
  const clients = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const c = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' });
      await c.connect();
      return c;
    }),
  );
  const inlined = inlineParams(sql, params);
  const name = `bench_${crypto.createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
  const latencies: number[] = [];
  let failures = 0;
  const until = Date.now() + seconds * 1000;
  try {
    await Promise.all(
      clients.map(async (c) => {
        while (Date.now() < until) {
          const t = process.hrtime.bigint();
          try {
            if (mode === 'simple') await c.query(inlined);
            else await c.query({ name, text: sql, values: params as unknown[] });
            if (Date.now() <= until) latencies.push(elapsedMs(t));
          } catch {
            failures += 1;
          }
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, perSecond: latencies.length / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), failures };
}

export function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export const fmt = (n: number, digits = 1): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';

export const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

export function machineLine(): string {
  const cpus = os.cpus();
  return `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${fmt(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

export async function databaseVersion(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ version: string }>('SELECT version()');
    return r.rows[0]?.version.split(' on ')[0] ?? 'PostgreSQL';
  } finally {
    await c.end();
  }
}

/** One scenario's row per variant: requests/s, latency, failures, and the ratio against a chosen baseline. */
export function statsRow(label: string, s: LoadStats, baseline?: LoadStats): string {
  const ratio = baseline === undefined ? '' : `${fmt(s.perSecond / baseline.perSecond, 2)}×`;
  return `    ${label.padEnd(30)} ${fmt(s.perSecond).padStart(10)} ${fmt(s.p50, 2).padStart(9)} ${fmt(s.p99, 2).padStart(9)} ${String(s.failures).padStart(7)} ${ratio.padStart(8)}`;
}

export const STATS_HEADER = `    ${''.padEnd(30)} ${'req/s'.padStart(10)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'non-2xx'.padStart(7)} ${'ratio'.padStart(8)}`;
