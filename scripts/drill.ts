// npm run drill → faults under mixed load against a throwaway PostgreSQL cluster and a taskfeed server: one table row per scenario.
//
// The cluster is made with the machine's PostgreSQL binaries (DRILL_PG_BIN, default /usr/lib/postgresql/15/bin) in a
// temporary directory on a free loopback port, run as the postgres OS user when this runs as root. The server is
// dist/src/main.js as a child process. Load: 16 single-event posters, 4 batch posters (50 events) and 2 light readers.
// Every loop is bounded in time and count; the cluster, the server and the directory are removed on exit.
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { projectRoot } from '../src/paths';
import { freePort } from './bench-harness';

const PG_BIN = process.env.DRILL_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const WRITE_KEY = 'drill-write-key';
const READ_KEY = 'drill-read-key';
const SINGLE_POSTERS = 16;
const BATCH_POSTERS = 4;
const BATCH_SIZE = 50;
const LIGHT_READERS = 2;
const ABUSERS = 20;
const SEED_ROWS = 300_000;
const REQUEST_TIMEOUT_MS = 15_000;
/** A loop that gets no 2xx pauses this long, so an outage does not become a busy loop. */
const BACKOFF_MS = 50;
/** Most requests one load loop sends in one scenario. */
const MAX_REQUESTS_PER_LOOP = 20_000;
const RECOVERY_WAIT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const asRoot = process.getuid?.() === 0;


const execFileAsync = promisify(execFile);

/** Runs a PostgreSQL binary as the postgres OS user (initdb and postgres refuse root), bounded in time. */
async function pgBin(name: string, args: readonly string[], timeoutMs = 60_000): Promise<void> {
  const binary = path.join(PG_BIN, name);
  const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, [...args]];
  await execFileAsync(command, argv, { timeout: timeoutMs });
}

class Cluster {
  readonly dataDir: string;
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.dataDir = path.join(dir, 'data');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/taskfeed`;
  }

  async init(): Promise<void> {
    await pgBin('initdb', ['-D', this.dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8']);
    fs.appendFileSync(
      path.join(this.dataDir, 'postgresql.conf'),
      [`listen_addresses = '127.0.0.1'`, `port = ${this.port}`, `unix_socket_directories = '${this.dir}'`, 'max_connections = 200', ''].join('\n'),
    );
  }

  /** Starts the cluster; after a kill -9 the old backends may need a moment to exit, so a few attempts. */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await pgBin('pg_ctl', ['-D', this.dataDir, '-l', path.join(this.dir, 'postgres.log'), '-w', '-t', '60', 'start']);
        return;
      } catch (err) {
        if (attempt >= 10) throw err;
        await sleep(500);
      }
    }
  }

  async stopImmediate(): Promise<void> {
    await pgBin('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
  }

  killPostmaster(): void {
    const pid = Number(fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGKILL');
  }

  /** Best effort, synchronous: used from the exit handler. */
  destroy(): void {
    if (fs.existsSync(path.join(this.dataDir, 'postmaster.pid'))) {
      const binary = path.join(PG_BIN, 'pg_ctl');
      const args = ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop'];
      if (asRoot) spawnSync('runuser', ['-u', 'postgres', '--', binary, ...args], { stdio: 'ignore', timeout: 30_000 });
      else spawnSync(binary, args, { stdio: 'ignore', timeout: 30_000 });
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

async function admin<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, application_name: 'drill', connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

class Server {
  child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    readonly databaseUrl: string,
    readonly logFile: string,
  ) {}

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const main = path.join(projectRoot(), 'dist', 'src', 'main.js');
    if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build first (npm run drill does)`);
    const log = fs.openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, [main], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: this.databaseUrl,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        READ_KEYS: READ_KEY,
        WRITE_KEYS: WRITE_KEY,
        SHUTDOWN_TIMEOUT_MS: '5000',
        // The drill's own environment may tune the server under test (e.g. ODATA_MAX_STATEMENTS_PER_KEY=2 npm run drill).
        ...Object.fromEntries(Object.entries(process.env).filter(([name]) => /^(ODATA|INGEST|DATABASE_READ_POOL)_/.test(name))),
      },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`server exited at start (see ${this.logFile})`);
      if ((await send('GET', this.port, '/readyz')).status === 200) return;
      await sleep(100);
    }
    throw new Error('server did not become ready within 60 s');
  }

  /** SIGTERM, then waits for the exit (SIGKILL after 20 s); resolves with the exit code. */
  async terminate(): Promise<number | null> {
    const child = this.child;
    if (child === undefined || !this.alive) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(killer);
    return code;
  }

  kill(): void {
    if (this.alive) this.child?.kill('SIGKILL');
  }
}

