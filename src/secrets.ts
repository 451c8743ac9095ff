// Secret comparison shared by key checks (http/auth) and webhook signatures (ingest/signature).
import crypto from 'node:crypto';

/** Compares two secrets in time independent of where they differ (hashing first equalises lengths). */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}
