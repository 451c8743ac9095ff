// thrown error → HTTP response: AppError → its status and the OData error JSON; anything else → logged, generic 500.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { DatabaseError } from '../db-error';
import {
  AppError,
  databaseBusy,
  databaseCancelled,
  databaseTimeout,
  databaseUnavailable,
  ingestInvalid,
  internalError,
  malformedJson,
  notFound,
  odataInvalid,
  odataLimit,
  payloadTooLarge,
  unsupportedMediaType,
} from '../errors';
import type { Logger } from '../logger';

/** Errors raised by express's body parsers carry a `type`; map them onto the catalogue. */
function fromBodyParser(err: { type?: string; status?: number; message?: string; expose?: boolean }): AppError | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return payloadTooLarge();
    case 'entity.parse.failed':
      return malformedJson(`Body is not valid JSON: ${err.message ?? ''}`.trim());
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return unsupportedMediaType(err.message);
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError('BAD_REQUEST', 400, err.message ?? 'Bad request');
    default:
      // Other client-side body errors (e.g. a Content-Encoding that does not inflate) say so themselves.
      return err.expose === true && typeof err.status === 'number' && err.status >= 400 && err.status < 500
        ? new AppError('BAD_REQUEST', 400, err.message ?? 'Bad request')
        : undefined;
  }
}

/** Only a pathologically nested request (thousands of chained operators) exhausts the stack: it is the client's 4xx. */
function fromStackOverflow(err: unknown): AppError | undefined {
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return odataLimit('The request is nested too deeply to evaluate; simplify the expression');
  }
  return undefined;
}

/** Seconds a client should wait: a restart is over in seconds, a full queue drains in tens of seconds. */
const RETRY_AFTER_UNAVAILABLE = '5';
const RETRY_AFTER_BUSY = '30';

function busyMessage(err: DatabaseError): string {
  const busy = err.busy;
  if (busy === undefined) return 'The database is busy with other requests; retry later';
  const waited = `${Math.round(busy.waitedMs / 1000)} s`;
  switch (busy.limit) {
    case 'per-key':
      return `This read key already runs ${busy.value} statements at once (the per-key limit) and the request waited ${waited} for a turn; retry later, or raise ODATA_MAX_STATEMENTS_PER_KEY or ODATA_QUEUE_TIMEOUT_MS`;
    case 'total':
      return `All ${busy.value} read connections are in use (the overall limit) and the request waited ${waited} for one; retry later, or raise DATABASE_READ_POOL_SIZE or ODATA_QUEUE_TIMEOUT_MS`;
    case 'pool':
      return `All ${busy.value} ingestion connections are in use and the request waited ${waited} for one; retry later, or raise DATABASE_POOL_SIZE or DATABASE_CONNECT_TIMEOUT_MS`;
  }
}

/** DatabaseError → the catalogue: 503s carry Retry-After; request-caused errors are the client's 400, in our words only. */
export function fromDatabaseError(err: DatabaseError, odata: boolean): AppError {
  switch (err.kind) {
    case 'unavailable':
      return databaseUnavailable(undefined, { headers: { 'Retry-After': RETRY_AFTER_UNAVAILABLE } });
    case 'busy':
      return databaseBusy(busyMessage(err), { headers: { 'Retry-After': RETRY_AFTER_BUSY } });
    case 'timeout':
      return databaseTimeout(undefined, { headers: { 'Retry-After': RETRY_AFTER_UNAVAILABLE } });
    case 'cancelled':
      return databaseCancelled(undefined, { headers: { 'Retry-After': RETRY_AFTER_UNAVAILABLE } });
    case 'invalid-value':
      return odata
        ? odataInvalid('The request could not be evaluated: a value in it is invalid for its type or out of range (for example a division by zero, text that is not a number, or a NUL character)')
        : ingestInvalid('A value in the request cannot be stored (invalid for its type, out of range, or a NUL character)');
    case 'too-complex':
      return odataLimit('The request is too complex for the database to evaluate; simplify it');
  }
}

/** '/odata/…', '/v2.3/…' and '/v2.4/…' (also with a query): the paths whose errors are OData errors. */
export function isODataPath(target: string | undefined): boolean {
  return target !== undefined && /^\/(odata|v2\.3|v2\.4)(\/|\?|$)/.test(target);
}

export function errorBody(err: AppError): Record<string, unknown> {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.target !== undefined ? { target: err.target } : {}),
      ...(err.details !== undefined ? { details: err.details } : {}),
    },
  };
}

export function sendError(res: Parameters<RequestHandler>[1], err: AppError): void {
  for (const [name, value] of Object.entries(err.headers ?? {})) res.setHeader(name, value);
  // Read by the metrics, which count timeouts and 503s by code.
  res.locals.errorCode = err.code;
  res.status(err.status);
  res.setHeader('Content-Language', 'en');
  res.json(errorBody(err));
}

export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof DatabaseError) {
      // The database's own text stays in the log: it can name tables, columns and values.
      const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
      logger.warn({ requestId: res.locals.requestId as string | undefined, kind: err.kind, busy: err.busy, code: cause?.code, detail: cause?.message }, 'database error');
    }
    const known =
      err instanceof AppError
        ? err
        : err instanceof DatabaseError
          ? fromDatabaseError(err, isODataPath(req.path))
          : (fromBodyParser(err as { type?: string; status?: number; expose?: boolean }) ?? fromStackOverflow(err));
    const appError = known ?? internalError();
    if (known === undefined) {
      logger.error({ err, requestId: res.locals.requestId as string | undefined }, 'unhandled error');
    }
    if (res.headersSent) {
      // Tells the metrics that the server, not the client, cut this response.
      res.locals.errorCode = appError.code;
      res.locals.cutByServer = true;
      // A streamed body cannot carry an error any more: cut it so the client sees malformed JSON.
      res.destroy();
      return;
    }
    if (isODataPath(req.path)) {
      const max = Number(req.headers['odata-maxversion']);
      res.setHeader('OData-Version', Number.isFinite(max) && max < 4.01 ? '4.0' : '4.01');
    }
    sendError(res, appError);
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(notFound(`No route for ${req.method} ${req.path}`));
};
