// request headers + $format → ResponseFormat: OData version, metadata level, IEEE754 numbers; or 406/400.
import type { Request } from 'express';
import { notAcceptable, odataBadOptionValue } from '../errors';
import type { ResponseFormat } from '../serialize/format';


interface MediaRange {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
  readonly q: number;
}

function parseMediaRanges(text: string): MediaRange[] {
  return text
    .split(',')
    .map((part) => {
      const [type = '', ...rawParams] = part.split(';').map((s) => s.trim());
      const params = new Map<string, string>();
      for (const p of rawParams) {
        const eq = p.indexOf('=');
        if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"|"$/g, '').toLowerCase());
      }
      // An unreadable q counts as the default 1 rather than excluding the range.
      const q = params.has('q') ? Number(params.get('q')) : 1;
      return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 1 };
    })
    .filter((r) => r.type.length > 0 && r.q > 0)
    .sort((a, b) => b.q - a.q);
}

const JSON_TYPES = new Set(['application/json', 'application/*', '*/*']);
const KNOWN_PARAMS = new Set(['q', 'charset', 'odata.metadata', 'metadata', 'odata.streaming', 'streaming', 'ieee754compatible', 'exponentialdecimals']);

/** A JSON range we can serve, or undefined (unknown parameters or values, or the OData v3 `odata=` dialect). */
function jsonRange(range: MediaRange): Omit<ResponseFormat, 'version'> | undefined {
  if (!JSON_TYPES.has(range.type)) return undefined;
  for (const name of range.params.keys()) if (!KNOWN_PARAMS.has(name)) return undefined;
  const metadata = range.params.get('odata.metadata') ?? range.params.get('metadata') ?? 'minimal';
  if (metadata !== 'minimal' && metadata !== 'full' && metadata !== 'none') return undefined;
  const ieee = range.params.get('ieee754compatible') ?? 'false';
  if (ieee !== 'true' && ieee !== 'false') return undefined;
  return { metadata, ieee754Compatible: ieee === 'true' };
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

export function negotiateVersion(req: Request): '4.0' | '4.01' {
  const requested = header(req, 'odata-version');
  if (requested !== undefined && !['4.0', '4.01'].includes(requested.trim())) {
    throw odataBadOptionValue(`OData-Version ${requested} is not supported; use 4.0 or 4.01`);
  }
  const max = header(req, 'odata-maxversion');
  if (max === undefined) return '4.01';
  const n = Number(max.trim());
  if (!Number.isFinite(n) || n < 4) throw notAcceptable(`OData-MaxVersion ${max} is below 4.0, the lowest version this service speaks`);
  return n >= 4.01 ? '4.01' : '4.0';
}

/**
 * $format=json, Accept: application/json;odata.metadata=full → { metadata: 'full', … };
 * Accept: application/xml only → 406.
 */
export function negotiateJsonFormat(req: Request, formatOption: string | undefined): ResponseFormat {
  const version = negotiateVersion(req);
  if (formatOption !== undefined) {
    const f = formatOption.trim();
    const asRange = f.toLowerCase() === 'json' ? 'application/json' : f;
    const ranges = parseMediaRanges(asRange);
    const chosen = ranges.length === 1 && ranges[0] !== undefined ? jsonRange(ranges[0]) : undefined;
    if (chosen === undefined) throw notAcceptable(`$format=${formatOption} is not supported here; use json`);
    return { version, ...chosen };
  }
  const accept = header(req, 'accept');
  if (accept === undefined || accept.trim() === '') return { version, metadata: 'minimal', ieee754Compatible: false };
  for (const range of parseMediaRanges(accept)) {
    const chosen = jsonRange(range);
    if (chosen !== undefined) return { version, ...chosen };
  }
  throw notAcceptable(`None of the types in Accept (${accept}) can be produced; this resource is served as application/json`);
}

/** $metadata: XML by default and whenever Accept allows it (Power Query expects it); JSON for $format=json or a JSON-only Accept. */
export function negotiateMetadataFormat(req: Request, formatOption: string | undefined): 'xml' | 'json' {
  negotiateVersion(req);
  if (formatOption !== undefined) {
    const f = formatOption.trim().toLowerCase();
    if (f === 'xml' || f.startsWith('application/xml')) return 'xml';
    if (f === 'json' || f.startsWith('application/json')) return 'json';
    throw notAcceptable(`$format=${formatOption} is not supported for $metadata; use xml or json`);
  }
  const accept = header(req, 'accept');
  if (accept === undefined || accept.trim() === '') return 'xml';
  // Power Query ranks JSON first but fails on a JSON $metadata: XML wins whenever it is acceptable at all.
  const ranges = parseMediaRanges(accept);
  if (ranges.some((r) => ['application/xml', 'text/xml', '*/*', 'application/*'].includes(r.type))) return 'xml';
  if (ranges.some((r) => r.type === 'application/json')) return 'json';
  throw notAcceptable(`None of the types in Accept (${accept}) can be produced; $metadata is served as application/xml or application/json`);
}

export function jsonContentType(format: ResponseFormat): string {
  return `application/json;odata.metadata=${format.metadata};odata.streaming=true;IEEE754Compatible=${format.ieee754Compatible}`;
}

/** Prefer: odata.maxpagesize=N (or maxpagesize=N) → N, if present and valid. */
export function preferredPageSize(req: Request): number | undefined {
  const prefer = header(req, 'prefer');
  if (prefer === undefined) return undefined;
  const m = /(?:^|[,;\s])(?:odata\.)?maxpagesize\s*=\s*"?(\d+)"?\s*(?:$|[,;])/i.exec(prefer);
  if (m === null || m[1] === undefined) return undefined;
  const n = Number(m[1]);
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

/** Prefer: omit-values=nulls (also odata.omit-values): the client infers null for properties left out. */
export function prefersOmittedNulls(req: Request): boolean {
  const prefer = header(req, 'prefer');
  return prefer !== undefined && /(?:^|[,;\s])(?:odata\.)?omit-values\s*=\s*"?nulls"?\s*(?:$|[,;])/i.test(prefer);
}
