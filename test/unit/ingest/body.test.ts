import { parseBody, parseContentType } from '../../../src/ingest/body';
import { AppError } from '../../../src/errors';

function failure(fn: () => unknown): [number, string, string] {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return [err.status, err.code, err.message];
    throw err;
  }
  throw new Error('expected a failure');
}

describe('parseContentType', () => {
  it.each([
    ['application/json', 'json'],
    ['Application/JSON; charset=utf-8', 'json'],
    ['application/json;charset="UTF-8"', 'json'],
    ['application/x-ndjson', 'ndjson'],
    ['application/x-ndjson; charset=utf8', 'ndjson'],
  ])('%s → %s', (header, format) => {
    expect(parseContentType(header)).toBe(format);
  });

  it.each([
    [undefined, 'Content-Type must be application/json or application/x-ndjson (charset utf-8); none was given'],
    ['text/plain', 'Content-Type must be application/json or application/x-ndjson (charset utf-8), not text/plain'],
    ['application/ld+json', 'Content-Type must be application/json or application/x-ndjson (charset utf-8), not application/ld+json'],
    ['application/json; charset=utf-16', 'Content-Type must be application/json or application/x-ndjson (charset utf-8); charset utf-16 is not supported'],
  ])('%s → 415', (header, message) => {
    expect(failure(() => parseContentType(header))).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE', message]);
  });
});

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('parseBody', () => {
  it.each([
    ['one object', 'json', '{"id":"a"}', [{ id: 'a' }]],
    ['an array', 'json', '[{"id":"a"},{"id":"b"}]', [{ id: 'a' }, { id: 'b' }]],
    ['a UTF-8 byte order mark', 'json', '\ufeff{"id":"a"}', [{ id: 'a' }]],
    ['NDJSON', 'ndjson', '{"id":"a"}\n{"id":"b"}', [{ id: 'a' }, { id: 'b' }]],
    ['NDJSON with CRLF and blank lines', 'ndjson', '\r\n{"id":"a"}\r\n  \r\n{"id":"b"}\r\n', [{ id: 'a' }, { id: 'b' }]],
    ['a non-object item (left to validation)', 'json', '[1, "x"]', [1, 'x']],
  ] as const)('%s', (_name, format, text, items) => {
    expect(parseBody(bytes(text), format, 10)).toEqual(items);
  });

  it.each([
    ['an empty body', 'json', '', 400, 'MALFORMED_JSON', /^The body is empty/],
    ['only whitespace', 'ndjson', ' \n \n', 400, 'MALFORMED_JSON', /^The body is empty/],
    ['malformed JSON', 'json', '{"id":', 400, 'MALFORMED_JSON', /^The body is not valid JSON: /],
    ['a malformed third line', 'ndjson', '{"id":"a"}\n\n{"id":', 400, 'MALFORMED_JSON', /^Line 3 is not valid JSON: /],
    ['too many in an array', 'json', '[1,2,3]', 413, 'REQUEST_TOO_LARGE', /^The batch has 3 events; at most 2 are accepted per request$/],
    ['too many lines', 'ndjson', '1\n2\n3', 413, 'REQUEST_TOO_LARGE', /^The batch has more than 2 events; at most 2 are accepted per request$/],
  ] as const)('%s → %i %s', (_name, format, text, status, code, message) => {
    const [s, c, m] = failure(() => parseBody(bytes(text), format, 2));
    expect([s, c]).toEqual([status, code]);
    expect(m).toMatch(message);
  });

  it('invalid UTF-8 → 400', () => {
    expect(failure(() => parseBody(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), 'json', 2))).toEqual([400, 'MALFORMED_JSON', 'The body is not valid UTF-8']);
  });
});
