// npm run bench:apply → $apply over HTTP vs the same aggregation as hand-written SQL, on 1M Analytics and 200k CompletedTasks rows in a scratch database.
//
// Database: BENCH_DATABASE_URL || DATABASE_URL || postgres://postgres@127.0.0.1:5432/test (a server; the
// benchmark creates its own database there and drops it at the end). BENCH_RUNS (default 15) timed runs per
// case after an untimed pass over every case and 3 warm-up runs; the variants take turns at going first.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { createApp } from '../src/app';
import type { AppContext } from '../src/context';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db';
import { createLogger } from '../src/logger';
import { runMigrations } from '../src/migrate';
import { taskfeedModel } from '../src/model/entity-model';
import { bindApply } from '../src/odata/bind-apply';
import { BindSession } from '../src/odata/bind-expr';
import { DEFAULT_LIMITS } from '../src/odata/limits';
import { parseResourcePath } from '../src/odata/parse-path';
import { parseQueryString } from '../src/odata/parse-query';
import { bindResource } from '../src/odata/bind-path';
import { compileApplyPage } from '../src/sql/compile-apply';
import type { CompiledQuery } from '../src/sql/fragment';

const ADMIN_URL = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const KEY = 'bench-read-key';
const PROJECT = 'p1';

interface Case {
  readonly name: string;
  /** Measures the constant cost of a request, not an aggregation: not held to the 1.2 target. */
  readonly fixedCost?: boolean;
  /** Path and query below /odata. */
  readonly url: string;
  readonly sql: string;
  readonly params: readonly unknown[];
}

const P = [[PROJECT]];

const CASES: readonly Case[] = [
  {
    // No rows: what a request costs besides the database (HTTP, parse, bind, compile, JSON).
    name: 'fixed cost: count of an empty set',
    fixedCost: true,
    url: `/Sessions?$apply=${encodeURIComponent('aggregate($count as n)')}`,
    sql: 'SELECT count(*) AS n FROM sessions WHERE project_id = ANY($1::text[])',
    params: P,
  },
  {
    name: 'Analytics count per intent (1M)',
    url: `/Analytics?$apply=${encodeURIComponent('groupby((intent),aggregate($count as n))')}`,
    sql: 'SELECT intent, count(*) AS n FROM analytics WHERE project_id = ANY($1::text[]) GROUP BY intent ORDER BY intent',
    params: P,
  },
  {
    name: 'Analytics sum/avg per channel, 1 month filter',
    url: `/Analytics?$apply=${encodeURIComponent(
      'filter(timestamp ge 2024-01-01T00:00:00Z and timestamp lt 2024-02-01T00:00:00Z)/groupby((channel),aggregate(executionTime with sum as total,executionTime with average as mean))',
    )}`,
    sql: `SELECT channel, sum(execution_time) AS total, avg(execution_time) AS mean FROM analytics
           WHERE project_id = ANY($1::text[]) AND occurred_at >= $2 AND occurred_at < $3 GROUP BY channel ORDER BY channel`,
    params: [[PROJECT], '2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z'],
  },
  {
    name: 'Analytics inputs per day (compute date)',
    url: `/Analytics?$apply=${encodeURIComponent('compute(date(timestamp) as day)/groupby((day),aggregate($count as n))')}`,
    sql: `SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM analytics WHERE project_id = ANY($1::text[]) GROUP BY 1 ORDER BY 1`,
    params: P,
  },
  {
    name: 'Analytics totals (aggregate)',
    url: `/Analytics?$apply=${encodeURIComponent('aggregate($count as n,executionTime with max as slowest,contactId with countdistinct as contacts)')}`,
    sql: 'SELECT count(*) AS n, max(execution_time) AS slowest, count(DISTINCT contact_id) AS contacts FROM analytics WHERE project_id = ANY($1::text[])',
    params: P,
  },
  {
    name: 'CompletedTasks top 10 tasks by sessions (200k)',
    url: `/CompletedTasks?$apply=${encodeURIComponent('groupby((task,sessionId))/groupby((task),aggregate($count as sessions))/orderby(sessions desc)/top(10)')}`,
    sql: `SELECT task, count(*) AS sessions FROM (SELECT task, session_id FROM completed_tasks WHERE project_id = ANY($1::text[]) GROUP BY 1, 2) x
           GROUP BY task ORDER BY sessions DESC, task LIMIT 10`,
    params: P,
  },
  {
    name: 'CompletedTasks distinct contacts per task',
    url: `/CompletedTasks?$apply=${encodeURIComponent('groupby((task),aggregate(contactId with countdistinct as contacts))')}`,
    sql: 'SELECT task, count(DISTINCT contact_id) AS contacts FROM completed_tasks WHERE project_id = ANY($1::text[]) GROUP BY task ORDER BY task',
    params: P,
  },
];

