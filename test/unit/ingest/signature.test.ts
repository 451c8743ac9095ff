import { signBody, verifySignature } from '../../../src/ingest/signature';
import { AppError } from '../../../src/errors';

const secret = 'a-secret-of-at-least-16-chars';
const body = Buffer.from('[{"id":"e1"}]');

describe('signBody / verifySignature', () => {
  it('signs the body bytes with HMAC-SHA256 as sha256=<hex>', () => {
    expect(signBody('key', 'The quick brown fox jumps over the lazy dog')).toBe('sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
  });

  it.each([
    ['the exact signature', signBody(secret, body)],
    ['upper-case hex', signBody(secret, body).toUpperCase()],
    ['surrounding spaces', ` ${signBody(secret, body)} `],
  ])('accepts %s', (_name, header) => {
    expect(() => verifySignature(secret, body, header)).not.toThrow();
  });

  it.each([
    ['no header', undefined, 'The X-Taskfeed-Signature header is required (sha256=<hex HMAC of the body>)'],
    ['an empty header', '', 'The X-Taskfeed-Signature header is required (sha256=<hex HMAC of the body>)'],
    ['another secret', signBody('another-secret-of-16-chars', body), 'Body signature does not match'],
    ['another body', signBody(secret, Buffer.from('[{"id":"e2"}]')), 'Body signature does not match'],
    ['the bare hex', signBody(secret, body).slice('sha256='.length), 'Body signature does not match'],
    ['a truncated signature', signBody(secret, body).slice(0, 20), 'Body signature does not match'],
  ])('rejects %s with 401 INGEST_BAD_SIGNATURE', (_name, header, message) => {
    let thrown: unknown;
    try {
      verifySignature(secret, body, header);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect([(thrown as AppError).status, (thrown as AppError).code, (thrown as AppError).message]).toEqual([401, 'INGEST_BAD_SIGNATURE', message]);
  });
});
