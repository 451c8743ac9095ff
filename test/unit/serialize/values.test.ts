import { formatRawValue, formatValue, toIsoInstant } from '../../../src/serialize/values';

const plain = { ieee754Compatible: false };
const ieee = { ieee754Compatible: true };

describe('formatValue', () => {
  it.each([
    ['string', 'O\'Brien "x"', 'Edm.String', plain, '"O\'Brien \\"x\\""'],
    ['null', null, 'Edm.String', plain, 'null'],
    ['boolean', true, 'Edm.Boolean', plain, 'true'],
    ['int32', 42, 'Edm.Int32', plain, '42'],
    ['int64 keeps every digit', '9007199254740993', 'Edm.Int64', plain, '9007199254740993'],
    ['int64 as string with IEEE754Compatible', '9007199254740993', 'Edm.Int64', ieee, '"9007199254740993"'],
    ['decimal keeps scale', '12.50', 'Edm.Decimal', plain, '12.50'],
    ['decimal as string with IEEE754Compatible', '12.50', 'Edm.Decimal', ieee, '"12.50"'],
    ['double', 0.25, 'Edm.Double', plain, '0.25'],
    ['double NaN', Number.NaN, 'Edm.Double', plain, '"NaN"'],
    ['double infinity', Number.POSITIVE_INFINITY, 'Edm.Double', plain, '"INF"'],
    ['instant from PostgreSQL text', '2024-01-15 12:00:00.123456+00', 'Edm.DateTimeOffset', plain, '"2024-01-15T12:00:00.123456Z"'],
    ['instant from PostgreSQL JSON', '2024-01-15T12:00:00+00:00', 'Edm.DateTimeOffset', plain, '"2024-01-15T12:00:00Z"'],
    ['date', '2024-01-15', 'Edm.Date', plain, '"2024-01-15"'],
  ] as const)('%s', (_name, value, type, format, expected) => {
    expect(formatValue(value, type, format)).toBe(expected);
  });
});

describe('toIsoInstant / formatRawValue', () => {
  it('normalises offsets', () => {
    expect(toIsoInstant('2024-01-15 12:00:00+00')).toBe('2024-01-15T12:00:00Z');
    expect(toIsoInstant('2024-01-15 12:00:00+05')).toBe('2024-01-15T12:00:00+05:00');
  });
  it('writes raw values for /$value', () => {
    expect(formatRawValue('2024-01-15 12:00:00+00', 'Edm.DateTimeOffset')).toBe('2024-01-15T12:00:00Z');
    expect(formatRawValue(null, 'Edm.String')).toBe('');
    expect(formatRawValue(7, 'Edm.Int32')).toBe('7');
  });
});
