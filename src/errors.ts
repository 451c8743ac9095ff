// error code → AppError: every error the service reports, with a stable code and HTTP status, grouped by stage.

export interface ErrorDetail {
  readonly code: string;
  readonly message: string;
  readonly target?: string;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly target?: string;
  readonly details?: readonly ErrorDetail[];
  readonly headers?: Readonly<Record<string, string>>;

  constructor(
    code: string,
    status: number,
    message: string,
    extra: { target?: string; details?: readonly ErrorDetail[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.target = extra.target;
    this.details = extra.details;
    this.headers = extra.headers;
  }
}

export type ErrorFactory = (
  message?: string,
  extra?: { target?: string; details?: readonly ErrorDetail[]; headers?: Record<string, string> },
) => AppError;

/** defineError('ODATA_PARSE_SYNTAX', 400, 'Syntax error')('Unexpected token at 7') → AppError */
export function defineError(code: string, status: number, defaultMessage: string): ErrorFactory {
  return (message, extra) => new AppError(code, status, message ?? defaultMessage, extra);
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

// Request / HTTP
export const notFound = defineError('NOT_FOUND', 404, 'Resource not found');
export const methodNotAllowed = defineError('METHOD_NOT_ALLOWED', 405, 'This service is read-only');
export const unauthorized = defineError('AUTH_REQUIRED', 401, 'A valid key is required');
export const payloadTooLarge = defineError('REQUEST_TOO_LARGE', 413, 'Request body too large');
export const unsupportedMediaType = defineError('UNSUPPORTED_MEDIA_TYPE', 415, 'Unsupported content type');
export const notAcceptable = defineError('NOT_ACCEPTABLE', 406, 'None of the accepted formats can be produced');
export const uriTooLong = defineError('URI_TOO_LONG', 414, 'Request URL too long');
export const headersTooLarge = defineError('HEADERS_TOO_LARGE', 431, 'Request headers too large');
export const requestTimeout = defineError('REQUEST_TIMEOUT', 408, 'The request was not received in time');
export const malformedRequest = defineError('BAD_REQUEST', 400, 'Malformed HTTP request');
export const malformedJson = defineError('MALFORMED_JSON', 400, 'Body is not valid JSON');

// Ingestion
export const ingestInvalid = defineError('INGEST_INVALID', 400, 'One or more events are invalid');
export const ingestBadSignature = defineError('INGEST_BAD_SIGNATURE', 401, 'Body signature does not match');

// OData: parse (syntax), model (semantics), limits, unsupported
export const odataSyntax = defineError('ODATA_PARSE_SYNTAX', 400, 'Syntax error in the request URL');
export const odataBadEncoding = defineError('ODATA_PARSE_ENCODING', 400, 'Malformed percent-encoding or UTF-8 in the request URL');
export const odataUnknownOption = defineError('ODATA_PARSE_UNKNOWN_OPTION', 400, 'Unknown system query option');
export const odataDuplicateOption = defineError('ODATA_PARSE_DUPLICATE_OPTION', 400, 'A query option is given more than once');
export const odataBadOptionValue = defineError('ODATA_PARSE_OPTION_VALUE', 400, 'Invalid value for a query option');
export const odataUnknownEntitySet = defineError('ODATA_MODEL_UNKNOWN_ENTITY_SET', 404, 'Unknown entity set');
export const odataUnknownProperty = defineError('ODATA_MODEL_UNKNOWN_PROPERTY', 400, 'Unknown property');
export const odataTypeMismatch = defineError('ODATA_MODEL_TYPE_MISMATCH', 400, 'Type mismatch');
export const odataInvalid = defineError('ODATA_MODEL_INVALID', 400, 'The request is not valid for this model');
export const odataEntityNotFound = defineError('ODATA_MODEL_NOT_FOUND', 404, 'No entity with that key');
export const odataLimit = defineError('ODATA_LIMIT_EXCEEDED', 400, 'A query limit was exceeded');
export const odataNotImplemented = defineError('ODATA_NOT_IMPLEMENTED', 501, 'Not supported by this service');

// Database
export const databaseUnavailable = defineError('DB_UNAVAILABLE', 503, 'The database is unreachable; retry later');
export const databaseBusy = defineError('DB_BUSY', 503, 'The database is busy with other requests; retry later');
export const databaseTimeout = defineError('DB_TIMEOUT', 503, 'The query took longer than the configured statement timeout');
export const databaseCancelled = defineError('DB_CANCELLED', 503, 'The statement was cancelled because the client stopped reading or went away');
export const internalError = defineError('INTERNAL', 500, 'Internal server error');

export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
