// npm run bench:odata → the OData read path against hand-written SQL and COPY on 1M Analytics rows: page latency, feed throughput, server memory.
//
// Database: BENCH_DATABASE_URL || DATABASE_URL || postgres://postgres@127.0.0.1:5432/test (a server; the benchmark
// creates a scratch database there and drops it at the end). The server runs as a child process (node
// dist/src/main.js) so that its peak RSS can be read from /proc/<pid>/status. BENCH_PAGE_RUNS (default 200) timed
// requests and as many SQL runs for (a), alternating so that both see the same cache state.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import express from 'express';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { openDatabase } from '../src/db';
import { runMigrations } from '../src/migrate';
import { taskfeedModel } from '../src/model/entity-model';
import { projectRoot } from '../src/paths';

const ADMIN_URL = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const ROWS = 1_000_000;
const SESSIONS = 20_000;
const PAGE_RUNS = Number(process.env.BENCH_PAGE_RUNS ?? 200);
const WARMUP = 20;
const FEED_PAGE = 5000;
const READ_KEY = 'bench-read-key';
const WRITE_KEY = 'bench-write-key';

const TARGET_PAGE_RATIO = 1.3;
const TARGET_FEED_RATIO = 0.4;
const TARGET_RSS_MB = 300;

const ANALYTICS = taskfeedModel.entitySets.find((s) => s.name === 'Analytics');
if (ANALYTICS === undefined) throw new Error('model: no Analytics set');
/** Every column the feed returns, in the order of the model: what the hand-written SQL and COPY select too. */
const COLUMNS = ANALYTICS.properties.map((p) => `"${p.column}"`).join(', ');

function databaseUrl(name: string): string {
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

// 1M inputs over 30 days in 20k sessions of 3 projects (50/30/20 %), with a skewed intent mix and 15 % without intent.
const SEED = `
INSERT INTO sessions (id, project_id, session_id, user_id, user_type, channel, started_at, last_activity_at, steps_count, handover_escalations, locale_name, endpoint_name)
SELECT p || ':s' || s, p, 's' || s, 'u' || (s % 5000), CASE WHEN s % 20 = 0 THEN 'admin' ELSE 'external' END,
       (ARRAY['webchat', 'voice', 'whatsapp'])[1 + s % 3],
       timestamptz '2024-03-01T00:00:00Z' + s * interval '129.6 seconds',
       timestamptz '2024-03-01T00:00:00Z' + s * interval '129.6 seconds' + interval '10 minutes',
       s % 12, (s % 17 = 0)::int, 'en', 'Web'
FROM generate_series(0, ${SESSIONS - 1}) AS s,
     LATERAL (SELECT CASE WHEN s % 10 < 5 THEN 'p1' WHEN s % 10 < 8 THEN 'p2' ELSE 'p3' END AS p) AS proj;

INSERT INTO analytics (id, project_id, organisation, input_id, session_id, contact_id, flow_reference_id, flow_name, project_name,
                       input_text, input_data, state, mode, user_type, channel, flow_language, intent, intent_score,
                       completed_goals_list, understood, occurred_at, execution_time, execution, custom1, locale_name, endpoint_name)
SELECT 'a' || lpad(g::text, 7, '0'), p, 'org-1', 'in' || g, 's' || s, 'c' || (s % 5000), 'flow-' || (g % 7), 'Main flow', 'Project ' || p,
       'user input number ' || g, CASE WHEN g % 4 = 0 THEN '{"size":"large"}' END, 'default', 'TextOnly',
       CASE WHEN s % 20 = 0 THEN 'admin' ELSE 'external' END, (ARRAY['webchat', 'voice', 'whatsapp'])[1 + s % 3], 'en-US',
       CASE WHEN r < 250 THEN 'order.food' WHEN r < 370 THEN 'order.status' WHEN r < 470 THEN 'greeting'
            WHEN r < 530 THEN 'account.register' WHEN r < 580 THEN 'smalltalk' WHEN r < 620 THEN 'help' WHEN r < 650 THEN 'cancel'
            WHEN r < 850 THEN 'intent.' || (r % 40) ELSE NULL END,
       CASE WHEN r < 850 THEN 0.5 + (r % 500) / 1000.0 END,
       CASE WHEN r < 40 THEN 'Order Placement' END, r < 850,
       timestamptz '2024-03-01T00:00:00Z' + g * interval '2.592 seconds' + (hashint4(g * 7) & 1023) * interval '1 millisecond',
       20 + (hashint4(g * 13) & 511), 1 + g % 9, CASE WHEN g % 10 = 0 THEN 'vip' END, 'en', 'Web'
FROM generate_series(1, ${ROWS}) AS g,
     LATERAL (SELECT (hashint4(g) & 2147483647) % ${SESSIONS} AS s, (hashint4(g * 31) & 1023) AS r) AS h,
     LATERAL (SELECT CASE WHEN h.s % 10 < 5 THEN 'p1' WHEN h.s % 10 < 8 THEN 'p2' ELSE 'p3' END AS p) AS proj;

ANALYZE;
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

interface Response {
  readonly status: number;
  readonly body: Buffer;
}

function get(port: number, pathAndQuery: string, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathAndQuery, agent, headers: { 'x-api-key': READ_KEY, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function startServer(url: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const main = path.join(projectRoot(), 'dist', 'src', 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build first (npm run bench:odata does)`);
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      READ_KEYS: READ_KEY,
      WRITE_KEYS: WRITE_KEY,
      ODATA_MAX_PAGE_SIZE: String(FEED_PAGE),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      const res = await get(port, '/readyz');
      if (res.status === 200) return { child, port };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error('server did not become ready within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function procStatus(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] === undefined ? NaN : Number(m[1]) / 1024;
}

