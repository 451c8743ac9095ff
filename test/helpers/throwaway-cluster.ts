// test → a PostgreSQL cluster of its own (initdb in a temporary directory, a free port) that the test may stop, kill and restart.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The machine's PostgreSQL binaries (Debian layout); POSTGRES_BIN points elsewhere. */
export const POSTGRES_BIN = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

export function postgresBinariesAvailable(): boolean {
  return fs.existsSync(path.join(POSTGRES_BIN, 'initdb')) && fs.existsSync(path.join(POSTGRES_BIN, 'pg_ctl'));
}

/** In CI the tests that need their own cluster must run: a missing binary fails them instead of skipping them. */
export const throwawayClusterTestsRun = postgresBinariesAvailable() || process.env.CI === 'true';

export interface ThrowawayClusterOptions {
  /** Adds `host replication all 127.0.0.1/32 trust` to pg_hba.conf and enables WAL senders (for a standby). */
  readonly allowReplication?: boolean;
  /** Extra postgresql.conf settings, e.g. { max_connections: '40' }. */
  readonly settings?: Readonly<Record<string, string>>;
}

export interface ThrowawayCluster {
  readonly port: number;
  readonly dataDir: string;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** Starts the cluster and waits until it accepts connections; after a kill it waits for the old backends to go. */
  start(): Promise<void>;
  /** pg_ctl stop: 'immediate' is a crash for the server (no checkpoint), 'fast' a clean stop. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** kill -9 of the postmaster; returns once it has exited. */
  killPostmaster(): Promise<void>;
  /** Stops the cluster (if running) and removes its files. */
  destroy(): Promise<void>;
}

/** initdb and postgres refuse to run as root: as root they run as the postgres OS user. */
function asPostgres(command: string, args: readonly string[]): [string, string[]] {
  const binary = path.join(POSTGRES_BIN, command);
  if (process.getuid?.() === 0) return ['runuser', ['-u', 'postgres', '--', binary, ...args]];
  return [binary, [...args]];
}

async function postgresTool(command: string, args: readonly string[]): Promise<string> {
  const [file, argv] = asPostgres(command, args);
  const { stdout } = await run(file, argv, { timeout: 120_000 });
  return stdout;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A killed process may linger as a zombie when nothing reaps it: that counts as gone. */
function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * startThrowawayCluster() → a running cluster on 127.0.0.1:<free port>, user postgres, trust authentication,
 * its files and socket in a new temporary directory. Call destroy() in afterAll.
 */
export async function startThrowawayCluster(options: ThrowawayClusterOptions = {}): Promise<ThrowawayCluster> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'taskfeed-pg-'));
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'postgres.log');
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    fs.chownSync(root, Number(stdout.trim()), Number(gid.trim()));
  }
  await postgresTool('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  const port = await freePort();
  const settings: Record<string, string> = {
    port: String(port),
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${root}'`,
    fsync: 'off',
    shared_buffers: "'32MB'",
    max_connections: '60',
    ...(options.allowReplication ? { wal_level: 'replica', max_wal_senders: '5', hot_standby: 'on' } : {}),
    ...options.settings,
  };
  fs.appendFileSync(
    path.join(dataDir, 'postgresql.conf'),
    `\n${Object.entries(settings)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n')}\n`,
  );
  const hba = ['local all all trust', 'host all all 127.0.0.1/32 trust'];
  if (options.allowReplication) hba.push('host replication all 127.0.0.1/32 trust');
  fs.writeFileSync(path.join(dataDir, 'pg_hba.conf'), `${hba.join('\n')}\n`);

  const postmasterPid = (): number | undefined => {
    try {
      return Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  };

  const cluster: ThrowawayCluster = {
    port,
    dataDir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      // Backends orphaned by a killed postmaster keep the shared memory for a moment: retry until they are gone.
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await postgresTool('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await sleep(200);
        }
      }
    },
    async stop(mode = 'fast') {
      await postgresTool('pg_ctl', ['-D', dataDir, '-m', mode, '-w', 'stop']);
    },
    async killPostmaster() {
      const pid = postmasterPid();
      if (pid === undefined || !processAlive(pid)) return;
      process.kill(pid, 'SIGKILL');
      while (processAlive(pid)) await sleep(20);
    },
    async destroy() {
      const pid = postmasterPid();
      if (pid !== undefined && processAlive(pid)) await cluster.stop('immediate').catch(() => undefined);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}
