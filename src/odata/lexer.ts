// decoded option text → tokens with offsets: names, $names, @names, typed literals (strings with '' escapes, numbers, dates, guids, durations, enums, geo), JSON strings, punctuation.

import { odataLimit, odataSyntax } from '../errors';
import type { LiteralExpr, NumberLiteral, TextLiteral } from './ast';

/** Deepest allowed nesting of parentheses, function calls, lambdas, unary chains and nested options. */
export const MAX_NESTING_DEPTH = 100;

/** Longest odataIdentifier (1 leading + 127 further characters). */
const MAX_IDENTIFIER_LENGTH = 128;

export type TokenKind = 'eof' | 'name' | 'dollar' | 'at' | 'literal' | 'jsonString' | 'punct';

export interface Token {
  readonly kind: TokenKind;
  readonly start: number;
  readonly end: number;
  /** Whitespace (SP / HTAB, after percent-decoding) directly before the token. */
  readonly spaceBefore: boolean;
  /**
   * name: dotted name as written ('Price', 'Ns.Type', 'geo.distance'); dollar: with '$' ('$it');
   * at: without '@' ('p', 'Core.Messages'); punct: the character; jsonString: the unescaped value.
   */
  readonly text: string;
  readonly literal?: LiteralExpr;
  /** at-tokens: the annotation qualifier after '#' */
  readonly qualifier?: string;
}

// ---------------------------------------------------------------------------------------------
// Character classes
// ---------------------------------------------------------------------------------------------

const LEAD_RE = /[\p{L}\p{Nl}]/u;
const PART_RE = /[\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}\p{Cf}]/u;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Length (1 or 2 UTF-16 units) of an identifier character at i, 0 if none. */
function identCharLength(text: string, i: number, leading: boolean): number {
  const c = text.charCodeAt(i);
  if (isAsciiLetter(c) || c === 95) return 1;
  if (c < 0x80) return !leading && isDigit(c) ? 1 : 0;
  const cp = text.codePointAt(i) as number;
  const ch = String.fromCodePoint(cp);
  return (leading ? LEAD_RE : PART_RE).test(ch) ? ch.length : 0;
}

/** End of the odataIdentifier starting at i (i when there is none); `tooLong` set when it exceeds 128 characters. */
function scanIdentifier(text: string, i: number, end: number): { end: number; tooLong: boolean } {
  let n = i < end ? identCharLength(text, i, true) : 0;
  if (n === 0) return { end: i, tooLong: false };
  let j = i + n;
  let count = 1;
  while (j < end && (n = identCharLength(text, j, false)) > 0) {
    j += n;
    count++;
  }
  return { end: j, tooLong: count > MAX_IDENTIFIER_LENGTH };
}

/**
 * Whether the whole text is one odataIdentifier (no dots, at most 128 characters).
 *
 * @example isODataIdentifier('__ID') → true; isODataIdentifier('No.Dot') → false
 */
export function isODataIdentifier(text: string): boolean {
  const r = scanIdentifier(text, 0, text.length);
  return r.end === text.length && text.length > 0 && !r.tooLong;
}

function identFollows(text: string, i: number, end: number): boolean {
  return i < end && identCharLength(text, i, false) > 0;
}

// ---------------------------------------------------------------------------------------------
// Literal scanners: return the end offset, -1 when the text does not have the shape, -2 when it
// has the shape but invalid values (e.g. month 13, hour 24).
// ---------------------------------------------------------------------------------------------

function digitsAt(text: string, i: number, end: number): number {
  let j = i;
  while (j < end && isDigit(text.charCodeAt(j))) j++;
  return j - i;
}

