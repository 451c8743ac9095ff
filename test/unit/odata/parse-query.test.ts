// parse-query: raw query strings → ParsedQuery; option names, duplicates, custom options, aliases, encoding errors, nested options.

import { parseQueryString } from '../../../src/odata/parse-query';
import { errorOf, searchSexpr, sexpr } from './sexpr';

describe('parseQueryString: option names', () => {
  it.each([
    ['$filter=Price gt 5'],
    ['filter=Price gt 5'],
    ['$FILTER=Price gt 5'],
    ['Filter=Price gt 5'],
    ['%24filter=Price%20gt%205'],
  ])('%s is the $filter option', (raw) => {
    expect(sexpr(parseQueryString(raw).filter!)).toBe('(gt Price 5)');
  });

  it('keeps custom options (no $, not a system name) and otherwise ignores them', () => {
    const q = parseQueryString('apikey=abc%2Bdef&$top=3&flag&!special');
    expect(q.customOptions).toEqual({ apikey: 'abc+def', flag: '', '!special': '' });
    expect(q.top).toBe(3);
  });

  it('skips empty parts and a leading "?"', () => {
    expect(parseQueryString('?&$top=1&&')).toMatchObject({ top: 1 });
    expect(parseQueryString('')).toEqual({ aliases: {}, customOptions: {} });
  });

  it.each([
    ['$top=1&$top=2', 'ODATA_PARSE_DUPLICATE_OPTION', "query option '$top' is given more than once"],
    ['$filter=a&filter=b', 'ODATA_PARSE_DUPLICATE_OPTION', "query option '$filter' is given more than once"],
    ['@p=1&@p=2', 'ODATA_PARSE_DUPLICATE_OPTION', "parameter alias '@p' is given more than once"],
    ['$xyz=1', 'ODATA_PARSE_UNKNOWN_OPTION', "unknown system query option '$xyz'"],
    ['$levels=2', 'ODATA_PARSE_UNKNOWN_OPTION', "unknown system query option '$levels' ($levels is only allowed inside $expand)"],
    ['$filter =true', 'ODATA_PARSE_UNKNOWN_OPTION', "unknown system query option '$filter '"],
    ['$count', 'ODATA_PARSE_OPTION_VALUE', '$count: a value is required ($count=…)'],
    ['$top=-1', 'ODATA_PARSE_OPTION_VALUE', "$top: expected a non-negative integer but found '-1' at position 0"],
    ['$top=1.5', 'ODATA_PARSE_OPTION_VALUE', "$top: expected a non-negative integer but found '1.5' at position 0"],
    ['$skip=abc', 'ODATA_PARSE_OPTION_VALUE', "$skip: expected a non-negative integer but found 'abc' at position 0"],
    ['$top=', 'ODATA_PARSE_OPTION_VALUE', "$top: expected a non-negative integer but found '' at position 0"],
    ['$top=99999999999999999999', 'ODATA_PARSE_OPTION_VALUE', '$top: value exceeds 9007199254740991 at position 0'],
    ['$count=yes', 'ODATA_PARSE_OPTION_VALUE', "$count: expected true or false but found 'yes' at position 0"],
    ['$filter=%zz', 'ODATA_PARSE_ENCODING', "$filter: malformed percent-encoding (expected '%' and two hex digits) at position 0"],
    ['$filter=a%2', 'ODATA_PARSE_ENCODING', "$filter: malformed percent-encoding (expected '%' and two hex digits) at position 1"],
    ['$filter=%E0%A4', 'ODATA_PARSE_ENCODING', '$filter: invalid UTF-8 at position 3'],
    ['$filter=%C0%AF', 'ODATA_PARSE_ENCODING', '$filter: invalid UTF-8 at position 0'],
    ['$filter=%ED%A0%80', 'ODATA_PARSE_ENCODING', '$filter: invalid UTF-8 at position 0'],
    ['$filter=%FF', 'ODATA_PARSE_ENCODING', '$filter: invalid UTF-8 at position 0'],
    ['%zz=1', 'ODATA_PARSE_ENCODING', "query option name: malformed percent-encoding (expected '%' and two hex digits) at position 0"],
    ['$search=#1', 'ODATA_PARSE_SYNTAX', "query: '#' must be percent-encoded (%23) at position 8"],
    ['$filter=(a', 'ODATA_PARSE_SYNTAX', "$filter: expected ')' but found end of input at position 2"],
  ])('%s → %s', (raw, code, message) => {
    expect(errorOf(() => parseQueryString(raw))).toMatchObject({ code, message });
  });

  it('optionally accepts duplicates (last wins) and restricts custom option names', () => {
    expect(parseQueryString('$format=json&$Format=xml', { allowDuplicateOptions: true }).format).toBe('xml');
    expect(errorOf(() => parseQueryString('apikey=1&tpo=5', { customOptionNames: ['apikey'] }))).toMatchObject({
      code: 'ODATA_PARSE_UNKNOWN_OPTION',
      message: "unknown query option 'tpo'",
    });
  });
});