function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

interface PageResult {
  readonly http: number[];
  readonly sql: number[];
  /** The same statement served by a bare express route (pool.query + res.json): the HTTP floor. */
  readonly bare: number[];
  readonly rows: number;
}

/** A bare express app answering the hand-written statement as JSON: what any HTTP API over the same SQL costs. */
function startBareExpress(pool: pg.Pool, sql: string, params: readonly unknown[]): Promise<http.Server> {
  const app = express();
  app.get('/bare', async (_req, res) => {
    const r = await pool.query(sql, params as unknown[]);
    res.json({ value: r.rows });
  });
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** (a) One filtered, ordered page of 100 rows, over HTTP and as the same statement on a pg Pool. */
async function benchPage(port: number, pool: pg.Pool, since: string): Promise<PageResult> {
  const filter = `projectId eq 'p1' and intent eq 'order.status' and timestamp ge ${since}`;
  const url = `/odata/Analytics?$filter=${encodeURIComponent(filter)}&$orderby=${encodeURIComponent('timestamp desc')}&$top=100`;
  const sql = `SELECT ${COLUMNS} FROM analytics WHERE project_id = $1 AND intent = $2 AND occurred_at >= $3 ORDER BY occurred_at DESC, id DESC LIMIT 100`;
  const params = ['p1', 'order.status', since];
  const viaHttp = async (): Promise<number> => {
    const res = await get(port, url);
    if (res.status !== 200) throw new Error(`${url} → ${res.status} ${res.body.toString('utf8').slice(0, 300)}`);
    return (JSON.parse(res.body.toString('utf8')) as { value: unknown[] }).value.length;
  };
  const viaSql = async (): Promise<number> => (await pool.query(sql, params)).rowCount ?? 0;
  const bareServer = await startBareExpress(pool, sql, params);
  const barePort = (bareServer.address() as { port: number }).port;
  const viaBare = async (): Promise<number> => {
    const res = await get(barePort, '/bare');
    return (JSON.parse(res.body.toString('utf8')) as { value: unknown[] }).value.length;
  };
  for (let i = 0; i < WARMUP; i++) {
    await viaHttp();
    await viaSql();
    await viaBare();
  }
  const times: PageResult = { http: [], sql: [], bare: [], rows: await viaHttp() };
  const sqlRows = await viaSql();
  if (sqlRows !== times.rows) throw new Error(`the page has ${times.rows} rows over HTTP but ${sqlRows} in SQL`);
  for (let i = 0; i < PAGE_RUNS; i++) {
    let t = process.hrtime.bigint();
    await viaHttp();
    times.http.push(ms(t));
    t = process.hrtime.bigint();
    await viaSql();
    times.sql.push(ms(t));
    t = process.hrtime.bigint();
    await viaBare();
    times.bare.push(ms(t));
  }
  await new Promise((resolve) => bareServer.close(resolve));
  times.http.sort((a, b) => a - b);
  times.sql.sort((a, b) => a - b);
  times.bare.sort((a, b) => a - b);
  return times;
}

interface FeedResult {
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly pages: number;
}

const ROW_START = Buffer.from('{"id":"');
const NEXT_LINK = '"@odata.nextLink":"';

function countOccurrences(buf: Buffer, needle: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** The path and query of the page's @odata.nextLink, which ends the payload; undefined on the last page. */
function nextLinkOf(body: Buffer): string | undefined {
  const tail = body.subarray(Math.max(0, body.length - 4096)).toString('utf8');
  const at = tail.lastIndexOf(NEXT_LINK);
  if (at < 0) return undefined;
  const link = new URL(JSON.parse(tail.slice(at + NEXT_LINK.length - 1, tail.lastIndexOf('}'))) as string);
  return `${link.pathname}${link.search}`;
}

/** (b) Every row, following @odata.nextLink as Power BI does; rows are counted, not parsed. */
async function benchFeed(port: number): Promise<FeedResult> {
  let next: string | undefined = `/odata/Analytics?$orderby=timestamp`;
  let rows = 0;
  let bytes = 0;
  let pages = 0;
  const start = process.hrtime.bigint();
  while (next !== undefined) {
    const res = await get(port, next, { Prefer: `odata.maxpagesize=${FEED_PAGE}` });
    if (res.status !== 200) throw new Error(`${next} → ${res.status} ${res.body.toString('utf8').slice(0, 300)}`);
    pages += 1;
    bytes += res.body.length;
    rows += countOccurrences(res.body, ROW_START);
    next = nextLinkOf(res.body);
  }
  return { rows, bytes, seconds: ms(start) / 1000, pages };
}

/** The same rows, in the same order, as fast as PostgreSQL can hand them out. */
async function benchCopy(url: string): Promise<FeedResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let rows = 0;
  let bytes = 0;
  const start = process.hrtime.bigint();
  try {
    const stream = client.query(copyTo(`COPY (SELECT ${COLUMNS} FROM analytics ORDER BY occurred_at, id) TO STDOUT`));
    await pipeline(
      stream,
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) rows++;
          done();
        },
      }),
    );
  } finally {
    await client.end();
  }
  return { rows, bytes, seconds: ms(start) / 1000, pages: 1 };
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