function twoDigits(text: string, i: number, end: number): number {
  if (i + 1 < end && isDigit(text.charCodeAt(i)) && isDigit(text.charCodeAt(i + 1))) {
    return (text.charCodeAt(i) - 48) * 10 + (text.charCodeAt(i + 1) - 48);
  }
  return -1;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** date = year "-" month "-" day, year = [-] ( "0" 3DIGIT / oneToNine 3*DIGIT ) */
function scanDate(text: string, i: number, end: number): number {
  let j = i;
  if (j < end && text.charCodeAt(j) === 45) j++;
  const ylen = digitsAt(text, j, end);
  if (ylen < 4 || (ylen > 4 && text.charCodeAt(j) === 48)) return -1;
  const year = Number(text.slice(i, j + ylen));
  j += ylen;
  if (text.charCodeAt(j) !== 45) return -1;
  const month = twoDigits(text, j + 1, end);
  if (month < 0 || text.charCodeAt(j + 3) !== 45) return -1;
  const day = twoDigits(text, j + 4, end);
  if (day < 0) return -1;
  j += 6;
  if (j < end && isDigit(text.charCodeAt(j))) return -1;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return -2;
  return j;
}

/** timeOfDay = hour ":" minute [ ":" second [ "." 1*12DIGIT ] ] */
function scanTimeOfDay(text: string, i: number, end: number): number {
  const hour = twoDigits(text, i, end);
  if (hour < 0 || text.charCodeAt(i + 2) !== 58) return -1;
  const minute = twoDigits(text, i + 3, end);
  if (minute < 0) return -1;
  let j = i + 5;
  if (j < end && isDigit(text.charCodeAt(j))) return -1;
  let bad = hour > 23 || minute > 59;
  if (text.charCodeAt(j) === 58) {
    const second = twoDigits(text, j + 1, end);
    if (second < 0) return -2;
    bad = bad || second > 60;
    j += 3;
    if (j < end && isDigit(text.charCodeAt(j))) return -2;
    if (text.charCodeAt(j) === 46) {
      const f = digitsAt(text, j + 1, end);
      if (f < 1 || f > 12) return -2;
      j += 1 + f;
    }
  }
  return bad ? -2 : j;
}

/** dateTimeOffset = date "T" timeOfDay ( "Z" / SIGN hour ":" minute ) */
function scanDateTimeOffset(text: string, i: number, end: number): number {
  const d = scanDate(text, i, end);
  if (d < 0) return d;
  const t = text.charCodeAt(d);
  if (t !== 84 && t !== 116) return -1;
  const tt = scanTimeOfDay(text, d + 1, end);
  if (tt < 0) return -2;
  const z = text.charCodeAt(tt);
  if (z === 90 || z === 122) return tt + 1;
  if (z === 43 || z === 45) {
    const h = twoDigits(text, tt + 1, end);
    const m = twoDigits(text, tt + 4, end);
    if (h < 0 || text.charCodeAt(tt + 3) !== 58 || m < 0 || h > 23 || m > 59) return -2;
    return tt + 6;
  }
  return -2;
}

/** guid = 8HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 12HEXDIG */
function scanGuid(text: string, i: number, end: number): number {
  if (i + 36 > end) return -1;
  for (let k = 0; k < 36; k++) {
    const c = text.charCodeAt(i + k);
    if (k === 8 || k === 13 || k === 18 || k === 23) {
      if (c !== 45) return -1;
    } else if (!isHex(c)) {
      return -1;
    }
  }
  return i + 36;
}

interface NumberScan {
  readonly end: number;
  readonly fraction: boolean;
  readonly exponent: boolean;
}

/** [SIGN] 1*DIGIT [ "." 1*DIGIT ] [ "e" [SIGN] 1*DIGIT ] (stops before a '.'/'e' that is not followed by digits) */
function scanNumber(text: string, i: number, end: number): NumberScan | undefined {
  let j = i;
  const s = text.charCodeAt(j);
  if (s === 43 || s === 45) j++;
  const intDigits = digitsAt(text, j, end);
  if (intDigits === 0) return undefined;
  j += intDigits;
  let fraction = false;
  let exponent = false;
  if (text.charCodeAt(j) === 46 && isDigit(text.charCodeAt(j + 1))) {
    j += 1 + digitsAt(text, j + 1, end);
    fraction = true;
  }
  const e = text.charCodeAt(j);
  if (e === 101 || e === 69) {
    let k = j + 1;
    const es = text.charCodeAt(k);
    if (es === 43 || es === 45) k++;
    const ed = digitsAt(text, k, end);
    if (ed > 0) {
      j = k + ed;
      exponent = true;
    }
  }
  return { end: j, fraction, exponent };
}

const INT32_MAX = 2147483647n;
const INT64_MAX = 9223372036854775807n;

function numberLiteral(lexeme: string, scan: NumberScan, pos: number): NumberLiteral {
  const value = Number(lexeme);
  if (scan.exponent) return { kind: 'literal', type: 'Edm.Double', value, text: lexeme, pos };
  if (scan.fraction) return { kind: 'literal', type: 'Edm.Decimal', value, text: lexeme, pos };
  const big = BigInt(lexeme.charCodeAt(0) === 43 ? lexeme.slice(1) : lexeme);
  const type = big >= -INT32_MAX - 1n && big <= INT32_MAX ? 'Edm.Int32' : big >= -INT64_MAX - 1n && big <= INT64_MAX ? 'Edm.Int64' : 'Edm.Decimal';
  return { kind: 'literal', type, value, text: lexeme, pos };
}

const DURATION_RE = /^-?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** durationValue = [ "-" ] "P" [ 1*DIGIT "D" ] [ "T" [ 1*DIGIT "H" ] [ 1*DIGIT "M" ] [ 1*DIGIT [ "." 1*DIGIT ] "S" ] ] (at least one component; no years/months) */
function isDurationValue(s: string): boolean {
  const m = DURATION_RE.exec(s);
  if (!m) return false;
  const hasTime = m[2] !== undefined || m[3] !== undefined || m[4] !== undefined;
  if (s.includes('T') && !hasTime) return false;
  return m[1] !== undefined || hasTime;
}

const BINARY_RE = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048]=?|[A-Za-z0-9_-][AQgw](?:==)?)?$/;

