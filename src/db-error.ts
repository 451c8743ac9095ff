// driver error → DatabaseError: what went wrong at the database level, in our words; the driver's error stays the cause (for the log only).

/**
 * unavailable: the database cannot be reached or dropped the connection; busy: a statement waited too long for a slot
 * or connection; timeout: statement_timeout; invalid-value: a data exception raised by a value in the request;
 * too-complex: a program limit of the database; cancelled: the statement was cancelled because its client went away.
 */
export type DatabaseErrorKind = 'unavailable' | 'busy' | 'timeout' | 'invalid-value' | 'too-complex' | 'cancelled';

/** Which limit a busy statement hit: its key's share of the read slots, all read slots, or the pool's connections. */
export interface BusyLimit {
  readonly limit: 'per-key' | 'total' | 'pool';
  readonly value: number;
  readonly waitedMs: number;
}

export class DatabaseError extends Error {
  readonly kind: DatabaseErrorKind;
  readonly busy?: BusyLimit;

  constructor(kind: DatabaseErrorKind, options: { cause?: unknown; busy?: BusyLimit } = {}) {
    super(`database ${kind}`, { cause: options.cause });
    this.name = 'DatabaseError';
    this.kind = kind;
    this.busy = options.busy;
  }
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', '57P01', '57P02', '57P03']);

const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|connect ECONNREFUSED|Cannot use a pool after calling end/i;

function isUnavailable(err: unknown): boolean {
  if (err instanceof AggregateError) return err.errors.some(isUnavailable);
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  // Class 08 is connection exceptions, class 53 insufficient resources (too many connections, out of memory or disk).
  if (UNAVAILABLE_CODES.has(code) || /^(08|53)[0-9A-Z]{3}$/.test(code)) return true;
  return typeof e?.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message);
}

/**
 * classifyDatabaseError({ code: '22P02', message: 'invalid input syntax…' }) → DatabaseError('invalid-value');
 * errors that are not the database's (an application error thrown inside a transaction, a deadlock the caller
 * retries) pass through unchanged. `cancelled` says whether a cancel request was sent for the statement.
 */
export function classifyDatabaseError(err: unknown, context: { cancelled?: boolean } = {}): unknown {
  if (err instanceof DatabaseError) return err;
  if (isUnavailable(err)) return new DatabaseError('unavailable', { cause: err });
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return err;
  // 57014 is both a statement_timeout and a cancel request: only ours are cancellations.
  if (code === '57014') return new DatabaseError(context.cancelled ? 'cancelled' : 'timeout', { cause: err });
  // Data exceptions come from values in the request (a cast of 'abc' to a number, a division by zero, a NUL byte).
  if (code.startsWith('22')) return new DatabaseError('invalid-value', { cause: err });
  // Program limits (stack depth, too many columns) are reached only by oversized requests.
  if (code.startsWith('54')) return new DatabaseError('too-complex', { cause: err });
  return err;
}
