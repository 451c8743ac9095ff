// Config → pino logger: structured JSON logs; credentials are redacted wherever they appear.
import pino from 'pino';

export type Logger = pino.Logger;

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.apikey',
  'req.headers["x-signature"]',
  'req.headers["x-taskfeed-signature"]',
  'req.headers.cookie',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: undefined });
}

/** Query strings can carry `apikey=`; logs keep the path and option names, never key values. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:apikey|api_key|key)=)[^&#]*/gi, '$1[redacted]');
}
