// Config → Database (pg Pool or embedded PGlite): run CompiledQuery, transactions, row streams; driver errors → DatabaseError.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { PGlite as PGliteType } from '@electric-sql/pglite';
import type { Config } from './config';
import { classifyDatabaseError, DatabaseError } from './db-error';
import { createFairQueue, type QueueLimits } from './db-queue';
import { createStatementCache, STALE_STATEMENT_CODE } from './db-statements';
import type { CompiledQuery } from './sql/fragment';

export type Row = Record<string, unknown>;

export interface QueryResult<R = Row> {
  readonly rows: R[];
  readonly rowCount: number;
}

export interface Queryable {
  query<R = Row>(text: string | CompiledQuery, values?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/** Per-request options of a read: the read key whose share of the statement slots it uses, and the client's lifetime. */
export interface StatementOptions {
  readonly key?: string;
  /** Aborted when the client goes away: a waiting statement leaves the queue, a running one is cancelled. */
  readonly signal?: AbortSignal;
}

/** Connections in use, idle, and callers waiting for one (for a statement queue: slots in use, free, and statements queued). */
export interface PoolStats {
  readonly inUse: number;
  readonly idle: number;
  readonly waiting: number;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  query<R = Row>(text: string | CompiledQuery, values?: readonly unknown[], options?: StatementOptions): Promise<QueryResult<R>>;
  /** Runs fn in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Yields rows as the database produces them (a cursor on PostgreSQL); `batchSize` is the expected row count or cursor
   * batch. Up to the buffer size, rows are read ahead and the connection released before the first row is yielded.
   */
  stream(query: CompiledQuery, batchSize?: number, options?: StatementOptions): AsyncGenerator<Row>;
  /** SELECT 1 on a connection of its own, so that a busy pool never delays a health check. */
  ping(): Promise<void>;
  stats(): PoolStats;
  /** The statement queue of a read database (zeros when it has none). */
  queueStats(): PoolStats;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly poolSize?: number;
  readonly statementTimeoutMs?: number;
  readonly readOnly?: boolean;
  readonly applicationName?: string;
  /** How long opening a connection, or waiting for one from a full pool, may take. */
  readonly connectTimeoutMs?: number;
  /** Connect and statement timeout of the health check. */
  readonly healthTimeoutMs?: number;
  /** Caps and fair queue for concurrent statements (the read side). */
  readonly queue?: QueueLimits;
  /** A streamed result up to this size is read whole and its connection released before it is sent. */
  readonly bufferBytes?: number;
  /** A larger result holds its connection only while the consumer takes rows: a pause this long ends the statement. */
  readonly consumerTimeoutMs?: number;
  /** Compiled queries run as named prepared statements, at most this many per connection (0 or absent: unnamed). */
  readonly statementCacheSize?: number;
  /**
   * PostgreSQL's parallel_setup_cost for the pool's sessions, with plan_cache_mode=force_custom_plan: every run is
   * planned with its values, and parallel workers are chosen only where the plan saves more than their start-up.
   */
  readonly parallelSetupCost?: number;
}

// Exact values as PostgreSQL prints them: Int64/Decimal keep every digit, timestamps keep microseconds.
const TEXT_TYPES = [20, 1700, 1082, 1083, 1114, 1184, 1186, 1266];

/**
 * Results expected to stay below this many rows are fetched whole as one statement, which can be prepared; larger ones
 * go through a cursor. The default page (1,000 rows and the look-ahead row) is below it.
 */
const SMALL_RESULT_ROWS = 2000;

const NO_QUEUE: PoolStats = { inUse: 0, idle: 0, waiting: 0 };

function sessionOptions(o: DatabaseOptions): string {
  const parts = ['-c TimeZone=UTC', '-c IntervalStyle=iso_8601', `-c statement_timeout=${o.statementTimeoutMs ?? 60000}`];
  if (o.readOnly) parts.push('-c default_transaction_read_only=on');
  if (o.parallelSetupCost !== undefined) parts.push('-c plan_cache_mode=force_custom_plan', `-c parallel_setup_cost=${o.parallelSetupCost}`);
  return parts.join(' ');
}

/** Rough size of a row in memory: enough to bound what a buffered page holds. */
export function approximateBytes(row: Row): number {
  let bytes = 0;
  for (const value of Object.values(row)) {
    if (typeof value === 'string') bytes += value.length;
    else if (typeof value === 'object' && value !== null) bytes += JSON.stringify(value).length;
    else bytes += 8;
  }
  return bytes;
}

interface BackendIdentity {
  readonly processID?: number | null;
  readonly secretKey?: number | null;
  readonly host?: string;
  readonly port?: number;
}

/** A PostgreSQL CancelRequest (protocol 80877102) for the client's backend, on a connection of its own. */
function sendCancelRequest(client: pg.PoolClient): void {
  const c = client as unknown as BackendIdentity;
  if (c.processID == null || c.secretKey == null || c.host === undefined || c.port === undefined) return;
  const socket = c.host.startsWith('/') ? net.connect(`${c.host}/.s.PGSQL.${c.port}`) : net.connect(c.port, c.host);
  // A cancel that cannot be delivered changes nothing: the statement timeout still ends the statement.
  socket.on('error', () => undefined);
  socket.setTimeout(5000, () => socket.destroy());
  socket.on('connect', () => {
    const message = Buffer.alloc(16);
    message.writeInt32BE(16, 0);
    message.writeInt32BE(80877102, 4);
    message.writeInt32BE(c.processID as number, 8);
    message.writeInt32BE(c.secretKey as number, 12);
    socket.end(message);
  });
}

/** A checked-out connection, its statement slot, and what happened to it while it was out. */
interface Lease {
  readonly client: pg.PoolClient;
  /** Whether a cancel request was sent for it (its client went away). */
  readonly cancelled: boolean;
  /** Returns the connection (destroyed when it broke or was cancelled) and the slot; idempotent. */
  release(err?: Error): void;
}

function createPostgres(o: DatabaseOptions & { databaseUrl: string }): Database {
  const textParser = (v: string) => v;
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      TEXT_TYPES.includes(oid) ? textParser : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const poolSize = o.poolSize ?? 10;
  const applicationName = o.applicationName ?? 'taskfeed';
  const healthTimeoutMs = o.healthTimeoutMs ?? 2000;
  const pool = new pg.Pool({
    connectionString: o.databaseUrl,
    max: poolSize,
    connectionTimeoutMillis: o.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30000,
    options: sessionOptions(o),
    application_name: applicationName,
    types,
  });
  // One connection for health checks: /readyz answers even when every pooled connection is busy.
  const health = new pg.Pool({
    connectionString: o.databaseUrl,
    max: 1,
    connectionTimeoutMillis: healthTimeoutMs,
    query_timeout: healthTimeoutMs,
    idleTimeoutMillis: 30000,
    options: sessionOptions({ statementTimeoutMs: healthTimeoutMs }),
    application_name: `${applicationName}-health`,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  health.on('error', () => undefined);
  // Every connection listens for errors for its whole life, whoever holds it: a FATAL (a restart, pg_terminate_backend)
  // that reaches a connection between pg-pool's listener and ours must never be an unhandled 'error' event. The
  // statement that was running still fails with the error, and a broken connection is discarded on release.
  for (const p of [pool, health]) p.on('connect', (client) => client.on('error', () => undefined));
  const queue = o.queue === undefined ? undefined : createFairQueue(o.queue);
  const bufferBytes = o.bufferBytes ?? 8 * 1024 * 1024;
  const consumerTimeoutMs = o.consumerTimeoutMs ?? 30000;
  let pinging: Promise<void> | undefined;

  const connect = async (): Promise<pg.PoolClient> => {
    const full = pool.totalCount >= poolSize;
    const started = Date.now();
    try {
      return await pool.connect();
    } catch (err) {
      // Waiting on a full pool of live connections is "busy"; failing to open one is "unavailable".
      if (full && /timeout exceeded when trying to connect/i.test((err as Error).message) && pool.totalCount >= poolSize) {
        throw new DatabaseError('busy', { cause: err, busy: { limit: 'pool', value: poolSize, waitedMs: Date.now() - started } });
      }
      throw classifyDatabaseError(err);
    }
  };

  /**
   * Checks a connection out with an 'error' listener for as long as it is out: pg-pool removes its own listener at
   * checkout, and a FATAL arriving between two statements (a restart, pg_terminate_backend) would otherwise be an
   * unhandled 'error' event that ends the process.
   */
  const checkout = async (options: StatementOptions = {}): Promise<Lease> => {
    const releaseSlot = queue === undefined ? undefined : await queue.acquire(options.key ?? '', options.signal);
    let client: pg.PoolClient;
    try {
      client = await connect();
    } catch (err) {
      releaseSlot?.();
      throw err;
    }
    let broken: Error | undefined;
    let cancelled = false;
    let released = false;
    const onError = (err: Error) => {
      broken = err;
    };
    const onAbort = () => {
      cancelled = true;
      sendCancelRequest(client);
    };
    client.on('error', onError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const lease: Lease = {
      client,
      get cancelled() {
        return cancelled;
      },
      release(err) {
        if (released) return;
        released = true;
        options.signal?.removeEventListener('abort', onAbort);
        client.removeListener('error', onError);
        // A cancel request may still be on its way: a cancelled connection is not reused, or it could hit the next statement.
        client.release(err ?? broken ?? (cancelled ? new Error('statement cancelled') : undefined));
        releaseSlot?.();
      },
    };
    if (options.signal?.aborted) {
      lease.release();
      throw new DatabaseError('cancelled');
    }
    return lease;
  };

  const run = async <R>(client: pg.PoolClient, text: string | CompiledQuery, values?: readonly unknown[]): Promise<QueryResult<R>> => {
    const q: CompiledQuery = typeof text === 'string' ? { text, values: values ?? [] } : text;
    const r =
      q.name === undefined
        ? await client.query(q.text, q.values as unknown[])
        : await client.query({ name: q.name, text: q.text, values: q.values as unknown[] });
    return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
  };

  const statements = o.statementCacheSize !== undefined && o.statementCacheSize > 0 ? createStatementCache(o.statementCacheSize) : undefined;

  /** A compiled query as a prepared statement of the cache; prepared afresh once when a migration made its plan stale. */
  const runPrepared = async <R>(client: pg.PoolClient, query: CompiledQuery): Promise<QueryResult<R>> => {
    if (statements === undefined || query.name !== undefined) return run<R>(client, query);
    const named = await statements.name(client, query);
    try {
      return await run<R>(client, named);
    } catch (err) {
      if ((err as { code?: unknown }).code !== STALE_STATEMENT_CODE || named.name === undefined) throw err;
      await statements.forget(client, named.name);
      return run<R>(client, named);
    }
  };

  const query = async <R>(text: string | CompiledQuery, values?: readonly unknown[], options?: StatementOptions): Promise<QueryResult<R>> => {
    const lease = await checkout(options);
    try {
      return typeof text === 'string' ? await run<R>(lease.client, text, values) : await runPrepared<R>(lease.client, text);
    } catch (err) {
      throw classifyDatabaseError(err, { cancelled: lease.cancelled });
    } finally {
      lease.release();
    }
  };

  return {
    kind: 'postgres',
    query,
    async exec(script) {
      await query(script);
    },
    async transaction(fn) {
      const lease = await checkout();
      let failed: Error | undefined;
      try {
        await run(lease.client, 'BEGIN');
        const result = await fn({
          query: (text, values) => run(lease.client, text, values),
          exec: async (script) => {
            await run(lease.client, script);
          },
        });
        await run(lease.client, 'COMMIT');
        return result;
      } catch (err) {
        try {
          await lease.client.query('ROLLBACK');
        } catch (rollbackErr) {
          failed = rollbackErr as Error;
        }
        throw classifyDatabaseError(err, { cancelled: lease.cancelled });
      } finally {
        lease.release(failed);
      }
    },
    async *stream(compiled, batchSize = 500, options) {
      // A small result costs one round trip as a plain query; a cursor pays off when rows could pile up in memory.
      if (batchSize <= SMALL_RESULT_ROWS) {
        const r = await query<Row>(compiled, undefined, options);
        yield* r.rows;
        return;
      }
      const lease = await checkout(options);
      const cursor = lease.client.query(new QueryStream(compiled.text, compiled.values as unknown[], { batchSize }));
      // Errors reach the iterator; this listener only keeps a late one (after release) from being unhandled.
      cursor.on('error', () => undefined);
      const rows = cursor[Symbol.asyncIterator]() as AsyncIterator<Row>;
      let ended = false;
      let stalled = false;
      let suspended = false;
      const finish = (err?: Error) => {
        if (!ended && !cursor.destroyed) cursor.destroy();
        lease.release(ended ? undefined : (err ?? new Error('stream abandoned')));
      };
      const stallTimer = setTimeout(() => {
        if (!suspended) return;
        stalled = true;
        finish(new Error('consumer stalled'));
      }, consumerTimeoutMs);
      stallTimer.unref();
      try {
        const ahead: Row[] = [];
        let bytes = 0;
        while (bytes < bufferBytes) {
          const next = await rows.next();
          if (next.done === true) {
            ended = true;
            break;
          }
          ahead.push(next.value);
          bytes += approximateBytes(next.value);
        }
        if (ended) {
          // The whole result is in memory: the connection goes back before a slow client reads a byte.
          finish();
          yield* ahead;
          return;
        }
        // A result larger than the buffer holds its connection while the consumer keeps taking rows.
        const held = async function* (): AsyncGenerator<Row> {
          yield* ahead;
          for (;;) {
            const next = await rows.next();
            if (next.done === true) {
              ended = true;
              return;
            }
            yield next.value;
          }
        };
        for await (const row of held()) {
          stallTimer.refresh();
          suspended = true;
          yield row;
          suspended = false;
          if (stalled) throw new DatabaseError('cancelled');
        }
      } catch (err) {
        throw classifyDatabaseError(err, { cancelled: lease.cancelled || stalled });
      } finally {
        clearTimeout(stallTimer);
        finish(stalled ? new Error('consumer stalled') : undefined);
      }
    },
    ping() {
      pinging ??= health
        .query('SELECT 1')
        .then(
          () => undefined,
          (err: unknown) => {
            throw classifyDatabaseError(err);
          },
        )
        .finally(() => {
          pinging = undefined;
        });
      return pinging;
    },
    stats: () => ({ inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    queueStats: () => queue?.stats() ?? NO_QUEUE,
    async close() {
      if (pool.ended) return;
      await Promise.all([pool.end(), health.end()]);
    },
  };
}

async function createPglite(o: DatabaseOptions): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const textParser = (v: string) => v;
  const parsers = Object.fromEntries(TEXT_TYPES.map((oid) => [oid, textParser]));
  if (o.dataDir !== undefined && o.dataDir !== 'memory://') fs.mkdirSync(path.resolve(o.dataDir), { recursive: true });
  const db: PGliteType = new PGlite(o.dataDir === undefined ? undefined : o.dataDir === 'memory://' ? 'memory://' : path.resolve(o.dataDir), { parsers });
  await db.exec("SET TimeZone = 'UTC'; SET IntervalStyle = 'iso_8601'");
  let closed = false;
  // One in-process engine runs one statement at a time: the others wait for it.
  let inFlight = 0;

  const guard = async <T>(work: () => Promise<T>, options?: StatementOptions): Promise<T> => {
    if (closed) throw new DatabaseError('unavailable');
    if (options?.signal?.aborted) throw new DatabaseError('cancelled');
    inFlight += 1;
    try {
      return await work();
    } catch (err) {
      throw classifyDatabaseError(err);
    } finally {
      inFlight -= 1;
    }
  };

  const run = async <R>(target: Pick<PGliteType, 'query'>, text: string | CompiledQuery, values?: readonly unknown[]): Promise<QueryResult<R>> => {
    const q = typeof text === 'string' ? { text, values: values ?? [] } : text;
    const r = await target.query<R>(q.text, q.values as unknown[]);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  };

  return {
    kind: 'pglite',
    query: (text, values, options) => guard(() => run(db, text, values), options),
    exec: (script) => guard(() => db.exec(script).then(() => undefined)),
    transaction: (fn) =>
      guard(() =>
        db.transaction((tx) =>
          fn({
            query: (text, values) => run(tx, text, values),
            exec: (script) => tx.exec(script).then(() => undefined),
          }),
        ),
      ),
    async *stream(query, _batchSize, options) {
      // Embedded mode runs in-process; a page is bounded by the maximum page size.
      const r = await guard(() => run<Row>(db, query), options);
      yield* r.rows;
    },
    ping: () => guard(() => run(db, 'SELECT 1').then(() => undefined)),
    stats: () => ({ inUse: Math.min(inFlight, 1), idle: closed || inFlight > 0 ? 0 : 1, waiting: Math.max(inFlight - 1, 0) }),
    queueStats: () => NO_QUEUE,
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}

/**
 * openDatabase({ databaseUrl: 'postgres://…' }) → a pg Pool;
 * openDatabase({ dataDir: './data' }) → embedded PGlite kept on disk ('memory://' for tests).
 */
export async function openDatabase(o: DatabaseOptions): Promise<Database> {
  if (o.databaseUrl !== undefined) return createPostgres({ ...o, databaseUrl: o.databaseUrl });
  return createPglite(o);
}

/**
 * The server's two databases: `db` (ingestion, the primary's ingestion pool) and `readDb` (OData: a pool of its own on
 * DATABASE_READ_URL or the primary, with the statement caps and fair queue). Embedded mode has one engine for both.
 */
export async function openDatabases(config: Config): Promise<{ db: Database; readDb: Database }> {
  const common = { connectTimeoutMs: config.connectTimeoutMs, healthTimeoutMs: config.healthTimeoutMs };
  const db = await openDatabase({
    ...common,
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.poolSize,
    statementTimeoutMs: config.statementTimeoutMs,
    applicationName: 'taskfeed',
  });
  if (config.databaseUrl === undefined) return { db, readDb: db };
  const reads = config.reads;
  const readDb = await openDatabase({
    ...common,
    databaseUrl: config.databaseReadUrl ?? config.databaseUrl,
    poolSize: reads.poolSize,
    statementTimeoutMs: reads.statementTimeoutMs,
    readOnly: true,
    applicationName: 'taskfeed-read',
    queue: { total: reads.poolSize, perKey: reads.maxStatementsPerKey, timeoutMs: reads.queueTimeoutMs },
    bufferBytes: reads.bufferBytes,
    consumerTimeoutMs: reads.consumerTimeoutMs,
    statementCacheSize: reads.statementCacheSize,
    parallelSetupCost: reads.parallelSetupCost,
  });
  return { db, readDb };
}

/** The same database with every statement run under `options` (the request's read key and lifetime). */
export function forRequest(db: Database, options: StatementOptions): Database {
  return {
    ...db,
    query: (text, values) => db.query(text, values, options),
    stream: (query, batchSize) => db.stream(query, batchSize, options),
  };
}
