// Content-Type header + raw body bytes → unknown[] (one item per event): a JSON object, a JSON array, or NDJSON lines.
import { malformedJson, payloadTooLarge, unsupportedMediaType } from '../errors';

export type BodyFormat = 'json' | 'ndjson';

const MEDIA_TYPES: Readonly<Record<string, BodyFormat>> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
};

/**
 * parseContentType('application/x-ndjson; charset=UTF-8') → 'ndjson';
 * parseContentType('text/plain') → throws UNSUPPORTED_MEDIA_TYPE (415).
 */
export function parseContentType(header: string | undefined): BodyFormat {
  const accepted = 'Content-Type must be application/json or application/x-ndjson (charset utf-8)';
  if (header === undefined || header.trim() === '') throw unsupportedMediaType(`${accepted}; none was given`);
  const [mediaType, ...params] = header.split(';').map((p) => p.trim());
  const format = MEDIA_TYPES[(mediaType ?? '').toLowerCase()];
  if (format === undefined) throw unsupportedMediaType(`${accepted}, not ${mediaType}`);
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    const key = param.slice(0, eq).trim().toLowerCase();
    const value = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (key === 'charset' && value !== 'utf-8' && value !== 'utf8') throw unsupportedMediaType(`${accepted}; charset ${value} is not supported`);
  }
  return format;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decode(raw: Uint8Array): string {
  try {
    return decoder.decode(raw);
  } catch {
    throw malformedJson('The body is not valid UTF-8');
  }
}

function tooMany(count: number | string, maxEvents: number) {
  return payloadTooLarge(`The batch has ${count} events; at most ${maxEvents} are accepted per request`);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw malformedJson(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * parseBody(Buffer.from('{"id":"e1"}\n{"id":"e2"}\n'), 'ndjson', 5000) → [{ id: 'e1' }, { id: 'e2' }];
 * a malformed third line → MALFORMED_JSON (400) 'Line 3 is not valid JSON: …'; more than maxEvents → 413.
 */
export function parseBody(raw: Uint8Array | undefined, format: BodyFormat, maxEvents: number): unknown[] {
  const text = raw === undefined || raw.length === 0 ? '' : decode(raw);
  if (text.trim() === '') throw malformedJson('The body is empty; send one event, a JSON array of events, or NDJSON');
  if (format === 'json') {
    const value = parseJson(text, 'The body');
    if (!Array.isArray(value)) return [value];
    if (value.length > maxEvents) throw tooMany(value.length, maxEvents);
    return value;
  }
  const items: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    if (items.length === maxEvents) throw tooMany(`more than ${maxEvents}`, maxEvents);
    items.push(parseJson(line, `Line ${i + 1}`));
  }
  return items;
}

/** One JSON document of a settings or goal body (express.raw gives a Buffer); a syntax error is a 400 naming it. */
export function parseJsonDocument(body: unknown): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : '';
  try {
    return JSON.parse(text);
  } catch (err) {
    throw malformedJson(`The body is not valid JSON: ${(err as Error).message}`);
  }
}
