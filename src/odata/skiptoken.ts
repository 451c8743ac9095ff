// $skiptoken: the one place that writes, reads and checks it. Keyset tokens resume entity reads after the last
// row's order values; offset tokens page $apply results. The token is client-visible and may be edited.
import { odataBadOptionValue } from '../errors';
import type { BoundOrder, TableRef } from './bound';
import { isNotNullColumn } from './order-keys';

export type SkipToken = { readonly kind: 'keyset'; readonly values: readonly unknown[] } | { readonly kind: 'offset'; readonly offset: number };

/** encodeSkipToken({ kind: 'keyset', values: ['2024-01-15 12:00:00+00', 'a1'] }) → base64url of {"k":[…]} */
export function encodeSkipToken(token: SkipToken): string {
  const body = token.kind === 'keyset' ? { k: token.values } : { o: token.offset };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

function invalid(): Error {
  return odataBadOptionValue('$skiptoken is not valid for this request; follow @odata.nextLink as given', { target: '$skiptoken' });
}

function decode(text: string): SkipToken {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof body !== 'object' || body === null) throw invalid();
  const record = body as { k?: unknown; o?: unknown };
  if (Array.isArray(record.k)) return { kind: 'keyset', values: record.k as unknown[] };
  if (typeof record.o === 'number' && Number.isSafeInteger(record.o) && record.o >= 0) return { kind: 'offset', offset: record.o };
  throw invalid();
}

/** A value with the JSON shape of its order key's type; null only where the key can be null. */
function fitsKey(value: unknown, key: BoundOrder, root: TableRef): boolean {
  if (value === null) return !isNotNullColumn(key.expr, root);
  const type = key.expr.type;
  if (type === 'Edm.Boolean') return typeof value === 'boolean';
  if (type === 'Edm.Int16' || type === 'Edm.Int32' || type === 'Edm.Int64' || type === 'Edm.Decimal' || type === 'Edm.Double') {
    return typeof value === 'number' || (typeof value === 'string' && /^-?(\d+(\.\d*)?|NaN|Infinity)$/.test(value));
  }
  return typeof value === 'string';
}

/** The order values to resume after: one per key of `order`, each fitting its key (400 otherwise). */
export function decodeKeysetToken(text: string, order: readonly BoundOrder[], root: TableRef): readonly unknown[] {
  const token = decode(text);
  if (token.kind !== 'keyset' || token.values.length !== order.length) throw invalid();
  if (!token.values.every((v, i) => fitsKey(v, order[i] as BoundOrder, root))) throw invalid();
  return token.values;
}

/** The absolute row offset to resume at (400 for anything else). */
export function decodeOffsetToken(text: string): number {
  const token = decode(text);
  if (token.kind !== 'offset') throw invalid();
  return token.offset;
}
