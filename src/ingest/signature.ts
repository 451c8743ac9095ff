// secret + raw body bytes + X-Taskfeed-Signature header → verified or INGEST_BAD_SIGNATURE (401).
import crypto from 'node:crypto';
import { ingestBadSignature } from '../errors';
import { safeEqual } from '../secrets';

export const SIGNATURE_HEADER = 'x-taskfeed-signature';

/** signBody('secret…', body) → 'sha256=<hex HMAC-SHA256 of the body bytes>' (what a sender puts in the header). */
export function signBody(secret: string, body: Uint8Array | string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Throws unless `header` is `sha256=<hex>` of the exact body bytes; the comparison takes the same time
 * wherever the two differ.
 */
export function verifySignature(secret: string, body: Uint8Array, header: string | undefined): void {
  if (header === undefined || header.trim() === '') {
    throw ingestBadSignature('The X-Taskfeed-Signature header is required (sha256=<hex HMAC of the body>)');
  }
  const expected = signBody(secret, body);
  // Hex digits are case-insensitive; normalise before the constant-time comparison.
  if (!safeEqual(header.trim().toLowerCase(), expected)) throw ingestBadSignature();
}
