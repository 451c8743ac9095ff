// request headers / query → the caller's key: write keys guard ingestion, read keys guard OData (each bound to projects).
import type { Request } from 'express';
import type { ReadKey } from '../config';
import { safeEqual } from '../secrets';

export function matchKey(candidate: string | undefined, keys: readonly string[]): boolean {
  if (candidate === undefined || candidate.length === 0) return false;
  // Every key is compared so that timing does not reveal which one matched.
  let found = false;
  for (const key of keys) if (safeEqual(candidate, key)) found = true;
  return found;
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Key from `Authorization: Bearer k`, `Authorization: Basic base64(user:k)` or `X-Api-Key: k`. */
export function keyFromHeaders(req: Request): string | undefined {
  const authorization = header(req, 'authorization');
  if (authorization !== undefined) {
    const [scheme, token] = authorization.split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'bearer' && token) return token;
    if (scheme?.toLowerCase() === 'basic' && token) {
      const decoded = Buffer.from(token, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon >= 0 ? decoded.slice(colon + 1) : decoded;
    }
  }
  return header(req, 'x-api-key') ?? header(req, 'apikey');
}

export function findReadKey(candidate: string | undefined, keys: readonly ReadKey[]): ReadKey | undefined {
  if (candidate === undefined || candidate.length === 0) return undefined;
  let found: ReadKey | undefined;
  for (const key of keys) if (safeEqual(candidate, key.key)) found = key;
  return found;
}
