// percent-encoded URL component → decoded text (strict UTF-8; '+' stays '+'), optionally with a per-character "was encoded" mask.

import { odataBadEncoding } from '../errors';

export interface DecodedText {
  readonly text: string;
  /**
   * encoded[i] === 1 when text[i] came from a %XX sequence (both UTF-16 units of a surrogate pair
   * are marked). Undefined when nothing was percent-encoded. The few places where the ABNF treats
   * a character and its encoding differently (a bare ';' ends a $search word, '%3B' does not) use it.
   */
  readonly encoded: Uint8Array | undefined;
}

/**
 * Decodes %XX sequences to bytes and the bytes as UTF-8 (fatal: malformed % or invalid UTF-8 → 400
 * ODATA_PARSE_ENCODING). '+' is kept as '+', per OData (not form encoding).
 *
 * @example percentDecode("Name%20eq%20'Caf%C3%A9'%2B", '$filter') → "Name eq 'Café'+"
 */
export function percentDecode(raw: string, target: string): string {
  return percentDecodeWithMask(raw, target).text;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

function badEncoding(target: string, message: string, position: number): never {
  throw odataBadEncoding(`${target}: ${message} at position ${position}`, { target });
}

/**
 * percentDecode that also reports which decoded characters were percent-encoded.
 *
 * @example percentDecodeWithMask('a%3Bb;c', '$search') → { text: 'a;b;c', encoded: [0,1,0,0,0] }
 */
export function percentDecodeWithMask(raw: string, target: string): DecodedText {
  if (raw.indexOf('%') < 0) {
    checkWellFormedUtf16(raw, target);
    return { text: raw, encoded: undefined };
  }
  // Pass 1: raw text → UTF-8 bytes, remembering for each byte its raw offset and whether it came from %XX.
  const n = raw.length;
  const bytes = new Uint8Array(n * 3);
  const fromPct = new Uint8Array(n * 3);
  const rawAt = new Uint32Array(n * 3);
  let len = 0;
  for (let i = 0; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (c === 37 /* % */) {
      const hi = i + 1 < n ? hexValue(raw.charCodeAt(i + 1)) : -1;
      const lo = i + 2 < n ? hexValue(raw.charCodeAt(i + 2)) : -1;
      if (hi < 0 || lo < 0) badEncoding(target, "malformed percent-encoding (expected '%' and two hex digits)", i);
      bytes[len] = hi * 16 + lo;
      fromPct[len] = 1;
      rawAt[len++] = i;
      i += 2;
    } else if (c < 0x80) {
      bytes[len] = c;
      rawAt[len++] = i;
    } else {
      // A raw non-ASCII character (lenient clients): re-encode it as UTF-8.
      let cp = c;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = raw.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      }
      if (cp >= 0xd800 && cp <= 0xdfff) badEncoding(target, 'unpaired surrogate', i);
      const at = i;
      if (cp > 0xffff) i++;
      if (cp < 0x800) {
        bytes[len] = 0xc0 | (cp >> 6);
        rawAt[len++] = at;
      } else if (cp < 0x10000) {
        bytes[len] = 0xe0 | (cp >> 12);
        rawAt[len++] = at;
        bytes[len] = 0x80 | ((cp >> 6) & 0x3f);
        rawAt[len++] = at;
      } else {
        bytes[len] = 0xf0 | (cp >> 18);
        rawAt[len++] = at;
        bytes[len] = 0x80 | ((cp >> 12) & 0x3f);
        rawAt[len++] = at;
        bytes[len] = 0x80 | ((cp >> 6) & 0x3f);
        rawAt[len++] = at;
      }
      bytes[len] = 0x80 | (cp & 0x3f);
      rawAt[len++] = at;
    }
  }
  // Pass 2: strict UTF-8 decoding (RFC 3629: no overlong forms, no surrogates, ≤ U+10FFFF).
  const units = new Uint16Array(len);
  const mask = new Uint8Array(len);
  let u = 0;
  let anyEncoded = false;
  for (let b = 0; b < len; ) {
    const lead = bytes[b] as number;
    const enc = fromPct[b] as number;
    let cp: number;
    let need: number;
    let min: number;
    if (lead < 0x80) {
      cp = lead;
      need = 0;
      min = 0;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      cp = lead & 0x1f;
      need = 1;
      min = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      cp = lead & 0x0f;
      need = 2;
      min = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      cp = lead & 0x07;
      need = 3;
      min = 0x10000;
    } else {
      return badEncoding(target, 'invalid UTF-8', rawAt[b] as number);
    }
    for (let k = 1; k <= need; k++) {
      const cont = bytes[b + k];
      if (b + k >= len || cont === undefined || (cont & 0xc0) !== 0x80) {
        return badEncoding(target, 'invalid UTF-8', rawAt[Math.min(b + k, len - 1)] as number);
      }
      cp = (cp << 6) | (cont & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return badEncoding(target, 'invalid UTF-8', rawAt[b] as number);
    }
    if (enc) anyEncoded = true;
    if (cp > 0xffff) {
      const v = cp - 0x10000;
      units[u] = 0xd800 + (v >> 10);
      mask[u++] = enc;
      units[u] = 0xdc00 + (v & 0x3ff);
      mask[u++] = enc;
    } else {
      units[u] = cp;
      mask[u++] = enc;
    }
    b += need + 1;
  }
  let text = '';
  const CHUNK = 8192;
  for (let i = 0; i < u; i += CHUNK) {
    text += String.fromCharCode.apply(null, units.subarray(i, Math.min(u, i + CHUNK)) as unknown as number[]);
  }
  return { text, encoded: anyEncoded ? mask.subarray(0, u) : undefined };
}

function checkWellFormedUtf16(s: string, target: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    badEncoding(target, 'unpaired surrogate', i);
  }
}
