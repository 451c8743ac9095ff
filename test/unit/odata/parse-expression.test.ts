// parse-expression: $filter-style text → Expr (precedence, literals, paths, lambdas, errors with positions, limits).

import { MAX_NESTING_DEPTH, parseExpression } from '../../../src/odata/parse-expression';
import { errorOf, sexpr } from './sexpr';

const p = (text: string): string => sexpr(parseExpression(text));

describe('parseExpression: precedence and associativity', () => {
  it.each([
    ['a or b and c', '(or a (and b c))'],
    ['a and b or c', '(or (and a b) c)'],
    ['a eq 1 and b ne 2', '(and (eq a 1) (ne b 2))'],
    ['a add b mul c eq 7', '(eq (add a (mul b c)) 7)'],
    ['a sub b sub c', '(sub (sub a b) c)'],
    ['a div b divby c mod d', '(mod (divby (div a b) c) d)'],
    ['(a add b) mul c', '(mul (add a b) c)'],
    ['not a eq b', '(eq (not a) b)'],
    ['not (a eq b)', '(not (eq a b))'],
    ['not(a eq b)', '(not (eq a b))'],
    ['NOT endswith(Name,\'ilk\')', "(not endswith(Name, 'ilk'))"],
    ['-Price gt - 5', '(gt (- Price) (- 5))'],
    ['Name EQ \'Milk\' AND Price LT 2.55', "(and (eq Name 'Milk') (lt Price 2.55))"],
    ['a or b or c or d', '(or (or a b) (or c d))'],
    ['a or b or c', '(or (or a b) c)'],
    ['x in (1,2) and y', '(and (in x [list 1 2]) y)'],
    ['x in (a) add 1', '(in x (add a 1))'],
    ['style has Sales.Pattern\'Yellow\'', "(has style Sales.Pattern'Yellow')"],
  ])('%s → %s', (text, expected) => {
    expect(p(text)).toBe(expected);
  });
});

describe('parseExpression: literals', () => {
  it.each([
    ['null', 'null'],
    ['tRUe', 'true'],
    ['42', '42'],
    ['-2147483648', '-2147483648'],
    ['+42', '+42'],
    ['3.14', '3.14'],
    ['1e-101', '1e-101'],
    ['-0.314E1', '-0.314E1'],
    ['INF', 'INF'],
    ['-INF', '-INF'],
    ['NaN', 'NaN'],
    ["'O''Neil'", "'O'Neil'"],
    ["''", "''"],
    ['2024-01-15', 'Date:2024-01-15'],
    ['-10000-04-01', 'Date:-10000-04-01'],
    ['2024-01-15T12:00:00Z', 'DateTimeOffset:2024-01-15T12:00:00Z'],
    ['2024-01-15t12:00z', 'DateTimeOffset:2024-01-15T12:00Z'],
    ['2024-01-15T12:00:00.123456789+01:00', 'DateTimeOffset:2024-01-15T12:00:00.123456789+01:00'],
    ['2024-01-15T12:00:00-05:30', 'DateTimeOffset:2024-01-15T12:00:00-05:30'],
    ['1972-06-30T23:59:60Z', 'DateTimeOffset:1972-06-30T23:59:60Z'],
    ['12:30:00.5', 'TimeOfDay:12:30:00.5'],
    ['23:59', 'TimeOfDay:23:59'],
    ["duration'P1DT2H'", 'Duration:P1DT2H'],
    ["duration'-PT0.5S'", 'Duration:-PT0.5S'],
    ["'P1DT2H'", "'P1DT2H'"],
    ['01234567-89ab-cdef-0123-456789ABCDEF', 'Guid:01234567-89ab-cdef-0123-456789ABCDEF'],
    ['deadbeef-89ab-cdef-0123-456789abcdef', 'Guid:deadbeef-89ab-cdef-0123-456789abcdef'],
    ["binary'Zm9vYg=='", 'Binary:Zm9vYg=='],
    ["Ns.Color'Red,Blue,+4'", "Ns.Color'Red,Blue,+4'"],
    ["geography'SRID=0;Point(142.1 64.1)'", 'Geography:SRID=0;Point(142.1 64.1)'],
  ])('%s → %s', (text, expected) => {
    expect(p(text)).toBe(expected);
  });

  it.each([
    ['42', 'Edm.Int32'],
    ['2147483648', 'Edm.Int64'],
    ['-9223372036854775808', 'Edm.Int64'],
    ['9223372036854775808', 'Edm.Decimal'],
    ['1.5', 'Edm.Decimal'],
    ['1.5e3', 'Edm.Double'],
  ])('%s is %s', (text, type) => {
    expect(parseExpression(text)).toMatchObject({ kind: 'literal', type, text });
  });
});