/** binaryValue: base64url, padding optional */
function isBinaryValue(s: string): boolean {
  return BINARY_RE.test(s);
}

const ENUM_MEMBER_INT_RE = /^[+-]?\d{1,19}$/;

/** enum value body `Red,Blue,+42` → members, or undefined when malformed */
function enumMembers(s: string): string[] | undefined {
  const parts = s.split(',');
  for (const p of parts) {
    if (!isODataIdentifier(p) && !ENUM_MEMBER_INT_RE.test(p)) return undefined;
  }
  return parts;
}

// Geo literal bodies: SRID=n;Point(1 2) etc. (syntax only; the service answers 501 for geo values).
interface GeoCursor {
  readonly s: string;
  i: number;
  depth: number;
}

function geoEat(c: GeoCursor, word: string): boolean {
  if (c.s.length - c.i < word.length) return false;
  if (c.s.slice(c.i, c.i + word.length).toLowerCase() !== word.toLowerCase()) return false;
  c.i += word.length;
  return true;
}

function geoDouble(c: GeoCursor): boolean {
  if (geoEat(c, 'NaN') || geoEat(c, '-INF') || geoEat(c, 'INF')) return true;
  const n = scanNumber(c.s, c.i, c.s.length);
  if (!n) return false;
  c.i = n.end;
  return true;
}

function geoPosition(c: GeoCursor): boolean {
  if (!geoDouble(c) || !geoEat(c, ' ') || !geoDouble(c)) return false;
  for (let k = 0; k < 2 && c.s.charCodeAt(c.i) === 32; k++) {
    c.i++;
    if (!geoDouble(c)) return false;
  }
  return true;
}

function geoList(c: GeoCursor, item: (c: GeoCursor) => boolean, min: number): boolean {
  if (!geoEat(c, '(')) return false;
  let n = 0;
  if (c.s[c.i] !== ')' || min > 0) {
    do {
      if (!item(c)) return false;
      n++;
    } while (geoEat(c, ','));
  }
  return n >= min && geoEat(c, ')');
}

const geoPointData = (c: GeoCursor): boolean => geoList(c, geoPosition, 1) && true;
const geoLineData = (c: GeoCursor): boolean => geoList(c, geoPosition, 2);
const geoRing = (c: GeoCursor): boolean => geoList(c, geoPosition, 1);
const geoPolygonData = (c: GeoCursor): boolean => geoList(c, geoRing, 1);

function geoLiteral(c: GeoCursor): boolean {
  if (++c.depth > MAX_NESTING_DEPTH) return false;
  let ok: boolean;
  if (geoEat(c, 'GeometryCollection')) ok = geoList(c, geoLiteral, 1);
  else if (geoEat(c, 'MultiLineString')) ok = geoList(c, geoLineData, 0);
  else if (geoEat(c, 'MultiPolygon')) ok = geoList(c, geoPolygonData, 0);
  else if (geoEat(c, 'MultiPoint')) ok = geoList(c, geoPointData, 0);
  else if (geoEat(c, 'LineString')) ok = geoLineData(c);
  else if (geoEat(c, 'Polygon')) ok = geoPolygonData(c);
  else if (geoEat(c, 'Point')) ok = geoPointData(c);
  else ok = false;
  c.depth--;
  return ok;
}

/** `SRID=0;Point(142.1 64.1)` etc. (fullPointLiteral / fullPolygonLiteral / …) */
function isGeoValue(s: string): boolean {
  const c: GeoCursor = { s, i: 0, depth: 0 };
  if (!geoEat(c, 'SRID=')) return false;
  const d = digitsAt(s, c.i, s.length);
  if (d < 1 || d > 5) return false;
  c.i += d;
  return geoEat(c, ';') && geoLiteral(c) && c.i === s.length;
}

