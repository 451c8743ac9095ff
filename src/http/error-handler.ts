// thrown error → HTTP response: AppError → its status and the OData error JSON; anything else → logged, generic 500.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, internalError, malformedJson, notFound, odataLimit, payloadTooLarge, unsupportedMediaType } from '../errors';
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
  res.status(err.status);
  res.setHeader('Content-Language', 'en');
  res.json(errorBody(err));
}

export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = err instanceof AppError ? err : (fromBodyParser(err as { type?: string; status?: number; expose?: boolean }) ?? fromStackOverflow(err));
    const appError = known ?? internalError();
    if (known === undefined) {
      logger.error({ err, requestId: res.locals.requestId as string | undefined }, 'unhandled error');
    }
    if (res.headersSent) {
      // A streamed body cannot carry an error any more: cut it so the client sees malformed JSON.
      res.destroy();
      return;
    }
    if (req.path.startsWith('/odata') || req.path.startsWith('/v2.3') || req.path.startsWith('/v2.4')) {
      const max = Number(req.headers['odata-maxversion']);
      res.setHeader('OData-Version', Number.isFinite(max) && max < 4.01 ? '4.0' : '4.01');
    }
    sendError(res, appError);
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(notFound(`No route for ${req.method} ${req.path}`));
};
