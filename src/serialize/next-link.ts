// request URL + last row of a page → @odata.nextLink: the client's options kept, $top reduced, $skip consumed, a $skiptoken added.
import { encodeSkipToken, type SkipToken } from '../odata/skiptoken';

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
 * nextLinkQuery('$filter=x%20gt%201&$top=2500&$skip=10', 1000, 2500, token)
 * → '$filter=x%20gt%201&$top=1500&$skiptoken=…' (the raw text of other options is kept).
 */
export function nextLinkQuery(rawQuery: string, pageSize: number, top: number | undefined, token: SkipToken): string {
  const kept = rawQuery
    .split('&')
    .filter((pair) => pair.length > 0 && !REPLACED.has(optionName(pair)));
  if (top !== undefined) kept.push(`$top=${top - pageSize}`);
  kept.push(`$skiptoken=${encodeSkipToken(token)}`);
  return kept.join('&');
}

/** buildNextLink('https://h/odata/Analytics', …) → 'https://h/odata/Analytics?' + nextLinkQuery(…) */
export function buildNextLink(resourceUrl: string, rawQuery: string, pageSize: number, top: number | undefined, token: SkipToken): string {
  return `${resourceUrl}?${nextLinkQuery(rawQuery, pageSize, top, token)}`;
}