// ---------------------------------------------------------------------------------------------
// The lexer
// ---------------------------------------------------------------------------------------------

/**
 * Cursor over one decoded option value; the parsers pull tokens from it (lexing is context
 * sensitive only where the grammar switches language: $search words, `keep start`).
 * Also carries the shared parse state: nesting depth and the in-scope lambda variables.
 *
 * @example new Lexer("Price gt 5", '$filter') → tokens name 'Price', name 'gt', literal Edm.Int32 5, eof
 */
export class Lexer {
  pos: number;
  depth = 0;
  /** Added to positions in error messages (a resource path segment reports offsets in the whole path). */
  positionOffset = 0;
  readonly variables: string[] = [];
  private cached: Token | undefined;
  private cachedFrom = 0;

  constructor(
    readonly text: string,
    readonly option: string,
    readonly encoded: Uint8Array | undefined = undefined,
    start = 0,
    readonly end: number = text.length,
  ) {
    this.pos = start;
  }

  peek(): Token {
    if (this.cached === undefined) {
      this.cachedFrom = this.pos;
      this.cached = this.scan();
    }
    return this.cached;
  }

  next(): Token {
    const t = this.peek();
    this.cached = undefined;
    this.pos = t.end;
    return t;
  }

  /** Position before the next token (and its leading whitespace), for backtracking with reset(). */
  mark(): number {
    return this.cached === undefined ? this.pos : this.cachedFrom;
  }

  reset(mark: number): void {
    this.cached = undefined;
    this.pos = mark;
  }

  fail(message: string, at: number): never {
    throw odataSyntax(`${this.option}: ${message} at position ${at + this.positionOffset}`, { target: this.option });
  }

  /** Enter one nesting level (parenthesis, call, lambda, nested options, unary operator). */
  enter(at: number): void {
    if (++this.depth > MAX_NESTING_DEPTH) {
      throw odataLimit(`${this.option}: nesting deeper than ${MAX_NESTING_DEPTH} levels at position ${at}`, {
        target: this.option,
      });
    }
  }

  leave(): void {
    this.depth--;
  }

  describe(t: Token): string {
    return t.kind === 'eof' ? 'end of input' : `'${this.text.slice(t.start, t.end)}'`;
  }

  /** Fails with "expected X" unless the next token is the punctuation `ch`; returns it. */
  expectPunct(ch: string, what = `'${ch}'`): Token {
    const t = this.peek();
    if (t.kind !== 'punct' || t.text !== ch) this.fail(`expected ${what} but found ${this.describe(t)}`, t.start);
    return this.next();
  }

  isPunct(ch: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === ch;
  }

  /** Next token is a plain name equal to `word` (case-insensitive unless `exact`). */
  isWord(word: string, exact = false): boolean {
    const t = this.peek();
    if (t.kind !== 'name') return false;
    return exact ? t.text === word : t.text.length === word.length && t.text.toLowerCase() === word;
  }

  /** Whether the character at i (decoded) was percent-encoded in the URL. */
  wasEncoded(i: number): boolean {
    return this.encoded !== undefined && this.encoded[i] === 1;
  }