describe('parseQueryString: values', () => {
  it('keeps "+" literal and decodes %2B (DateTimeOffset offsets from Power Query)', () => {
    const q = parseQueryString('$filter=Created%20ge%202024-01-15T12:00:00%2B01:00%20and%20Ended%20lt%202024-01-16T00:00:00+05:30');
    expect(sexpr(q.filter!)).toBe('(and (ge Created DateTimeOffset:2024-01-15T12:00:00+01:00) (lt Ended DateTimeOffset:2024-01-16T00:00:00+05:30))');
  });

  it('decodes UTF-8 and string escapes', () => {
    const q = parseQueryString("$filter=Name%20eq%20'Caf%C3%A9%20O''Neil%27%27s'");
    expect(q.filter).toMatchObject({ right: { type: 'Edm.String', value: "Café O'Neil's" } });
  });

  it.each([
    ['$top=0&$skip=20&$count=TRUE', { top: 0, skip: 20, count: true }],
    ['$count=false&$index=-3', { count: false, index: -3 }],
    ['$format=application/json;odata.metadata=minimal', { format: 'application/json;odata.metadata=minimal' }],
    ['$skiptoken=Start@Next_Chunk:From?=Here!&$deltatoken=abc', { skiptoken: 'Start@Next_Chunk:From?=Here!', deltatoken: 'abc' }],
    ['$schemaversion=1.42.2&$id=http://host/Tasks(1)', { schemaversion: '1.42.2', id: 'http://host/Tasks(1)' }],
  ])('%s', (raw, expected) => {
    expect(parseQueryString(raw)).toMatchObject(expected);
  });

  it('parses $orderby, $compute and $search', () => {
    const q = parseQueryString('$orderby=Name%20desc,Price,Agent/Name%09ASC&$compute=Amount%20mul%202%20as%20Double&$search=blue%20OR%20green');
    expect(q.orderby!.map((o) => `${sexpr(o.expr)} ${o.direction}`)).toEqual(['Name desc', 'Price asc', 'Agent/Name asc']);
    expect(q.compute!.map((c) => `${sexpr(c.expr)} as ${c.alias}`)).toEqual(['(mul Amount 2) as Double']);
    expect(searchSexpr(q.search!)).toBe('(OR blue green)');
  });

  it('parses aliases eagerly but reports a broken one only through its entry', () => {
    const q = parseQueryString("$filter=Name eq @p and Price gt @q&@p='x'&@q=(1");
    expect(q.aliases.p).toEqual({ kind: 'aliasExpr', text: "'x'", expr: { kind: 'literal', type: 'Edm.String', value: 'x', pos: 0 } });
    expect(q.aliases.q).toMatchObject({ kind: 'aliasError', text: '(1' });
    expect((q.aliases.q as { error: Error }).error.message).toBe("@q: expected ')' but found end of input at position 2");
  });
});