const SEED = `
INSERT INTO analytics (id, project_id, input_id, session_id, contact_id, occurred_at, intent, execution_time, channel, user_type, intent_score)
SELECT 'a' || g, 'p' || (g % 2 + 1), 'i' || g, 's' || (g / 10), 'u' || (g % 20000),
       timestamptz '2024-01-01T00:00:00Z' + (g * interval '9 seconds'),
       'intent' || (g % 25), ((g::bigint * 7919) % 2000)::integer, (ARRAY['web', 'voice', 'chat'])[g % 3 + 1],
       CASE WHEN g % 10 = 0 THEN 'admin' ELSE 'external' END, (g % 100) / 100.0
  FROM generate_series(1, 1000000) AS g;
INSERT INTO completed_tasks (id, project_id, contact_id, session_id, task, occurred_at, channel, user_type)
SELECT 'c' || g, 'p' || (g % 2 + 1), 'u' || (g % 20000), 's' || (g / 4), 'task' || (g % 40),
       timestamptz '2024-01-01T00:00:00Z' + (g * interval '45 seconds'), (ARRAY['web', 'voice', 'chat'])[g % 3 + 1],
       CASE WHEN g % 10 = 0 THEN 'admin' ELSE 'external' END
  FROM generate_series(1, 200000) AS g;
`;

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** The statement the service runs for a case's first page (to time the SQL without the HTTP layer). */
function compiledStatement(url: string): CompiledQuery {
  const [path = '', query = ''] = url.slice(1).split('?');
  const q = parseQueryString(query);
  const session = new BindSession(taskfeedModel, DEFAULT_LIMITS, q.aliases);
  const parsed = parseResourcePath(path);
  if (parsed.kind !== 'resource') throw new Error(`not a resource path: ${path}`);
  const resource = bindResource(session, parsed.segments);
  if (resource.kind !== 'collection') throw new Error(`not a collection: ${path}`);
  return compileApplyPage(bindApply(session, resource, q), { limit: 1001, offset: 0 }, { projects: [PROJECT] });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const name = `taskfeed_bench_apply_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(ADMIN_URL, name);
  const db = await openDatabase({ databaseUrl: url, poolSize: 4 });
  const raw = new pg.Client({ connectionString: url });
  let server: http.Server | undefined;
  try {
    // Schema and rows go through a connection of their own: the app's pool and the SQL client start alike.
    const setup = await openDatabase({ databaseUrl: url, poolSize: 1 });
    try {
      await runMigrations(setup);
      const started = Date.now();
      process.stdout.write('generating 1,000,000 analytics and 200,000 completed_tasks rows… ');
      await setup.exec(SEED);
      // Vacuumed now so that autovacuum does not start on the fresh tables in the middle of the timings.
      for (const table of ['analytics', 'completed_tasks', 'sessions']) await setup.exec(`VACUUM ANALYZE ${table}`);
      console.log(`${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      await setup.close();
    }

    const config = loadConfig({ DATABASE_URL: url, READ_KEYS: `${KEY}:${PROJECT}`, WRITE_KEYS: 'bench-write-key', LOG_LEVEL: 'silent', ODATA_PAGE_SIZE: '1000' });
    const ctx: AppContext = { config, db, readDb: db, logger: createLogger('silent'), lifecycle: { shuttingDown: false }, model: taskfeedModel };
    server = http.createServer(createApp(ctx));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/odata`;
    await raw.connect();
    await raw.query("SET TimeZone = 'UTC'");

    const viaHttp = async (c: Case): Promise<{ ms: number; rows: number }> => {
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${base}${c.url}`, { headers: { 'X-Api-Key': KEY } });
      const body = (await res.json()) as { value?: unknown[] };
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (res.status !== 200 || body.value === undefined) throw new Error(`${c.name}: HTTP ${res.status} ${JSON.stringify(body)}`);
      return { ms, rows: body.value.length };
    };
    const viaSql = async (c: Case): Promise<{ ms: number; rows: number }> => {
      const t0 = process.hrtime.bigint();
      const r = await raw.query(c.sql, c.params as unknown[]);
      return { ms: Number(process.hrtime.bigint() - t0) / 1e6, rows: r.rowCount ?? 0 };
    };

    const viaCompiled = async (c: Case): Promise<number> => {
      const q = compiledStatement(c.url);
      const t0 = process.hrtime.bigint();
      await raw.query(q.text, q.values as unknown[]);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };

    // One untimed pass first: the app's pool connections and the raw client start equally warm.
    for (const c of CASES) {
      await viaSql(c);
      await viaHttp(c);
    }

    const results: { name: string; fixedCost: boolean; rows: number; sql: number; compiled: number; apply: number }[] = [];
    for (const c of CASES) {
      for (let i = 0; i < 3; i++) {
        await viaSql(c);
        await viaCompiled(c);
        await viaHttp(c);
      }
      const sqlTimes: number[] = [];
      const compiledTimes: number[] = [];
      const httpTimes: number[] = [];
      let rows = 0;
      let sqlRows = 0;
      for (let i = 0; i < RUNS; i++) {
        // The three variants take turns at going first: none always follows the others' parallel workers.
        const runs = [
          async () => {
            const s = await viaSql(c);
            sqlTimes.push(s.ms);
            sqlRows = s.rows;
          },
          async () => {
            compiledTimes.push(await viaCompiled(c));
          },
          async () => {
            const h = await viaHttp(c);
            httpTimes.push(h.ms);
            rows = h.rows;
          },
        ];
        for (let k = 0; k < runs.length; k++) await (runs[(i + k) % runs.length] as () => Promise<void>)();
      }
      if (rows !== sqlRows) throw new Error(`${c.name}: $apply returned ${rows} rows, SQL ${sqlRows}`);
      results.push({ name: c.name, fixedCost: c.fixedCost === true, rows, sql: median(sqlTimes), compiled: median(compiledTimes), apply: median(httpTimes) });
    }

    const pad = (s: string, n: number) => s.padEnd(n);
    const num = (x: number) => x.toFixed(1).padStart(9);
    console.log(`\nmedian of ${RUNS} runs (ms). SQL: the hand-written query over pg; compiled: the statement $apply compiles to, over pg;`);
    console.log('$apply: the HTTP request (auth, parse, bind, compile, query, JSON). Ratios are against the hand-written SQL.\n');
    console.log(`${pad('case', 48)} ${'rows'.padStart(5)} ${'SQL'.padStart(9)} ${'compiled'.padStart(9)} ${'$apply'.padStart(9)}  compiled/SQL  $apply/SQL`);
    for (const r of results) {
      const ratio = r.apply / r.sql;
      console.log(
        `${pad(r.name, 48)} ${String(r.rows).padStart(5)} ${num(r.sql)} ${num(r.compiled)} ${num(r.apply)}  ${(r.compiled / r.sql).toFixed(2).padStart(12)}  ${ratio.toFixed(2).padStart(10)}${r.fixedCost ? '  (constant cost per request)' : ratio > 1.2 ? '  (over 1.2)' : ''}`,
      );
    }
  } finally {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await raw.end().catch(() => undefined);
    await db.close();
    const cleanup = new pg.Client({ connectionString: ADMIN_URL });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
