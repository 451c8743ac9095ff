import { formatMicros, isCalendarDate, parseTimestamp } from '../../../src/ingest/time';

describe('parseTimestamp', () => {
  it.each([
    ['2025-03-01T09:30:00Z', 1740821400000000n, '2025-03-01T09:30:00.000000Z'],
    ['2025-03-01T10:30:00.5+01:00', 1740821400500000n, '2025-03-01T09:30:00.500000Z'],
    ['2025-03-01T04:30-0500', 1740821400000000n, '2025-03-01T09:30:00.000000Z'],
    ['2025-03-01t09:30:00.123456789z', 1740821400123456n, '2025-03-01T09:30:00.123456Z'],
    ['2025-03-01 09:30:00,25+00', 1740821400250000n, '2025-03-01T09:30:00.250000Z'],
    ['1969-12-31T23:59:59.999999Z', -1n, '1969-12-31T23:59:59.999999Z'],
    ['2024-02-29T00:00:00+14:00', 1709114400000000n, '2024-02-28T10:00:00.000000Z'],
    ['0001-01-01T00:00:00Z', -62135596800000000n, '0001-01-01T00:00:00.000000Z'],
  ])('%s → %s µs', (text, micros, iso) => {
    expect(parseTimestamp(text)).toEqual({ micros, iso });
  });

  it.each([
    ['2025-03-01T09:30:00', 'must include a UTC offset (Z or ±hh:mm)'],
    ['2025-03-01T09:30', 'must include a UTC offset (Z or ±hh:mm)'],
    ['2025-03-01', 'must be an ISO 8601 date-time with offset, e.g. 2025-03-01T09:30:00Z'],
    ['1740821400', 'must be an ISO 8601 date-time with offset, e.g. 2025-03-01T09:30:00Z'],
    ['2025-13-01T00:00:00Z', 'is not a valid calendar date'],
    ['2023-02-29T00:00:00Z', 'is not a valid calendar date'],
    ['2025-03-01T23:60:00Z', 'is not a valid time of day'],
    ['2025-03-01T23:59:60Z', 'is not a valid time of day'],
    ['2025-03-01T00:00:00+14:30', 'has an offset outside ±14:00'],
    ['0001-01-01T00:00:00+01:00', 'is outside the years 0001–9999 (in UTC)'],
    ['9999-12-31T23:59:59-01:00', 'is outside the years 0001–9999 (in UTC)'],
  ])('%s → %s', (text, message) => {
    expect(parseTimestamp(text)).toBe(message);
  });

  it('formatMicros is the inverse for every instant it produces', () => {
    for (const micros of [0n, 1n, -1n, 951782400000000n, 253402300799999999n]) {
      const parsed = parseTimestamp(formatMicros(micros));
      expect(parsed).toEqual({ micros, iso: formatMicros(micros) });
    }
  });
});

describe('isCalendarDate', () => {
  it.each([
    ['2024-02-29', true],
    ['2023-02-29', false],
    ['2025-04-31', false],
    ['2025-4-01', false],
    ['0000-01-01', false],
    ['9999-12-31', true],
  ])('%s → %s', (text, ok) => {
    expect(isCalendarDate(text)).toBe(ok);
  });
});