  /** Skips SP/HTAB from pos; returns whether any was skipped. */
  skipSpaces(): boolean {
    const start = this.pos;
    while (this.pos < this.end) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 32 && c !== 9) break;
      this.pos++;
    }
    return this.pos > start;
  }

  private tok(kind: TokenKind, start: number, end: number, space: boolean, text: string, literal?: LiteralExpr): Token {
    return literal === undefined ? { kind, start, end, spaceBefore: space, text } : { kind, start, end, spaceBefore: space, text, literal };
  }

  private scan(): Token {
    const space = this.skipSpaces();
    const text = this.text;
    const end = this.end;
    const i = this.pos;
    if (i >= end) return this.tok('eof', i, i, space, '');
    const c = text.charCodeAt(i);
    switch (c) {
      case 39 /* ' */: {
        const s = this.scanQuoted(i);
        return this.tok('literal', i, s.end, space, '', { kind: 'literal', type: 'Edm.String', value: s.value, pos: i });
      }
      case 34 /* " */: {
        const s = this.scanJsonString(i);
        return this.tok('jsonString', i, s.end, space, s.value, { kind: 'literal', type: 'Edm.String', value: s.value, pos: i });
      }
      case 40:
      case 41:
      case 44:
      case 61:
      case 58:
      case 59:
      case 47:
      case 91:
      case 93:
      case 123:
      case 125:
      case 42:
      case 46:
        return this.tok('punct', i, i + 1, space, text[i] as string);
      case 45 /* - */: {
        const n = text.charCodeAt(i + 1);
        if (isDigit(n)) return this.scanNumeric(i, space);
        if (text.startsWith('INF', i + 1) && !identFollows(text, i + 4, end)) {
          return this.tok('literal', i, i + 4, space, '', { kind: 'literal', type: 'Edm.Double', value: -Infinity, text: '-INF', pos: i });
        }
        return this.tok('punct', i, i + 1, space, '-');
      }
      case 43 /* + */:
        if (isDigit(text.charCodeAt(i + 1))) return this.scanNumeric(i, space);
        return this.fail("unexpected '+'", i);
      case 36 /* $ */: {
        const r = scanIdentifier(text, i + 1, end);
        if (r.end === i + 1) this.fail("expected a name after '$'", i);
        return this.tok('dollar', i, r.end, space, text.slice(i, r.end));
      }
      case 64 /* @ */:
        return this.scanAt(i, space);
      default:
        break;
    }
    if (isDigit(c)) return this.scanNumeric(i, space);
    if (identCharLength(text, i, true) > 0) return this.scanName(i, space);
    return this.fail(`unexpected character '${String.fromCodePoint(text.codePointAt(i) as number)}'`, i);
  }

  /** '…' with '' escapes → value and end (after the closing quote). */
  private scanQuoted(i: number): { value: string; end: number } {
    const text = this.text;
    let value = '';
    let from = i + 1;
    for (;;) {
      const q = text.indexOf("'", from);
      if (q < 0 || q >= this.end) return this.fail('unterminated string literal', i);
      if (text.charCodeAt(q + 1) === 39 && q + 1 < this.end) {
        value += text.slice(from, q + 1);
        from = q + 2;
        continue;
      }
      value += text.slice(from, q);
      return { value, end: q + 1 };
    }
  }

  private scanJsonString(i: number): { value: string; end: number } {
    const text = this.text;
    let value = '';
    let j = i + 1;
    while (j < this.end) {
      const c = text.charCodeAt(j);
      if (c === 34) return { value, end: j + 1 };
      if (c !== 92) {
        value += text[j];
        j++;
        continue;
      }
      const e = text[j + 1];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          value += e;
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case 'n':
          value += '\n';
          break;
        case 'r':
          value += '\r';
          break;
        case 't':
          value += '\t';
          break;
        case 'u': {
          const hex = text.slice(j + 2, j + 6);
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) this.fail('invalid \\u escape in JSON string', j);
          value += String.fromCharCode(parseInt(hex, 16));
          j += 4;
          break;
        }
        default:
          this.fail('invalid escape in JSON string', j);
      }
      j += 2;
    }
    return this.fail('unterminated JSON string', i);
  }

  private scanAt(i: number, space: boolean): Token {
    const text = this.text;
    const n = this.scanDottedName(i + 1);
    if (n === i + 1) this.fail("expected a name after '@'", i);
    const name = text.slice(i + 1, n);
    if (text.charCodeAt(n) === 35 /* # */) {
      const q = scanIdentifier(text, n + 1, this.end);
      if (q.end === n + 1) this.fail("expected a qualifier after '#'", n);
      return { kind: 'at', start: i, end: q.end, spaceBefore: space, text: name, qualifier: text.slice(n + 1, q.end) };
    }
    return this.tok('at', i, n, space, name);
  }

  /** identifier *( "." identifier ); stops before a '.' that is not followed by an identifier. */
  private scanDottedName(i: number): number {
    let r = scanIdentifier(this.text, i, this.end);
    if (r.end === i) return i;
    let j = r.end;
    for (;;) {
      if (r.tooLong) this.fail(`identifier longer than ${MAX_IDENTIFIER_LENGTH} characters`, i);
      if (this.text.charCodeAt(j) !== 46) return j;
      r = scanIdentifier(this.text, j + 1, this.end);
      if (r.end === j + 1) return j;
      j = r.end;
    }
  }

  private literalEnd(i: number, j: number, what: string): void {
    if (identFollows(this.text, j, this.end)) this.fail(`invalid ${what} literal`, i);
  }

  private scanNumeric(i: number, space: boolean): Token {
    const text = this.text;
    const end = this.end;
    const first = text.charCodeAt(i);
    if (first !== 43 && first !== 45) {
      const g = scanGuid(text, i, end);
      if (g > 0 && !identFollows(text, g, end)) {
        return this.tok('literal', i, g, space, '', { kind: 'literal', type: 'Edm.Guid', value: text.slice(i, g), pos: i });
      }
    }
    if (first !== 43) {
      const dto = scanDateTimeOffset(text, i, end);
      if (dto === -2) this.fail('invalid date/time literal', i);
      if (dto > 0) {
        this.literalEnd(i, dto, 'DateTimeOffset');
        const value = text.slice(i, dto).replace('t', 'T').replace(/z$/, 'Z');
        return this.tok('literal', i, dto, space, '', { kind: 'literal', type: 'Edm.DateTimeOffset', value, pos: i });
      }
      const d = scanDate(text, i, end);
      if (d > 0) {
        this.literalEnd(i, d, 'Date');
        return this.tok('literal', i, d, space, '', { kind: 'literal', type: 'Edm.Date', value: text.slice(i, d), pos: i });
      }
      if (first !== 45) {
        const t = scanTimeOfDay(text, i, end);
        if (t === -2) this.fail('invalid TimeOfDay literal', i);
        if (t > 0) {
          this.literalEnd(i, t, 'TimeOfDay');
          return this.tok('literal', i, t, space, '', { kind: 'literal', type: 'Edm.TimeOfDay', value: text.slice(i, t), pos: i });
        }
      }
    }
    const n = scanNumber(text, i, end) as NumberScan;
    this.literalEnd(i, n.end, 'number');
    return this.tok('literal', i, n.end, space, '', numberLiteral(text.slice(i, n.end), n, i));
  }

  private scanName(i: number, space: boolean): Token {
    const text = this.text;
    const g = scanGuid(text, i, this.end);
    if (g > 0 && !identFollows(text, g, this.end)) {
      return this.tok('literal', i, g, space, '', { kind: 'literal', type: 'Edm.Guid', value: text.slice(i, g), pos: i });
    }
    const j = this.scanDottedName(i);
    const name = text.slice(i, j);
    if (text.charCodeAt(j) === 39 /* ' */ && j < this.end) return this.scanPrefixed(i, j, name, space);
    switch (name) {
      case 'null':
        return this.tok('literal', i, j, space, '', { kind: 'literal', type: 'null', pos: i });
      case 'INF':
        return this.tok('literal', i, j, space, '', { kind: 'literal', type: 'Edm.Double', value: Infinity, text: 'INF', pos: i });
      case 'NaN':
        return this.tok('literal', i, j, space, '', { kind: 'literal', type: 'Edm.Double', value: NaN, text: 'NaN', pos: i });
      default:
        break;
    }
    if (name.length === 4 || name.length === 5) {
      const lower = name.toLowerCase();
      if (lower === 'true' || lower === 'false') {
        return this.tok('literal', i, j, space, '', { kind: 'literal', type: 'Edm.Boolean', value: lower === 'true', pos: i });
      }
    }
    return this.tok('name', i, j, space, name);
  }

  /** duration'…', binary'…', geography'…', geometry'…', Ns.EnumType'…' */
  private scanPrefixed(i: number, j: number, name: string, space: boolean): Token {
    const q = this.scanQuoted(j);
    const body = q.value;
    const lower = name.toLowerCase();
    let literal: TextLiteral | LiteralExpr;
    if (lower === 'duration') {
      if (!isDurationValue(body)) this.fail('invalid duration literal', i);
      literal = { kind: 'literal', type: 'Edm.Duration', value: body, pos: i };
    } else if (lower === 'binary') {
      if (!isBinaryValue(body)) this.fail('invalid binary literal (expected base64url)', i);
      literal = { kind: 'literal', type: 'Edm.Binary', value: body, pos: i };
    } else if (lower === 'geography' || lower === 'geometry') {
      if (!isGeoValue(body)) this.fail(`invalid ${lower} literal`, i);
      literal = { kind: 'literal', type: lower === 'geography' ? 'Edm.Geography' : 'Edm.Geometry', value: body, pos: i };
    } else if (name.includes('.')) {
      const members = enumMembers(body);
      if (members === undefined) this.fail('invalid enumeration literal', j);
      literal = { kind: 'literal', type: 'enum', typeName: name, members, pos: i };
    } else {
      return this.fail(`unexpected quote after '${name}'`, j);
    }
    return this.tok('literal', i, q.end, space, '', literal);
  }
}