interface Answer {
  /** 0 when no HTTP answer arrived (refused, reset, timed out). */
  readonly status: number;
  readonly sentAt: number;
  readonly doneAt: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function send(method: 'GET' | 'POST', port: number, pathAndQuery: string, body?: string, key = READ_KEY): Promise<Answer> {
  const sentAt = performance.now();
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'x-api-key': key };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = http.request({ host: '127.0.0.1', port, path: pathAndQuery, method, agent, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, sentAt, doneAt: performance.now() }));
      res.on('error', () => resolve({ status: 0, sentAt, doneAt: performance.now() }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, sentAt, doneAt: performance.now() }));
    req.end(body);
  });
}

const event = (id: string, i: number) => ({
  id,
  type: 'task.completed',
  projectId: 'drill',
  timestamp: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
  contactId: `contact-${i % 97}`,
  sessionId: `session-${i % 389}`,
  task: i % 2 === 0 ? 'Order Placement' : 'Account Registration',
});

/** Load that runs until stopped: what was sent, answered and acknowledged. */
class Load {
  private running = true;
  readonly singles: Answer[] = [];
  readonly batches: Answer[] = [];
  readonly reads: Answer[] = [];
  readonly acknowledged: string[] = [];
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly port: () => number,
    private readonly scenario: string,
  ) {
    for (let p = 0; p < SINGLE_POSTERS; p++) this.loops.push(this.poster(`s${p}`, 1, this.singles));
    for (let p = 0; p < BATCH_POSTERS; p++) this.loops.push(this.poster(`b${p}`, BATCH_SIZE, this.batches));
    for (let r = 0; r < LIGHT_READERS; r++) this.loops.push(this.reader());
  }

  private async poster(name: string, size: number, answers: Answer[]): Promise<void> {
    for (let n = 0; this.running && n < MAX_REQUESTS_PER_LOOP; n++) {
      const ids = Array.from({ length: size }, (_, i) => `${this.scenario}-${name}-${n}-${i}`);
      const answer = await send('POST', this.port(), '/api/v1/events', JSON.stringify(ids.map((id, i) => event(id, n * size + i))), WRITE_KEY);
      answers.push(answer);
      if (answer.status === 200 || answer.status === 201) this.acknowledged.push(...ids);
      else await sleep(BACKOFF_MS);
    }
  }

  private async reader(): Promise<void> {
    for (let n = 0; this.running && n < MAX_REQUESTS_PER_LOOP; n++) {
      const answer = await send('GET', this.port(), '/odata/Analytics?$top=5&$select=id,intent');
      this.reads.push(answer);
      if (answer.status !== 200) await sleep(BACKOFF_MS);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  all(): Answer[] {
    return [...this.singles, ...this.batches, ...this.reads];
  }

  /** Milliseconds from `since` to the first 2xx ingestion answer completed after it (undefined when none came). */
  recoveryAfter(since: number): number | undefined {
    const firsts = [...this.singles, ...this.batches].filter((a) => a.doneAt >= since && (a.status === 200 || a.status === 201)).map((a) => a.doneAt);
    return firsts.length === 0 ? undefined : Math.min(...firsts) - since;
  }

  /** Waits (bounded) until an ingestion 2xx completes after `since`. */
  async awaitRecovery(since: number): Promise<void> {
    const deadline = performance.now() + RECOVERY_WAIT_MS;
    while (this.recoveryAfter(since) === undefined && performance.now() < deadline) await sleep(20);
  }
}

interface Row {
  readonly scenario: string;
  readonly acknowledged: number;
  readonly missing: number;
  readonly other5xx: number;
  readonly unavailable: number;
  readonly noAnswer: number;
  readonly survived: string;
  readonly recoveryMs?: number;
  readonly ingestP99Ms?: number;
}

function p99(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)];
}

