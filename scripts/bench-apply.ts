// npm run bench:apply → $apply aggregations at c=1 and c=20 against three baselines measured in the same run (the
// same SQL as psql sends it, the same SQL prepared, the same SQL behind a bare express route), on 1M Analytics and
// 200k CompletedTasks rows. Database: BENCH_DATABASE_URL || DATABASE_URL || postgres://postgres@127.0.0.1:5432/test
// (a scratch database is created there and dropped). BENCH_SECONDS (default 10) per measurement; BENCH_CONCURRENCY
// (default "1,20").
import {
  CONCURRENCIES,
  createSeededDatabase,
  databaseVersion,
  fmt,
  httpLoad,
  machineLine,
  READ_KEY,
  SECONDS,
  sqlLoad,
  startBareExpress,
  startTaskfeed,
  STATS_HEADER,
  statsRow,
  verdict,
  type ChildServer,
  type LoadStats,
} from './bench-harness';

interface Scenario {
  readonly name: string;
  readonly set: string;
  readonly apply: string;
  /** The same aggregation written by hand; its rows must equal the response's. */
  readonly sql: string;
  readonly params: readonly unknown[];
  /** Measurement window; a statement of several seconds at c=20 needs a longer one than the default. */
  readonly seconds?: number;
  readonly targets: (c: number, v: Variants) => string[];
}

interface Variants {
  readonly simple: LoadStats;
  readonly prepared: LoadStats;
  readonly bare: LoadStats;
  readonly odata: LoadStats;
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'small-table groupby count (200k CompletedTasks)',
    set: 'CompletedTasks',
    apply: 'groupby((task),aggregate($count as n))',
    sql: 'SELECT task, count(*) AS n FROM completed_tasks GROUP BY task ORDER BY task',
    params: [],
    targets: (c, v) => {
      if (c === 1) {
        const r = v.odata.p50 / v.prepared.p50;
        return [`small groupby, c=1: p50 ${fmt(r, 2)}× the prepared SQL   target ≤ 1.3×: ${verdict(r <= 1.3)}`];
      }
      if (c === 20) {
        const r = v.odata.perSecond / v.simple.perSecond;
        return [`small groupby, c=20: ${fmt(r, 2)}× the raw SQL's throughput   target ≥ 1.0×: ${verdict(r >= 1.0)}`];
      }
      return [];
    },
  },
  {
    name: '1M-row filtered aggregate (Analytics)',
    set: 'Analytics',
    apply: 'filter(timestamp ge 2024-03-10T00:00:00Z)/groupby((channel),aggregate(executionTime with average as avg))',
    sql: 'SELECT channel, avg(execution_time) AS avg FROM analytics WHERE occurred_at >= $1 GROUP BY channel ORDER BY channel',
    params: ['2024-03-10T00:00:00Z'],
    seconds: Math.max(SECONDS, 30),
    targets: (c, v) => {
      if (c !== 20) return [];
      const r = v.odata.perSecond / v.simple.perSecond;
      return [
        `1M aggregate, c=20: ${v.odata.failures} non-2xx   target 0: ${verdict(v.odata.failures === 0)}`,
        `1M aggregate, c=20: ${fmt(r, 2)}× the raw SQL's throughput   target ≥ 0.9×: ${verdict(r >= 0.9)}`,
      ];
    },
  },
  {
    name: 'top-tasks recipe (landing page)',
    set: 'CompletedTasks',
    apply:
      'filter(timestamp ge 2024-03-01T00:00:00Z and timestamp lt 2024-03-15T00:00:00Z)/groupby((projectId,sessionId,task))' +
      '/groupby((task),aggregate($count as sessions))/orderby(sessions desc,task)/top(10)',
    sql: `SELECT task, count(*) AS sessions FROM (SELECT project_id, session_id, task FROM completed_tasks
           WHERE occurred_at >= $1 AND occurred_at < $2 GROUP BY 1, 2, 3) x GROUP BY task ORDER BY sessions DESC, task LIMIT 10`,
    params: ['2024-03-01T00:00:00Z', '2024-03-15T00:00:00Z'],
    targets: () => [],
  },
];

async function main(): Promise<void> {
  const scratch = await createSeededDatabase('taskfeed_bench_apply');
  const servers: ChildServer[] = [];
  try {
    const taskfeed = await startTaskfeed(scratch.url);
    servers.push(taskfeed);
    const urlOf = (s: Scenario) => `/odata/${s.set}?$apply=${encodeURIComponent(s.apply)}`;
    const bare = await startBareExpress(
      scratch.url,
      SCENARIOS.map((s, i) => ({ path: `/s${i}`, sql: s.sql, params: s.params, shape: 'collection' as const, context: `http://127.0.0.1/odata/$metadata#${s.set}` })),
      10,
    );
    servers.push(bare);
    const out: string[] = ['', `taskfeed $apply benchmark, ${SECONDS} s per measurement (the 1M-row aggregate: at least 30 s)`, machineLine(), `database: ${await databaseVersion(scratch.url)}`, ''];
    const targets: string[] = [];
    for (const [i, s] of SCENARIOS.entries()) {
      const probe = await fetch(`http://127.0.0.1:${taskfeed.port}${urlOf(s)}`, { headers: { 'x-api-key': READ_KEY } });
      const body = (await probe.json()) as { value?: unknown[] };
      const expected = (await (await fetch(`http://127.0.0.1:${bare.port}/s${i}`)).json()) as { value: unknown[] };
      if (probe.status !== 200 || body.value?.length !== expected.value.length) {
        throw new Error(`${s.name}: $apply answered ${probe.status} with ${body.value?.length ?? 0} rows, the SQL has ${expected.value.length}`);
      }
      out.push(`${s.name}: ${s.set}?$apply=${s.apply}  (${expected.value.length} rows)`, STATS_HEADER);
      for (const c of CONCURRENCIES) {
        process.stdout.write(`${s.name}, c=${c}…\n`);
        const seconds = s.seconds ?? SECONDS;
        const v: Variants = {
          simple: await sqlLoad(scratch.url, s.sql, s.params, c, 'simple', seconds),
          prepared: await sqlLoad(scratch.url, s.sql, s.params, c, 'prepared', seconds),
          bare: await httpLoad(`http://127.0.0.1:${bare.port}/s${i}`, c, seconds),
          odata: await httpLoad(`http://127.0.0.1:${taskfeed.port}${urlOf(s)}`, c, seconds),
        };
        out.push(
          `  c=${c}`,
          statsRow('SQL as psql sends it', v.simple),
          statsRow('SQL prepared', v.prepared),
          statsRow('same SQL, bare express', v.bare),
          statsRow('taskfeed (vs psql-style SQL)', v.odata, v.simple),
        );
        targets.push(...s.targets(c, v));
      }
      out.push('');
    }
    out.push(`server memory: peak ${fmt(taskfeed.rss().peak)} MB (VmHWM)`, '', 'targets', ...targets.map((t) => `    ${t}`), '');
    process.stdout.write(out.join('\n'));
  } finally {
    for (const s of servers) await s.stop();
    await scratch.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-apply failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
