import { taskfeedModel, findEntitySet } from '../../../src/model/entity-model';
import type { BoundExpr, BoundOrder } from '../../../src/odata/bound';
import { decodeKeysetToken, decodeOffsetToken, encodeSkipToken } from '../../../src/odata/skiptoken';

const root = { alias: 't0', set: findEntitySet(taskfeedModel, 'Analytics')! };
const column = (name: string, type: BoundExpr['type'] & string): BoundExpr => ({ kind: 'column', alias: 't0', column: name, type } as BoundExpr);
// intent may be null; id is the key and never is.
const order: BoundOrder[] = [
  { expr: column('intent', 'Edm.String'), desc: false },
  { expr: column('execution_time', 'Edm.Int32'), desc: false },
  { expr: column('id', 'Edm.String'), desc: false },
];
const raw = (body: string) => Buffer.from(body).toString('base64url');

describe('skiptoken', () => {
  it('round-trips keyset values and offsets', () => {
    expect(decodeKeysetToken(encodeSkipToken({ kind: 'keyset', values: [null, 3, 'x'] }), order, root)).toEqual([null, 3, 'x']);
    expect(decodeOffsetToken(encodeSkipToken({ kind: 'offset', offset: 2000 }))).toBe(2000);
  });

  it.each([
    ['garbage', '%%%'],
    ['not json', raw('nope')],
    ['wrong arity', encodeSkipToken({ kind: 'keyset', values: ['a'] })],
    ['an offset where a keyset is due', encodeSkipToken({ kind: 'offset', offset: 3 })],
    ['object values', raw('{"k":[{},1,"a"]}')],
    ['a string for a number', raw('{"k":["a","b","c"]}')],
    ['null for the key, which is never null', raw('{"k":["a",1,null]}')],
  ])('rejects a keyset token with %s (400)', (_name, text) => {
    expect(() => decodeKeysetToken(text, order, root)).toThrow(expect.objectContaining({ status: 400, code: 'ODATA_PARSE_OPTION_VALUE' }));
  });

  it.each([
    ['negative offset', raw('{"o":-1}')],
    ['fractional offset', raw('{"o":1.5}')],
    ['a keyset where an offset is due', raw('{"k":[1]}')],
  ])('rejects an offset token with %s (400)', (_name, text) => {
    expect(() => decodeOffsetToken(text)).toThrow(expect.objectContaining({ status: 400, code: 'ODATA_PARSE_OPTION_VALUE' }));
  });
});
