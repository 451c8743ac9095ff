// decoded $search text → SearchExpr: words, "phrases" (\" and \\ escapes), NOT > AND (explicit or implicit by whitespace) > OR, parentheses.

import type { SearchExpr } from './ast';
import { Lexer } from './lexer';

/**
 * Where a search expression ends: 'option' (the whole $search value), 'nested' (inside
 * $expand(…)/$select(…)/$count(…): at an unbalanced ')' or a bare ';'), 'apply' (inside search(…): at an unbalanced ')').
 */
export type SearchContext = 'option' | 'nested' | 'apply';

/**
 * Parses a whole $search value (percent-decoded; `encoded` marks characters that were %XX, because
 * a bare ';' is not allowed in a search word while '%3B' is).
 *
 * @example parseSearch('blue OR "light green" NOT red') →
 *   { kind: 'searchOr', pos: 5, left: { kind: 'searchTerm', term: 'blue', pos: 0 },
 *     right: { kind: 'searchAnd', pos: 22, left: { kind: 'searchPhrase', phrase: 'light green', pos: 8 },
 *              right: { kind: 'searchNot', pos: 22, operand: { kind: 'searchTerm', term: 'red', pos: 26 } } } }
 */
export function parseSearch(text: string, option = '$search', encoded?: Uint8Array): SearchExpr {
  const lx = new Lexer(text, option, encoded);
  const e = parseSearchAt(lx, 'option');
  const t = lx.peek();
  if (t.kind !== 'eof') lx.fail(`unexpected ${lx.describe(t)}`, t.start);
  return e;
}

