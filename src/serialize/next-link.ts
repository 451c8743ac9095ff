// request URL + last row of a page → @odata.nextLink: the client's options kept, $top reduced, $skip consumed, a $skiptoken added.
import { odataBadOptionValue } from '../errors';

export type SkipToken = { readonly kind: 'keyset'; readonly values: readonly unknown[] } | { readonly kind: 'offset'; readonly offset: number };

/** encodeSkipToken({ kind: 'keyset', values: ['2024-01-15 12:00:00+00', 'a1'] }) → base64url text */
export function encodeSkipToken(token: SkipToken): string {
  const body = token.kind === 'keyset' ? { k: token.values } : { o: token.offset };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

export function decodeSkipToken(text: string, expectedValues?: number): SkipToken {
  const invalid = () => odataBadOptionValue('$skiptoken is not valid for this request; follow @odata.nextLink as given', { target: '$skiptoken' });
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof body !== 'object' || body === null) throw invalid();
  const record = body as { k?: unknown; o?: unknown };
  if (Array.isArray(record.k)) {
    const ok = record.k.every((v) => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean');
    if (!ok || (expectedValues !== undefined && record.k.length !== expectedValues)) throw invalid();
    return { kind: 'keyset', values: record.k };
  }
  if (typeof record.o === 'number' && Number.isSafeInteger(record.o) && record.o >= 0) return { kind: 'offset', offset: record.o };
  throw invalid();
}

function optionName(rawPair: string): string {
  const eq = rawPair.indexOf('=');
  const name = eq < 0 ? rawPair : rawPair.slice(0, eq);
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // Undecodable names were already rejected by the parser; keep the text as it is.
  }
  return decoded.toLowerCase().replace(/^\$/, '');
}

const REPLACED = new Set(['top', 'skip', 'skiptoken']);

/**
 * nextLink('https://h/odata/Analytics', '$filter=x%20gt%201&$top=2500&$skip=10', 1000, token)
 * → 'https://h/odata/Analytics?$filter=x%20gt%201&$top=1500&$skiptoken=…' (the raw text of other options is kept).
 */
export function buildNextLink(resourceUrl: string, rawQuery: string, pageSize: number, top: number | undefined, token: SkipToken): string {
  const kept = rawQuery
    .split('&')
    .filter((pair) => pair.length > 0 && !REPLACED.has(optionName(pair)));
  if (top !== undefined) kept.push(`$top=${top - pageSize}`);
  kept.push(`$skiptoken=${encodeSkipToken(token)}`);
  return `${resourceUrl}?${kept.join('&')}`;
}
