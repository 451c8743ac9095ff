// percent-decode: %XX → UTF-8 text (strict), '+' kept, per-character encoded mask.

import { percentDecode, percentDecodeWithMask } from '../../../src/odata/percent-decode';
import { errorOf } from './sexpr';

describe('percentDecode', () => {
  it.each([
    ['plain', 'plain'],
    ['a+b', 'a+b'],
    ['a%2Bb%20c', 'a+b c'],
    ['%e2%82%ac', '€'],
    ['%F0%9F%98%80', '😀'],
    ['Caf%C3%A9', 'Café'],
    ['café', 'café'],
    ['%27%27', "''"],
  ])('%s → %s', (raw, expected) => {
    expect(percentDecode(raw, '$filter')).toBe(expected);
  });

  it.each([
    ['%zz', "$filter: malformed percent-encoding (expected '%' and two hex digits) at position 0"],
    ['abc%', "$filter: malformed percent-encoding (expected '%' and two hex digits) at position 3"],
    ['%E0%A4', '$filter: invalid UTF-8 at position 3'],
    ['%E0%A4x', '$filter: invalid UTF-8 at position 6'],
    ['%C0%80', '$filter: invalid UTF-8 at position 0'],
    ['%ED%B0%80', '$filter: invalid UTF-8 at position 0'],
    ['%F4%90%80%80', '$filter: invalid UTF-8 at position 0'],
    ['%80', '$filter: invalid UTF-8 at position 0'],
    ['x%FE', '$filter: invalid UTF-8 at position 1'],
    ['\ud800', '$filter: unpaired surrogate at position 0'],
  ])('%j → 400 %s', (raw, message) => {
    expect(errorOf(() => percentDecode(raw, '$filter'))).toEqual({ code: 'ODATA_PARSE_ENCODING', status: 400, message });
  });

  it('marks which characters were encoded', () => {
    const d = percentDecodeWithMask('a%3Bb;%C3%A9', '$search');
    expect(d.text).toBe('a;b;é');
    expect(Array.from(d.encoded!)).toEqual([0, 1, 0, 0, 1]);
    expect(percentDecodeWithMask('abc', 'x').encoded).toBeUndefined();
  });

  it('decodes long input quickly', () => {
    const raw = '%41'.repeat(300_000);
    const t0 = Date.now();
    expect(percentDecode(raw, 'x')).toHaveLength(300_000);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