describe('parseExpression: paths, calls, lambdas, JSON, cast/isof/case', () => {
  it.each([
    ['Customer/Address/City', 'Customer/Address/City'],
    ['Items/$count gt 2', '(gt Items/$count 2)'],
    ['Items/$count($filter=Qty gt 1;$search=blue) gt 2', '(gt Items/$count[filter (gt Qty 1)][search blue] 2)'],
    ['Items/any(i: i/Qty gt 1)', 'Items/any(i: (gt i/Qty 1))'],
    ['Items/any()', 'Items/any()'],
    ['Items/all(i:i/Tags/any(t:t eq $it/Name))', "Items/all(i: i/Tags/any(t: (eq t $it/Name)))"],
    ['$it/Name', '$it/Name'],
    ['$this', '$this'],
    ["$root/Employees('A1245')/LastName", "$root/Employees('A1245')/LastName"],
    ['@p', '@p'],
    ['@a/Street', '@a/Street'],
    ['Price/@Measures.Currency#Reporting', 'Price/@Measures.Currency#Reporting'],
    ["contains(Name,'x')", "contains(Name, 'x')"],
    ['now()', 'now()'],
    ['geo.distance(A,B)', 'geo.distance(A, B)'],
    ['substring(Name, 1, 2)', 'substring(Name, 1, 2)'],
    ['Model.Fn(a=1,b=@p)/Name', 'Model.Fn(a=1,b=@p)/Name'],
    ['Items(1)/Name', 'Items(1)/Name'],
    ["Items(ID=1,Code='x')", "Items(ID=1,Code='x')"],
    ['Products/Model.BestProduct()/Name', 'Products/Model.BestProduct()/Name'],
    ['DirectReports/Sales.Manager/any()', 'DirectReports/Sales.Manager/any()'],
    ['Products/$filter(Age gt 3)/$count', 'Products/$filter[(gt Age 3)]/$count'],
    ['["a",1,\'b\']', "['a', 1, 'b']"],
    ['{"Name":"x","Sizes":[1,2 add 3]}', "{Name: 'x', Sizes: [1, (add 2 3)]}"],
    ['Name in ["a","b"]', "(in Name ['a', 'b'])"],
    ['Name in ()', '(in Name [list ])'],
    ["Name in ('a')", "(in Name [list 'a'])"],
    ['Name in (Other)', '(in Name Other)'],
    ['cast(Edm.String)', 'cast(Edm.String)'],
    ['cast(Price,Edm.Int32)', 'cast(Price, Edm.Int32)'],
    ['isof(Tags,Collection(Edm.String))', 'isof(Tags, Collection(Edm.String))'],
    ['case(X gt 0:1,X lt 0:-1,true:0)', 'case((gt X 0): 1, (lt X 0): -1, true: 0)'],
  ])('%s → %s', (text, expected) => {
    expect(p(text)).toBe(expected);
  });

  it('resolves lambda variables only inside their lambda', () => {
    expect(parseExpression('x/Qty')).toMatchObject({ root: { kind: 'implicit' } });
    const e = parseExpression('Items/any(x: x/Qty gt 1)');
    expect(e).toMatchObject({ segments: [{}, { predicate: { left: { root: { kind: 'variable', name: 'x' } } } }] });
  });

  it('keeps positions of nodes in the decoded text', () => {
    expect(parseExpression("Duration gt 30 and Status eq 'done'")).toMatchObject({
      pos: 15,
      left: { pos: 9, left: { pos: 0 }, right: { pos: 12 } },
      right: { pos: 26, left: { pos: 19 }, right: { pos: 29 } },
    });
  });
});

