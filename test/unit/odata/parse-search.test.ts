// parse-search: $search text → SearchExpr (precedence NOT > AND > OR, implicit AND, phrases, keywords as words).

import { parseSearch } from '../../../src/odata/parse-search';
import { percentDecodeWithMask } from '../../../src/odata/percent-decode';
import { errorOf, searchSexpr } from './sexpr';

const s = (text: string): string => searchSexpr(parseSearch(text));

describe('parseSearch', () => {
  it.each([
    ['blue', 'blue'],
    ['blue green', '(AND blue green)'],
    ['blue AND green', '(AND blue green)'],
    ['blue OR green', '(OR blue green)'],
    ['blue OR green red', '(OR blue (AND green red))'],
    ['a AND b OR c AND d', '(OR (AND a b) (AND c d))'],
    ['NOT blue', '(NOT blue)'],
    ['blue NOT green', '(AND blue (NOT green))'],
    ['NOT a OR b', '(OR (NOT a) b)'],
    ['NOT (a OR b)', '(NOT (OR a b))'],
    ['(foo OR that) AND (bar OR baz) AND NOT quux', '(AND (AND (OR foo that) (OR bar baz)) (NOT quux))'],
    ['"blue green"', '"blue green"'],
    ['"say \\"hi\\" \\\\ bye"', '"say \\"hi\\" \\\\ bye"'],
    ['AND', 'AND'],
    ['OR', 'OR'],
    ['NOT', 'NOT'],
    ['NOT NOT', '(NOT NOT)'],
    ['AND OR', '(AND AND OR)'],
    ['AND OR NOT', '(OR AND NOT)'],
    ['and or not', '(AND (AND and or) not)'],
    ["Daniel's 3.14 9,81 08/15 $search", "(AND (AND (AND Daniel's 3.14) 9,81) (AND 08/15 $search))"],
    ["'\"blue'", '"\\"blue"'],
    ["'it''s'", '"it\'s"'],
    [' blue', 'blue'],
    ['blue AND', '(AND blue AND)'],
  ])('%s → %s', (text, expected) => {
    expect(s(text)).toBe(expected);
  });

  it('keeps positions', () => {
    expect(parseSearch('blue OR "light green" NOT red')).toEqual({
      kind: 'searchOr',
      pos: 5,
      left: { kind: 'searchTerm', term: 'blue', pos: 0 },
      right: {
        kind: 'searchAnd',
        pos: 22,
        left: { kind: 'searchPhrase', phrase: 'light green', pos: 8 },
        right: { kind: 'searchNot', pos: 22, operand: { kind: 'searchTerm', term: 'red', pos: 26 } },
      },
    });
  });

  it.each([
    ['"blue', '$search: unterminated search phrase at position 0'],
    ['""', '$search: empty search phrase at position 0'],
    ['"blue"green', '$search: expected whitespace after a search phrase at position 6'],
    ['(blue', "$search: expected ')' at position 5"],
    ['blue)', "$search: unexpected ')' at position 4"],
    ['a;b', "$search: ';' must be percent-encoded (%3B) in a search word at position 1"],
    ['', '$search: expected a search term but found end of input at position 0'],
  ])('%j → %s', (text, message) => {
    expect(errorOf(() => parseSearch(text)).message).toBe(message);
  });

  it('treats a percent-encoded ";" as part of a word', () => {
    const d = percentDecodeWithMask('a%3Bb', '$search');
    expect(searchSexpr(parseSearch(d.text, '$search', d.encoded))).toBe('a;b');
  });

  it('builds balanced trees for long implicit-AND chains and limits nesting', () => {
    expect(() => parseSearch(Array.from({ length: 10000 }, (_, i) => `w${i}`).join(' '))).not.toThrow();
    expect(errorOf(() => parseSearch(`${'('.repeat(5000)}a${')'.repeat(5000)}`)).code).toBe('ODATA_LIMIT_EXCEEDED');
    expect(errorOf(() => parseSearch(`${'NOT '.repeat(5000)}a`)).code).toBe('ODATA_LIMIT_EXCEEDED');
  });
});