describe('parseQueryString: $select and $expand', () => {
  it('parses $select items', () => {
    const q = parseQueryString('$select=*,Name,Address/Street,Ns.*,@Core.Messages,Ns.Fn(a,b),Tags($filter=$this%20ne%20%27x%27;$top=2)');
    expect(q.select).toEqual([
      { kind: 'selectStar', pos: 0 },
      { kind: 'selectPath', path: ['Name'], pos: 2 },
      { kind: 'selectPath', path: ['Address', 'Street'], pos: 7 },
      { kind: 'selectAllOperations', namespace: 'Ns', pos: 22 },
      { kind: 'selectPath', path: ['@Core.Messages'], pos: 27 },
      { kind: 'selectPath', path: ['Ns.Fn'], parameterNames: ['a', 'b'], pos: 42 },
      expect.objectContaining({ kind: 'selectPath', path: ['Tags'], options: expect.objectContaining({ top: 2 }) }),
    ]);
  });

  it('parses $expand items with nested options', () => {
    const value =
      'Items($filter=Qty gt 1;$orderby=Qty desc;$top=5;$skip=1;$count=true;$levels=max;$select=A;$expand=B/$ref;@x=1),Contact/$ref,Tags/$count($search=red),*($levels=2),$value,Address/*';
    const q = parseQueryString(`$expand=${value}`);
    const [items, contact, tags, star, dollarValue, addressStar] = q.expand!;
    expect(items).toMatchObject({ kind: 'expandPath', path: ['Items'], mode: 'entities', options: { top: 5, skip: 1, count: true, levels: 'max' } });
    expect(sexpr((items as unknown as { options: { filter: never } }).options.filter)).toBe('(gt Qty 1)');
    expect(items).toMatchObject({ options: { aliases: { x: { kind: 'literal', value: 1 } }, expand: [{ path: ['B'], mode: 'ref' }] } });
    expect(contact).toEqual({ kind: 'expandPath', path: ['Contact'], mode: 'ref', options: {}, pos: value.indexOf('Contact') });
    expect(tags).toMatchObject({ kind: 'expandPath', path: ['Tags'], mode: 'count', options: { search: { kind: 'searchTerm', term: 'red' } } });
    expect(star).toEqual({ kind: 'expandStar', path: [], ref: false, levels: 2, pos: value.indexOf('*(') });
    expect(dollarValue).toEqual({ kind: 'expandValue', pos: value.indexOf('$value') });
    expect(addressStar).toEqual({ kind: 'expandStar', path: ['Address'], ref: false, pos: value.indexOf('Address') });
  });

  it.each([
    ['$expand=Customer/$ref($select=Name)', "$expand: '$select' is not allowed here at position 14"],
    ['$expand=Items/$count($top=1)', "$expand: '$top' is not allowed here at position 13"],
    ['$expand=Category($levels=04)', "$expand: expected a positive integer without leading zeros or 'max' for $levels but found '04' at position 17"],
    ['$expand=Items($top=1;$top=2)', '$expand: nested option \'$top\' is given more than once at position 13'],
    ['$expand=Items($format=json)', "$expand: '$format' is not allowed here at position 6"],
    ['$expand=Items(', '$expand: expected a query option but found end of input at position 6'],
    ['$select=A,', '$select: expected a property name but found end of input at position 2'],
    ['$expand=Manager($search=gr(een)', "$expand: unexpected '(' at position 18"],
  ])('%s → %s', (raw, message) => {
    expect(errorOf(() => parseQueryString(raw)).message).toBe(message);
  });

  it('lets a percent-encoded ";" belong to a nested $search word', () => {
    const q = parseQueryString('$expand=Manager($search=a%3Bb;$top=1)');
    expect(q.expand![0]).toMatchObject({ options: { search: { kind: 'searchTerm', term: 'a;b' }, top: 1 } });
  });
});
