// lexer: decoded text → tokens; whole-text URL literals and payload values.

import { Lexer, isODataIdentifier } from '../../../src/odata/lexer';
import { literalOf } from './abnf-harness';
import { errorOf } from './sexpr';

const kinds = (text: string): string[] => {
  const lx = new Lexer(text, '$filter');
  const out: string[] = [];
  for (let t = lx.next(); t.kind !== 'eof'; t = lx.next()) out.push(`${t.kind}:${t.kind === 'literal' ? t.literal?.type : t.text}`);
  return out;
};

describe('Lexer', () => {
  it.each([
    ["Name eq 'x'", ['name:Name', 'name:eq', 'literal:Edm.String']],
    ['Ns.Type/$count', ['name:Ns.Type', 'punct:/', 'dollar:$count']],
    ['@p,@Core.Messages#q', ['at:p', 'punct:,', 'at:Core.Messages']],
    ['Ns.*', ['name:Ns', 'punct:.', 'punct:*']],
    ['-5 - x', ['literal:Edm.Int32', 'punct:-', 'name:x']],
    ['[{"a":1}]', ['punct:[', 'punct:{', 'jsonString:a', 'punct::', 'literal:Edm.Int32', 'punct:}', 'punct:]']],
    ['Ünïcödé_1 eq 1', ['name:Ünïcödé_1', 'name:eq', 'literal:Edm.Int32']],
    ['any(x:x)', ['name:any', 'punct:(', 'name:x', 'punct::', 'name:x', 'punct:)']],
  ])('%s', (text, expected) => {
    expect(kinds(text)).toEqual(expected);
  });

  it('rejects identifiers longer than 128 characters', () => {
    expect(() => kinds('a'.repeat(128))).not.toThrow();
    expect(errorOf(() => kinds('a'.repeat(129))).message).toBe('$filter: identifier longer than 128 characters at position 0');
  });
});

describe('one whole literal (URL form)', () => {
  it.each([
    ['true', { type: 'Edm.Boolean', value: true }],
    ["'O''Neil'", { type: 'Edm.String', value: "O'Neil" }],
    ['2012-09-03T23:59+01:00', { type: 'Edm.DateTimeOffset', value: '2012-09-03T23:59+01:00' }],
    ["Sales.Pattern'Solid,Yellow,+42'", { type: 'enum', typeName: 'Sales.Pattern', members: ['Solid', 'Yellow', '+42'] }],
    ["geometry'SRID=0;MultiPolygon(((1 1,1 1),(1 1,2 2,3 3,1 1)))'", { type: 'Edm.Geometry' }],
    ["binary''", { type: 'Edm.Binary', value: '' }],
  ])('%s', (text, expected) => {
    expect(literalOf(text)).toMatchObject(expected);
  });

  it.each(["binary'Zm9v!'", '42.', '.1', "geography'SRID=0;Point(1)'", 'x', '1 '])('rejects %j', (text) => {
    expect(errorOf(() => literalOf(text)).code).toBe('ODATA_PARSE_SYNTAX');
  });
});

describe('isODataIdentifier', () => {
  it.each([
    ['__ID', true],
    ['0time', false],
    ['No.Dot', false],
    ['', false],
  ])('isODataIdentifier(%j) → %s', (text, expected) => {
    expect(isODataIdentifier(text)).toBe(expected);
  });
});
