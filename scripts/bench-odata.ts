// npm run bench:odata → OData reads at c=1 and c=20 against three baselines measured in the same run (the same
// SQL as psql sends it, the same SQL prepared, the same SQL behind a bare express route), and the full feed
// against COPY. Database: BENCH_DATABASE_URL || DATABASE_URL || postgres://postgres@127.0.0.1:5432/test (the
// benchmark creates a scratch database there and drops it). BENCH_SECONDS (default 10) per measurement;
// BENCH_CONCURRENCY (default "1,20").
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { taskfeedModel } from '../src/model/entity-model';
import {
  ANALYTICS_ROWS,
  CONCURRENCIES,
  createSeededDatabase,
  databaseVersion,
  elapsedMs,
  postgresCpuSeconds,
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
  type BareRoute,
  type ChildServer,
  type LoadStats,
} from './bench-harness';

const TARGET_PAGE_VS_BARE = 0.8;
const TARGET_KEY_VS_STATIC = 0.6;
const TARGET_FEED_VS_COPY = 0.4;
const TARGET_RSS_MB = 300;
const FEED_PAGE = 5000;

const ANALYTICS = taskfeedModel.entitySets.find((s) => s.name === 'Analytics');
if (ANALYTICS === undefined) throw new Error('model: no Analytics set');
/** Every property of the set under its OData name: the JSON the bare route writes is the JSON taskfeed writes. */
const SELECT_AS = ANALYTICS.properties.map((p) => `"${p.column}" AS "${p.name}"`).join(', ');
const COLUMNS = ANALYTICS.properties.map((p) => `"${p.column}"`).join(', ');
const PROJECTS = ['p1', 'p2', 'p3'];
const SINCE = '2024-03-24T00:00:00Z';
const KEY = 'a0500000';

interface Scenario {
  readonly name: string;
  readonly odataPath: string;
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly shape: 'collection' | 'entity';
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'entity by key',
    odataPath: `/odata/Analytics('${KEY}')`,
    sql: `SELECT ${SELECT_AS} FROM analytics WHERE id = $1 AND project_id = ANY($2::text[])`,
    params: [KEY, PROJECTS],
    shape: 'entity',
  },
  {
    name: 'filtered, sorted page of 100',
    odataPath: `/odata/Analytics?$filter=${encodeURIComponent(`projectId eq 'p1' and intent eq 'order.status' and timestamp ge ${SINCE}`)}&$orderby=${encodeURIComponent('timestamp desc')}&$top=100`,
    sql: `SELECT ${SELECT_AS} FROM analytics WHERE project_id = $1 AND intent = $2 AND occurred_at >= $3 ORDER BY occurred_at DESC, id DESC LIMIT 100`,
    params: ['p1', 'order.status', SINCE],
    shape: 'collection',
  },
];

interface FeedResult {
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly pages: number;
  /** CPU seconds spent during the pull by the server (none for COPY), PostgreSQL and this client. */
  readonly cpu: { readonly server: number; readonly postgres: number; readonly client: number };
}