describe('parseExpression: syntax errors carry the option name and the position', () => {
  it.each([
    ['(a eq 1', "$filter: expected ')' but found end of input at position 7"],
    ['a eq', '$filter: expected an expression but found end of input at position 4'],
    ['', '$filter: expected a value but found end of input at position 0'],
    [' a', '$filter: unexpected whitespace at position 0'],
    ["Name eq 'abc", '$filter: unterminated string literal at position 8'],
    ['Name eq "abc"', '$filter: double-quoted strings are only allowed inside JSON arrays and objects at position 8'],
    ['a eq 1 1', "$filter: unexpected '1' at position 7"],
    ['a # b', "$filter: unexpected character '#' at position 2"],
    ['Model.Available', "$filter: a qualified name must be followed by '/' (type cast) or '(' (function call) at position 15"],
    ['any(x:true)', '$filter: any() requires a collection path before it, e.g. Items/any(…) at position 3'],
    ['Items/all()', '$filter: all() requires a lambda expression such as all(x: x/Qty gt 0) at position 10'],
    ['x in (a,b)', '$filter: a list may only contain primitive literals at position 6'],
    ["x eq ('a','b')", "$filter: expected ')' but found ',' at position 9"],
    ['Items/$count/x', '$filter: no path segment may follow $count at position 12'],
    ['2024-02-30', '$filter: invalid date/time literal at position 0'],
    ['2024-01-15T24:00Z', '$filter: invalid date/time literal at position 0'],
    ['25:00', '$filter: invalid TimeOfDay literal at position 0'],
    ["duration'P1Y'", '$filter: invalid duration literal at position 0'],
    ["X'00'", "$filter: unexpected quote after 'X' at position 1"],
    ['5m', '$filter: invalid number literal at position 0'],
    ["style has 'x' add 1", "$filter: 'has' requires an enumeration literal such as Ns.Color'Red' at position 14"],
    ['a has b', "$filter: 'has' requires an enumeration literal such as Ns.Color'Red' at position 6"],
  ])('%j → %s', (text, message) => {
    expect(errorOf(() => parseExpression(text))).toEqual({ code: 'ODATA_PARSE_SYNTAX', status: 400, message });
  });
});

describe('parseExpression: limits and size', () => {
  it('exports the nesting limit', () => {
    expect(MAX_NESTING_DEPTH).toBe(100);
  });

  it.each([
    ['parentheses', (n: number) => `${'('.repeat(n)}a${')'.repeat(n)}`],
    ['not chains', (n: number) => `${'not '.repeat(n)}a`],
    ['negation chains', (n: number) => `${'-'.repeat(n)}a`],
    ['function calls', (n: number) => `${'f('.repeat(n)}a${')'.repeat(n)}`],
    ['JSON arrays', (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`],
    ['lambdas', (n: number) => `${Array.from({ length: n }, (_, i) => `A/any(x${i}:`).join('')}true${')'.repeat(n)}`],
  ])('%s: depth %d parses, 5,000 levels give a clean 400', (_name, build) => {
    expect(() => parseExpression(build(MAX_NESTING_DEPTH))).not.toThrow();
    const err = errorOf(() => parseExpression(build(5000)));
    expect(err.code).toBe('ODATA_LIMIT_EXCEEDED');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^\$filter: nesting deeper than 100 levels at position \d+$/);
  });

  it('parses a 10,000-term or chain into a shallow balanced tree', () => {
    const text = Array.from({ length: 10000 }, (_, i) => `Id eq ${i}`).join(' or ');
    const e = parseExpression(text);
    const depth = (x: unknown): number => {
      const b = x as { kind: string; operator?: string; left?: unknown; right?: unknown };
      return b.kind === 'binary' && b.operator === 'or' ? 1 + Math.max(depth(b.left), depth(b.right)) : 0;
    };
    expect(depth(e)).toBe(14);
  });
});