async function main(): Promise<void> {
  const name = `taskfeed_bench_${crypto.randomBytes(4).toString('hex')}`;
  const url = databaseUrl(name);
  await admin(`CREATE DATABASE ${name}`);
  let child: ChildProcess | undefined;
  const pool = new pg.Pool({ connectionString: url, max: 1, options: '-c TimeZone=UTC' });
  try {
    process.stdout.write(`scratch database ${name}: migrating and seeding ${ROWS.toLocaleString('en-US')} Analytics rows…\n`);
    const db = await openDatabase({ databaseUrl: url, poolSize: 1, statementTimeoutMs: 3_600_000 });
    let t = process.hrtime.bigint();
    try {
      await runMigrations(db);
      await db.exec(SEED);
    } finally {
      await db.close();
    }
    const seedSeconds = ms(t) / 1000;
    const versionRow = await pool.query<{ version: string }>('SELECT version()');
    const since = '2024-03-24T00:00:00Z';

    const server = await startServer(url);
    child = server.child;
    const pid = child.pid as number;
    const idleRss = procStatus(pid, 'VmRSS');

    process.stdout.write(`(a) ${PAGE_RUNS} page requests and ${PAGE_RUNS} SQL runs…\n`);
    const page = await benchPage(server.port, pool, since);
    process.stdout.write('(b) full feed over next links, then COPY…\n');
    t = process.hrtime.bigint();
    const feed = await benchFeed(server.port);
    const copy = await benchCopy(url);
    const peakRss = procStatus(pid, 'VmHWM');
    if (feed.rows !== ROWS || copy.rows !== ROWS) throw new Error(`row counts differ: feed ${feed.rows}, COPY ${copy.rows}, expected ${ROWS}`);

    const httpMedian = quantile(page.http, 0.5);
    const sqlMedian = quantile(page.sql, 0.5);
    const httpP95 = quantile(page.http, 0.95);
    const sqlP95 = quantile(page.sql, 0.95);
    const pageRatio = httpMedian / sqlMedian;
    const feedRate = feed.rows / feed.seconds;
    const copyRate = copy.rows / copy.seconds;
    const feedRatio = feedRate / copyRate;
    const cpus = os.cpus();

    const lines = [
      '',
      `taskfeed OData read benchmark: ${ROWS.toLocaleString('en-US')} Analytics rows, ${SESSIONS.toLocaleString('en-US')} sessions, 3 projects (seeded in ${fmt(seedSeconds)} s)`,
      `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${fmt(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`,
      `database: ${versionRow.rows[0]?.version.split(' on ')[0] ?? 'PostgreSQL'}`,
      '',
      `(a) one page: $filter=projectId eq 'p1' and intent eq 'order.status' and timestamp ge ${since}&$orderby=timestamp desc&$top=100`,
      `    ${page.rows} rows, ${PAGE_RUNS} sequential runs each after ${WARMUP} warm-up runs`,
      '                          median ms    p95 ms',
      `    OData over HTTP        ${fmt(httpMedian, 2).padStart(9)}  ${fmt(httpP95, 2).padStart(8)}`,
      `    hand-written SQL (pg)  ${fmt(sqlMedian, 2).padStart(9)}  ${fmt(sqlP95, 2).padStart(8)}`,
      `    same SQL, bare express ${fmt(quantile(page.bare, 0.5), 2).padStart(9)}  ${fmt(quantile(page.bare, 0.95), 2).padStart(8)}   OData / bare express: ${fmt(httpMedian / quantile(page.bare, 0.5), 2)}×`,
      `    ratio                  ${fmt(pageRatio, 2).padStart(8)}×  ${fmt(httpP95 / sqlP95, 2).padStart(7)}×   target ≤ ${TARGET_PAGE_RATIO}× (median): ${verdict(pageRatio <= TARGET_PAGE_RATIO)}`,
      '',
      `(b) full feed: /odata/Analytics?$orderby=timestamp, Prefer: odata.maxpagesize=${FEED_PAGE}, following @odata.nextLink`,
      '                            rows/s        s      MB   pages',
      `    OData next links   ${fmt(feedRate, 0).padStart(11)} ${fmt(feed.seconds).padStart(8)} ${fmt(feed.bytes / 2 ** 20).padStart(7)} ${String(feed.pages).padStart(7)}`,
      `    COPY TO STDOUT     ${fmt(copyRate, 0).padStart(11)} ${fmt(copy.seconds).padStart(8)} ${fmt(copy.bytes / 2 ** 20).padStart(7)}       1`,
      `    ratio              ${fmt(feedRatio * 100).padStart(10)}%   target ≥ ${TARGET_FEED_RATIO * 100}%: ${verdict(feedRatio >= TARGET_FEED_RATIO)}`,
      '',
      `server memory: ${fmt(idleRss)} MB RSS when ready, peak ${fmt(peakRss)} MB (VmHWM)   target < ${TARGET_RSS_MB} MB: ${verdict(peakRss < TARGET_RSS_MB)}`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    agent.destroy();
    await pool.end();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-odata failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