/** A client that reads a large page at about 4 KiB/s, on a raw socket so that nothing reads ahead. */
function slowReader(port: number, until: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET /odata/Analytics?$top=1000000 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: ${READ_KEY}\r\nConnection: close\r\n\r\n`);
      socket.pause();
    });
    const timer = setInterval(() => {
      socket.read(1024);
      if (performance.now() > until) socket.destroy();
    }, 250);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve();
    });
  });
}

const HEAVY_APPLY = '/odata/Analytics?$apply=groupby((contactId,intent,sessionId),aggregate(executionTime%20with%20sum%20as%20total,intentScore%20with%20average%20as%20score))';

/** A client that asks for an expensive aggregation and hangs up after a second. */
function abandonedQuery(port: number): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: HEAVY_APPLY, headers: { 'x-api-key': READ_KEY } });
    req.on('error', () => undefined);
    req.on('response', (res) => res.resume());
    req.on('close', () => resolve());
    setTimeout(() => req.destroy(), 1000);
  });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskfeed-drill-'));
  fs.chmodSync(dir, 0o755);
  if (asRoot) execFileSync('chown', ['postgres:', dir]);
  const cluster = new Cluster(dir, await freePort());
  const server = new Server(await freePort(), cluster.url, path.join(dir, 'server.log'));
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    server.kill();
    cluster.destroy();
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

  process.stdout.write(`cluster: PostgreSQL in ${dir} on 127.0.0.1:${cluster.port}\n`);
  await cluster.init();
  await cluster.start();
  await admin(`postgres://postgres@127.0.0.1:${cluster.port}/postgres`, 'CREATE DATABASE taskfeed');
  await server.start();
  process.stdout.write(`server: 127.0.0.1:${server.port}; seeding ${SEED_ROWS.toLocaleString('en-US')} Analytics rows…\n`);
  await admin(
    cluster.url,
    `INSERT INTO analytics (id, project_id, input_id, session_id, contact_id, input_text, intent, intent_score, execution_time, occurred_at)
     SELECT 'a' || g, 'drill', 'in' || g, 's' || (g % 20000), 'c' || (g % 5000), 'user input number ' || g || ' ' || repeat('x', 200),
            'intent.' || (g % 50), (g % 100) / 100.0, g % 900, timestamptz '2026-10-01' + g * interval '1 second'
     FROM generate_series(1, $1::int) AS g`,
    [SEED_ROWS],
  );
  await admin(cluster.url, 'ANALYZE analytics');

  const rows: Row[] = [];
  const measure = async (
    scenario: string,
    fault: (load: Load) => Promise<{ backAt?: number; abuseFrom?: number; abuseTo?: number; survived?: string }>,
  ): Promise<void> => {
    process.stdout.write(`scenario: ${scenario}…\n`);
    if (!server.alive) await server.start();
    const load = new Load(() => server.port, scenario.replace(/\W+/g, '-'));
    await sleep(3000);
    const outcome = await fault(load);
    if (outcome.backAt !== undefined) await load.awaitRecovery(outcome.backAt);
    await sleep(3000);
    await load.stop();
    const survived = outcome.survived ?? (server.alive ? 'yes' : 'no');
    if (!server.alive) await server.start();
    const stored = await admin<{ event_id: string }>(cluster.url, 'SELECT event_id FROM events WHERE event_id = ANY($1::text[])', [load.acknowledged]);
    const found = new Set(stored.map((r) => r.event_id));
    const answers = load.all();
    const during = (a: Answer) => outcome.abuseFrom !== undefined && a.sentAt >= outcome.abuseFrom && a.doneAt <= (outcome.abuseTo ?? Infinity);
    rows.push({
      scenario,
      acknowledged: load.acknowledged.length,
      missing: load.acknowledged.filter((id) => !found.has(id)).length,
      other5xx: answers.filter((a) => a.status >= 500 && a.status !== 503).length,
      unavailable: answers.filter((a) => a.status === 503).length,
      noAnswer: answers.filter((a) => a.status === 0).length,
      survived,
      recoveryMs: outcome.backAt === undefined ? undefined : load.recoveryAfter(outcome.backAt),
      ingestP99Ms: outcome.abuseFrom === undefined ? undefined : p99(load.singles.filter(during).map((a) => a.doneAt - a.sentAt)),
    });
  };

  await measure('kill -9 of the postmaster', async () => {
    cluster.killPostmaster();
    await sleep(3000);
    await cluster.start();
    return { backAt: performance.now() };
  });
  await measure('immediate stop', async () => {
    await cluster.stopImmediate();
    await sleep(3000);
    await cluster.start();
    return { backAt: performance.now() };
  });
  await measure('pg_terminate_backend of every taskfeed backend', async () => {
    await admin(cluster.url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'taskfeed'");
    return { backAt: performance.now() };
  });
  await measure('SIGTERM of the server (then restart)', async () => {
    const code = await server.terminate();
    await server.start();
    return { backAt: performance.now(), survived: code === 0 ? 'stopped cleanly' : `exit ${String(code)}` };
  });
  await measure(`${ABUSERS} slow readers`, async () => {
    const abuseFrom = performance.now();
    const until = abuseFrom + 12_000;
    await Promise.all(Array.from({ length: ABUSERS }, () => slowReader(server.port, until)));
    return { abuseFrom, abuseTo: performance.now() };
  });
  await measure(`${ABUSERS} abandoned heavy $apply queries`, async () => {
    const abuseFrom = performance.now();
    const until = abuseFrom + 12_000;
    const abuser = async () => {
      for (let n = 0; n < 100 && performance.now() < until; n++) await abandonedQuery(server.port);
    };
    await Promise.all(Array.from({ length: ABUSERS }, abuser));
    return { abuseFrom, abuseTo: performance.now() };
  });

  const cell = (v: number | undefined) => (v === undefined ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: 0 }));
  const lines = [
    '| scenario | events acknowledged | acknowledged missing | 5xx other than 503 | 503s | no answer | server survived | recovery ms after the database is back | ingestion p99 ms during reader abuse |',
    '|:--|--:|--:|--:|--:|--:|:--|--:|--:|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${cell(r.acknowledged)} | ${cell(r.missing)} | ${cell(r.other5xx)} | ${cell(r.unavailable)} | ${cell(r.noAnswer)} | ${r.survived} | ${cell(r.recoveryMs)} | ${cell(r.ingestP99Ms)} |`,
    ),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  await server.terminate();
}

main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    process.stderr.write(`drill failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
