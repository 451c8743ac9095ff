// Config → Database (pg Pool or embedded PGlite): run CompiledQuery, transactions, row streams; driver errors → AppError.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { PGlite as PGliteType } from '@electric-sql/pglite';
import { AppError, databaseTimeout, databaseUnavailable, odataInvalid, odataLimit } from './errors';
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

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Yields rows as the database produces them (a cursor on PostgreSQL); `batchSize` is the expected row count or cursor batch. */
  stream(query: CompiledQuery, batchSize?: number): AsyncGenerator<Row>;
  ping(): Promise<void>;
  /** Connections of the pool right now: checked out, idle, and requests waiting for one. */
  stats(): { readonly inUse: number; readonly idle: number; readonly waiting: number };
  close(): Promise<void>;
}

export interface DatabaseOptions {
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly poolSize?: number;
  readonly statementTimeoutMs?: number;
  readonly readOnly?: boolean;
  readonly applicationName?: string;
}

// Exact values as PostgreSQL prints them: Int64/Decimal keep every digit, timestamps keep microseconds.
const TEXT_TYPES = [20, 1700, 1082, 1083, 1114, 1184, 1186, 1266];

const retryAfter = { headers: { 'Retry-After': '5' } };

/** Results expected to stay below this many rows are fetched whole instead of through a cursor. */
const SMALL_RESULT_ROWS = 500;

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '53300']);

/** Maps a driver error onto the service's error catalogue; unknown errors pass through unchanged. */
export function toAppError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? '';
  const message = e?.message ?? '';
  if (code === '57014') return databaseTimeout(undefined, retryAfter);
  if (
    UNAVAILABLE_CODES.has(code) ||
    code.startsWith('08') ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED|Cannot use a pool after calling end/i.test(message)
  ) {
    return databaseUnavailable(undefined, retryAfter);
  }
  // Data exceptions come from values in the request (a cast of 'abc' to a number, a division by zero).
  if (code.startsWith('22')) return odataInvalid(`The request could not be evaluated: ${message}`);
  // Program limits (stack depth, too many columns) are reached only by oversized requests.
  if (code.startsWith('54')) return odataLimit(`The request is too complex for the database: ${message}`);
  return err;
}

function sessionOptions(o: DatabaseOptions): string {
  const parts = ['-c TimeZone=UTC', '-c IntervalStyle=iso_8601', `-c statement_timeout=${o.statementTimeoutMs ?? 60000}`];
  if (o.readOnly) parts.push('-c default_transaction_read_only=on');
  return parts.join(' ');
}

function createPostgres(o: DatabaseOptions & { databaseUrl: string }): Database {
  const textParser = (v: string) => v;
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      TEXT_TYPES.includes(oid) ? textParser : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({
    connectionString: o.databaseUrl,
    max: o.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
    options: sessionOptions(o),
    application_name: o.applicationName ?? 'taskfeed',
    types,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);

  const run = async <R>(client: pg.Pool | pg.PoolClient, text: string | CompiledQuery, values?: readonly unknown[]) => {
    const q: CompiledQuery = typeof text === 'string' ? { text, values: values ?? [] } : text;
    try {
      const r =
        q.name === undefined
          ? await client.query(q.text, q.values as unknown[])
          : await client.query({ name: q.name, text: q.text, values: q.values as unknown[] });
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    } catch (err) {
      throw toAppError(err);
    }
  };

  return {
    kind: 'postgres',
    query: (text, values) => run(pool, text, values),
    async exec(script) {
      await run(pool, script);
    },
    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw toAppError(err);
      }
      let broken: Error | undefined;
      try {
        await run(client, 'BEGIN');
        const result = await fn({
          query: (text, values) => run(client, text, values),
          exec: async (script) => {
            await run(client, script);
          },
        });
        await run(client, 'COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr as Error;
        }
        throw toAppError(err);
      } finally {
        client.release(broken);
      }
    },
    async *stream(query, batchSize = 500) {
      // A small result costs one round trip as a plain query; a cursor pays off when rows could pile up in memory.
      if (batchSize <= SMALL_RESULT_ROWS) {
        const r = await run<Row>(pool, query);
        for (const row of r.rows) yield row;
        return;
      }
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw toAppError(err);
      }
      const stream = client.query(new QueryStream(query.text, query.values as unknown[], { batchSize }));
      let failed: Error | undefined;
      try {
        for await (const row of stream) yield row as Row;
      } catch (err) {
        failed = err as Error;
        throw toAppError(err);
      } finally {
        // A consumer that stops early leaves an open portal: destroy the connection rather than reuse it.
        if (!stream.destroyed && !failed) stream.destroy();
        client.release(failed ?? (stream.readableEnded ? undefined : new Error('stream abandoned')));
      }
    },
    async ping() {
      await run(pool, 'SELECT 1');
    },
    stats: () => ({ inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      if (pool.ended) return;
      await pool.end();
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

  const run = async <R>(
    target: Pick<PGliteType, 'query'>,
    text: string | CompiledQuery,
    values?: readonly unknown[],
  ): Promise<QueryResult<R>> => {
    if (closed) throw databaseUnavailable(undefined, retryAfter);
    const q = typeof text === 'string' ? { text, values: values ?? [] } : text;
    try {
      const r = await target.query<R>(q.text, q.values as unknown[]);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    } catch (err) {
      throw toAppError(err);
    }
  };

  return {
    kind: 'pglite',
    query: (text, values) => run(db, text, values),
    async exec(script) {
      if (closed) throw databaseUnavailable(undefined, retryAfter);
      try {
        await db.exec(script);
      } catch (err) {
        throw toAppError(err);
      }
    },
    async transaction(fn) {
      if (closed) throw databaseUnavailable(undefined, retryAfter);
      try {
        return await db.transaction((tx) =>
          fn({
            query: (text, values) => run(tx, text, values),
            exec: async (script) => {
              try {
                await tx.exec(script);
              } catch (err) {
                throw toAppError(err);
              }
            },
          }),
        );
      } catch (err) {
        throw toAppError(err);
      }
    },
    async *stream(query) {
      // Embedded mode runs in-process; a page is bounded by the maximum page size.
      const r = await run<Row>(db, query);
      for (const row of r.rows) yield row;
    },
    async ping() {
      await run(db, 'SELECT 1');
    },
    stats: () => ({ inUse: 0, idle: 1, waiting: 0 }),
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