interface State {
  readonly lx: Lexer;
  readonly text: string;
  readonly end: number;
  readonly context: SearchContext;
  i: number;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Parses a search expression starting at the lexer's position and leaves the lexer after it
 * (before the terminating ')' or ';', if any).
 *
 * @example in `$expand=Items($search=blue green;$top=1)` after '$search=' → (AND blue green), lexer left at ';'
 */
export function parseSearchAt(lx: Lexer, context: SearchContext): SearchExpr {
  const s: State = { lx, text: lx.text, end: lx.end, context, i: lx.mark() };
  skipSpaces(s);
  let e: SearchExpr;
  if (s.text.charCodeAt(s.i) === 39 /* ' */) {
    e = parseIncomplete(s);
  } else {
    e = parseOr(s);
    const save = s.i;
    skipSpaces(s);
    if (!atExprEnd(s)) fail(s, `unexpected '${s.text[s.i]}'`);
    if (context !== 'option') s.i = save;
  }
  if (s.i < s.end) {
    const c = s.text.charCodeAt(s.i);
    if (context === 'option' && c === 41) fail(s, "unexpected ')'");
    if (c === 59 && !lx.wasEncoded(s.i) && context !== 'nested') fail(s, "';' must be percent-encoded (%3B) in a search word");
  }
  lx.reset(s.i);
  return e;
}

function fail(s: State, message: string, at = s.i): never {
  return s.lx.fail(message, at);
}

function skipSpaces(s: State): boolean {
  const start = s.i;
  while (s.i < s.end && isSpace(s.text.charCodeAt(s.i))) s.i++;
  return s.i > start;
}

/** End of input, ')' or a bare ';' (the nested-option separator). */
function atExprEnd(s: State, i = s.i): boolean {
  if (i >= s.end) return true;
  const c = s.text.charCodeAt(i);
  return c === 41 || (c === 59 && !s.lx.wasEncoded(i));
}

/** `word` at the position, followed by whitespace and then the start of an operand. */
function atOperator(s: State, word: string): boolean {
  if (!s.text.startsWith(word, s.i)) return false;
  let j = s.i + word.length;
  if (j >= s.end || !isSpace(s.text.charCodeAt(j))) return false;
  while (j < s.end && isSpace(s.text.charCodeAt(j))) j++;
  return !atExprEnd(s, j);
}

function consumeOperator(s: State, word: string): number {
  const at = s.i;
  s.i += word.length;
  skipSpaces(s);
  return at;
}

function balance(kind: 'searchAnd' | 'searchOr', items: readonly SearchExpr[], at: readonly number[], lo: number, hi: number): SearchExpr {
  if (hi - lo === 1) return items[lo] as SearchExpr;
  const mid = lo + Math.ceil((hi - lo) / 2);
  return { kind, left: balance(kind, items, at, lo, mid), right: balance(kind, items, at, mid, hi), pos: at[mid - 1] as number };
}

function parseOr(s: State): SearchExpr {
  const items = [parseAnd(s)];
  const at: number[] = [];
  for (;;) {
    const save = s.i;
    if (!skipSpaces(s) || !atOperator(s, 'OR')) {
      s.i = save;
      break;
    }
    at.push(consumeOperator(s, 'OR'));
    items.push(parseAnd(s));
  }
  return balance('searchOr', items, at, 0, items.length);
}

function parseAnd(s: State): SearchExpr {
  const items = [parseNot(s)];
  const at: number[] = [];
  for (;;) {
    const save = s.i;
    if (!skipSpaces(s) || atExprEnd(s) || atOperator(s, 'OR')) {
      s.i = save;
      break;
    }
    // Explicit `AND`, else implicit AND between whitespace-separated operands.
    at.push(atOperator(s, 'AND') ? consumeOperator(s, 'AND') : s.i);
    items.push(parseNot(s));
  }
  return balance('searchAnd', items, at, 0, items.length);
}

function parseNot(s: State): SearchExpr {
  if (!atOperator(s, 'NOT')) return parsePrimary(s);
  const at = consumeOperator(s, 'NOT');
  s.lx.enter(at);
  const operand = parseNot(s);
  s.lx.leave();
  return { kind: 'searchNot', operand, pos: at };
}

function parsePrimary(s: State): SearchExpr {
  const start = s.i;
  if (atExprEnd(s)) fail(s, s.i >= s.end ? 'expected a search term but found end of input' : `expected a search term but found '${s.text[s.i]}'`);
  const c = s.text.charCodeAt(s.i);
  if (c === 40 /* ( */) {
    s.lx.enter(start);
    s.i++;
    skipSpaces(s);
    const e = parseOr(s);
    skipSpaces(s);
    if (s.text.charCodeAt(s.i) !== 41 || s.i >= s.end) fail(s, "expected ')'");
    s.i++;
    s.lx.leave();
    return e;
  }
  if (c === 34 /* " */) return parsePhrase(s);
  if (c === 39 /* ' */) fail(s, 'a search word cannot start with a single quote');
  let j = s.i;
  while (j < s.end) {
    const d = s.text.charCodeAt(j);
    if (isSpace(d) || d === 40 || d === 41 || d === 34 || (d === 59 && !s.lx.wasEncoded(j))) break;
    j++;
  }
  s.i = j;
  return { kind: 'searchTerm', term: s.text.slice(start, j), pos: start };
}

function parsePhrase(s: State): SearchExpr {
  const start = s.i;
  let phrase = '';
  let j = s.i + 1;
  for (;;) {
    if (j >= s.end) fail(s, 'unterminated search phrase', start);
    const c = s.text.charCodeAt(j);
    if (c === 34) break;
    if (c === 92 /* \ */ && j + 1 < s.end && (s.text.charCodeAt(j + 1) === 34 || s.text.charCodeAt(j + 1) === 92)) {
      phrase += s.text[j + 1];
      j += 2;
      continue;
    }
    phrase += s.text[j];
    j++;
  }
  if (phrase.length === 0) fail(s, 'empty search phrase', start);
  s.i = j + 1;
  if (!atExprEnd(s) && !isSpace(s.text.charCodeAt(s.i))) fail(s, 'expected whitespace after a search phrase');
  return { kind: 'searchPhrase', phrase, pos: start };
}

/** 4.01 searchExpr-incomplete: the whole value is a single-quoted string ('' escapes a quote). */
function parseIncomplete(s: State): SearchExpr {
  const start = s.i;
  let phrase = '';
  let j = s.i + 1;
  for (;;) {
    const q = s.text.indexOf("'", j);
    if (q < 0 || q >= s.end) fail(s, 'unterminated quoted search value', start);
    if (q + 1 < s.end && s.text.charCodeAt(q + 1) === 39) {
      phrase += s.text.slice(j, q + 1);
      j = q + 2;
      continue;
    }
    phrase += s.text.slice(j, q);
    s.i = q + 1;
    break;
  }
  const save = s.i;
  skipSpaces(s);
  if (!atExprEnd(s)) fail(s, 'unexpected text after a quoted search value');
  if (s.context !== 'option') s.i = save;
  return { kind: 'searchPhrase', phrase, pos: start };
}
