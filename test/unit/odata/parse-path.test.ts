// parse-path: resource path (percent-encoded) → ResourcePath with typed segments and positions.

import { parseResourcePath } from '../../../src/odata/parse-path';
import { errorOf } from './sexpr';

describe('parseResourcePath', () => {
  it.each([
    ['', { kind: 'serviceDocument' }],
    ['/', { kind: 'serviceDocument' }],
    ['$metadata', { kind: 'metadata' }],
    ['$batch', { kind: 'batch' }],
    ['$entity', { kind: 'entityById' }],
    ['$entity/Ns.Task', { kind: 'entityById', typeName: 'Ns.Task' }],
    ['Tasks', { kind: 'resource', segments: [{ kind: 'name', name: 'Tasks', pos: 0 }] }],
    ['Tasks/$count', { kind: 'resource', segments: [{ kind: 'name', name: 'Tasks', pos: 0 }, { kind: 'count', pos: 6 }] }],
    ["Tasks('a''b')", { kind: 'resource', segments: [{ kind: 'name', name: 'Tasks', key: [{ value: { kind: 'literal', type: 'Edm.String', value: "a'b", pos: 6 }, pos: 6 }], pos: 0 }] }],
    ['Tasks(42)', { kind: 'resource', segments: [{ kind: 'name', name: 'Tasks', key: [{ value: { kind: 'literal', type: 'Edm.Int32', value: 42, text: '42', pos: 6 }, pos: 6 }], pos: 0 }] }],
    ['Tasks(@k)', { kind: 'resource', segments: [{ kind: 'name', name: 'Tasks', key: [{ value: { kind: 'alias', name: 'k', pos: 6 }, pos: 6 }], pos: 0 }] }],
    [
      "Stats(Day=2024-01-15,Agent='x')/Agent/$ref",
      {
        kind: 'resource',
        segments: [
          {
            kind: 'name',
            name: 'Stats',
            key: [
              { name: 'Day', value: { kind: 'literal', type: 'Edm.Date', value: '2024-01-15', pos: 10 }, pos: 6 },
              { name: 'Agent', value: { kind: 'literal', type: 'Edm.String', value: 'x', pos: 27 }, pos: 21 },
            ],
            pos: 0,
          },
          { kind: 'name', name: 'Agent', pos: 32 },
          { kind: 'ref', pos: 38 },
        ],
      },
    ],
    ["Tasks('a%2Fb')/Title/$value", { kind: 'resource', segments: [{ kind: 'name', name: 'Tasks', key: [{ value: { value: 'a/b' } }] }, { kind: 'name', name: 'Title' }, { kind: 'value' }] }],
    ['Tasks%28%27x%27%29', { kind: 'resource', segments: [{ kind: 'name', name: 'Tasks', key: [{ value: { value: 'x' } }] }] }],
    ['Tasks/Ns.Special(1)', { kind: 'resource', segments: [{ name: 'Tasks' }, { name: 'Ns.Special', key: [{ value: { value: 1 } }] }] }],
  ])('%j', (path, expected) => {
    expect(parseResourcePath(path)).toMatchObject(expected);
  });

  it.each([
    ["Tasks('O%27Neil')", 'ODATA_PARSE_SYNTAX'],
    ["Tasks('a/b')", 'ODATA_PARSE_SYNTAX'],
    ['Tasks(ID=wrong)', 'ODATA_PARSE_SYNTAX'],
    ["Tasks(A=1;B='a')", 'ODATA_PARSE_SYNTAX'],
    ['Tasks/$count/x', 'ODATA_PARSE_SYNTAX'],
    ['Tasks/$ref/$count', 'ODATA_PARSE_SYNTAX'],
    ['Tasks(1)/Title/$value/x', 'ODATA_PARSE_SYNTAX'],
    ['$metadata/x', 'ODATA_PARSE_SYNTAX'],
    ['Tasks//x', 'ODATA_PARSE_SYNTAX'],
    ['Ns.Tasks', 'ODATA_PARSE_SYNTAX'],
    ['Tasks/1', 'ODATA_PARSE_SYNTAX'],
    ['Tasks(null)', 'ODATA_PARSE_SYNTAX'],
    ['Tasks%zz', 'ODATA_PARSE_ENCODING'],
    ['Fn()', 'ODATA_NOT_IMPLEMENTED'],
    ['$crossjoin(A,B)', 'ODATA_NOT_IMPLEMENTED'],
    ['Tasks/$filter(x)', 'ODATA_NOT_IMPLEMENTED'],
  ])('%s → %s', (path, code) => {
    expect(errorOf(() => parseResourcePath(path)).code).toBe(code);
  });

  it('reports positions in the whole path', () => {
    expect(errorOf(() => parseResourcePath('Tasks(1)/Items(ID=wrong)')).message).toBe(
      "resource path: expected a key value (a literal or @alias) but found 'wrong' at position 18",
    );
  });
});