/** CPU used by the server, PostgreSQL and this process while `work` runs. */
async function measuringCpu<T>(server: ChildServer | undefined, work: () => Promise<T>): Promise<{ result: T; cpu: FeedResult['cpu'] }> {
  const server0 = server?.cpuSeconds() ?? 0;
  const postgres0 = postgresCpuSeconds();
  const client0 = process.cpuUsage();
  const result = await work();
  const client = process.cpuUsage(client0);
  return {
    result,
    cpu: { server: (server?.cpuSeconds() ?? 0) - server0, postgres: postgresCpuSeconds() - postgres0, client: (client.user + client.system) / 1e6 },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const ROW_START = Buffer.from('{"id":"');
const NEXT_LINK = '"@odata.nextLink":"';

function get(port: number, pathAndQuery: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer }> {
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

/** Every row, following @odata.nextLink as Power BI does; rows are counted, not parsed. */
async function pullFeed(server: ChildServer, headers: Record<string, string>): Promise<FeedResult> {
  let next: string | undefined = '/odata/Analytics?$orderby=timestamp';
  let rows = 0;
  let bytes = 0;
  let pages = 0;
  const start = process.hrtime.bigint();
  const { cpu } = await measuringCpu(server, async () => {
    while (next !== undefined) {
      const res = await get(server.port, next, headers);
      if (res.status !== 200) throw new Error(`${next} → ${res.status} ${res.body.toString('utf8').slice(0, 300)}`);
      pages += 1;
      bytes += res.body.length;
      rows += countOccurrences(res.body, ROW_START);
      next = nextLinkOf(res.body);
    }
  });
  return { rows, bytes, seconds: elapsedMs(start) / 1000, pages, cpu };
}

/** The same rows, in the same order, as fast as PostgreSQL can hand them out. */
async function copyAll(url: string): Promise<FeedResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let rows = 0;
  let bytes = 0;
  const start = process.hrtime.bigint();
  try {
    const { cpu } = await measuringCpu(undefined, async () => {
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
    });
    return { rows, bytes, seconds: elapsedMs(start) / 1000, pages: 1, cpu };
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const scratch = await createSeededDatabase('taskfeed_bench_odata');
  const servers: ChildServer[] = [];
  try {
    const taskfeed = await startTaskfeed(scratch.url, { ODATA_MAX_PAGE_SIZE: String(FEED_PAGE) });
    servers.push(taskfeed);
    const context = `http://127.0.0.1:${taskfeed.port}/odata/$metadata#Analytics`;
    const bareRoutes: BareRoute[] = [
      { path: '/static', shape: 'static', context },
      ...SCENARIOS.map((s, i) => ({ path: `/s${i}`, sql: s.sql, params: s.params, shape: s.shape, context })),
    ];
    const bare = await startBareExpress(scratch.url, bareRoutes, 10);
    servers.push(bare);
    const out: string[] = [
      '',
      `taskfeed OData read benchmark: ${ANALYTICS_ROWS.toLocaleString('en-US')} Analytics rows (seeded in ${fmt(scratch.seedSeconds)} s), ${SECONDS} s per measurement`,
      machineLine(),
      `database: ${await databaseVersion(scratch.url)}`,
      '',
    ];
    const targets: string[] = [];
    for (const [i, s] of SCENARIOS.entries()) {
      // One untimed request per variant: the page's statement reaches the same cache state everywhere.
      const probe = await fetch(`http://127.0.0.1:${taskfeed.port}${s.odataPath}`, { headers: { 'x-api-key': READ_KEY } });
      if (probe.status !== 200) throw new Error(`${s.odataPath} → ${probe.status} ${await probe.text()}`);
      out.push(`${s.name}: ${s.odataPath}`, STATS_HEADER);
      for (const c of CONCURRENCIES) {
        process.stdout.write(`${s.name}, c=${c}…\n`);
        const simple = await sqlLoad(scratch.url, s.sql, s.params, c, 'simple');
        const prepared = await sqlLoad(scratch.url, s.sql, s.params, c, 'prepared');
        const bareSame = await httpLoad(`http://127.0.0.1:${bare.port}/s${i}`, c);
        const bareStatic: LoadStats | undefined = s.shape === 'entity' ? await httpLoad(`http://127.0.0.1:${bare.port}/static`, c) : undefined;
        const odata = await httpLoad(`http://127.0.0.1:${taskfeed.port}${s.odataPath}`, c);
        out.push(
          `  c=${c}`,
          statsRow('SQL as psql sends it', simple),
          statsRow('SQL prepared', prepared),
          statsRow('same SQL, bare express', bareSame),
          ...(bareStatic === undefined ? [] : [statsRow('bare express, static 1 KB JSON', bareStatic)]),
          statsRow('taskfeed (vs bare same SQL)', odata, bareSame),
        );
        if (c === 20 && s.shape === 'entity' && bareStatic !== undefined) {
          const r = odata.perSecond / bareStatic.perSecond;
          targets.push(`entity by key, c=20: ${fmt(r, 2)}× a bare express route with a static 1 KB JSON   target ≥ ${TARGET_KEY_VS_STATIC}×: ${verdict(r >= TARGET_KEY_VS_STATIC)}`);
        }
        if (c === 20 && s.shape === 'collection') {
          const r = odata.perSecond / bareSame.perSecond;
          targets.push(`page of 100, c=20: ${fmt(r, 2)}× the same SQL behind bare express   target ≥ ${TARGET_PAGE_VS_BARE}×: ${verdict(r >= TARGET_PAGE_VS_BARE)}`);
        }
      }
      out.push('');
    }

    process.stdout.write('full feed over next links (default page size, then odata.maxpagesize, then without read-ahead), then COPY…\n');
    const feedDefault = await pullFeed(taskfeed, {});
    const feedLarge = await pullFeed(taskfeed, { Prefer: `odata.maxpagesize=${FEED_PAGE}` });
    const rss = taskfeed.rss();
    // The same server with read-ahead off: what computing page N+1 during page N's transfer is worth.
    const withoutReadAhead = await startTaskfeed(scratch.url, { ODATA_MAX_PAGE_SIZE: String(FEED_PAGE), ODATA_READ_AHEAD_BYTES: '0' });
    servers.push(withoutReadAhead);
    const feedNoReadAhead = await pullFeed(withoutReadAhead, {});
    const copy = await copyAll(scratch.url);
    for (const f of [feedDefault, feedLarge, feedNoReadAhead, copy]) {
      if (f.rows !== ANALYTICS_ROWS) throw new Error(`the feed returned ${f.rows} rows, expected ${ANALYTICS_ROWS}`);
    }
    const rate = (f: FeedResult) => f.rows / f.seconds;
    const microsPerRow = (seconds: number, f: FeedResult) => fmt((seconds / f.rows) * 1e6);
    const feedRow = (label: string, f: FeedResult) =>
      `    ${label.padEnd(40)} ${fmt(rate(f), 0).padStart(10)} ${fmt(f.seconds).padStart(8)} ${fmt(f.bytes / 2 ** 20).padStart(8)} ${String(f.pages).padStart(6)} ${`${fmt((rate(f) / rate(copy)) * 100)} %`.padStart(8)}` +
      ` ${microsPerRow(f.cpu.server, f).padStart(7)} ${microsPerRow(f.cpu.postgres, f).padStart(7)} ${microsPerRow(f.cpu.client, f).padStart(7)}`;
    out.push(
      'full feed: /odata/Analytics?$orderby=timestamp, following @odata.nextLink (one client, as a Power BI refresh); CPU µs per row',
      `    ${''.padEnd(40)} ${'rows/s'.padStart(10)} ${'s'.padStart(8)} ${'MB'.padStart(8)} ${'pages'.padStart(6)} ${'of COPY'.padStart(8)} ${'server'.padStart(7)} ${'pg'.padStart(7)} ${'client'.padStart(7)}`,
      feedRow('default page size', feedDefault),
      feedRow(`Prefer: odata.maxpagesize=${FEED_PAGE}`, feedLarge),
      feedRow('default page size, read-ahead off', feedNoReadAhead),
      feedRow('COPY … TO STDOUT', copy),
      '',
    );
    const feedRatio = rate(feedDefault) / rate(copy);
    targets.push(
      `full feed, default page size: ${fmt(feedRatio * 100)} % of COPY   target ≥ ${TARGET_FEED_VS_COPY * 100} %: ${verdict(feedRatio >= TARGET_FEED_VS_COPY)}`,
      `server memory: peak ${fmt(rss.peak)} MB (VmHWM) over the whole run   target < ${TARGET_RSS_MB} MB: ${verdict(rss.peak < TARGET_RSS_MB)}`,
    );
    out.push('targets', ...targets.map((t) => `    ${t}`), '');
    process.stdout.write(out.join('\n'));
  } finally {
    for (const s of servers) await s.stop();
    agent.destroy();
    await scratch.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-odata failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
