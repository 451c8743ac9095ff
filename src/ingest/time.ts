// ISO 8601 text with an offset → Instant { micros, iso }: one exact instant that TypeScript and PostgreSQL order alike.

/** An instant in UTC with microsecond precision (PostgreSQL's timestamptz resolution). */
export interface Instant {
  /** Microseconds since 1970-01-01T00:00:00Z. */
  readonly micros: bigint;
  /** Canonical UTC text, e.g. '2025-03-01T09:30:00.000000Z'; what is bound for timestamptz columns. */
  readonly iso: string;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const MICROS_PER_DAY = 86_400_000_000n;

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function validDate(year: number, month: number, day: number): boolean {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

const pad = (n: number | bigint, width: number) => String(n).padStart(width, '0');

/** Microseconds since the epoch → '2025-03-01T09:30:00.000000Z'. */
export function formatMicros(micros: bigint): string {
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const { year, month, day } = civilFromDays(Number(days));
  const seconds = rest / 1_000_000n;
  const fraction = rest % 1_000_000n;
  const hh = seconds / 3600n;
  const mm = (seconds % 3600n) / 60n;
  const ss = seconds % 60n;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${pad(fraction, 6)}Z`;
}

/**
 * Parses an ISO 8601 date-time that carries an offset; digits beyond microseconds are truncated.
 * parseTimestamp('2025-03-01T10:30:00.5+01:00') → { micros: 1740821400500000n, iso: '2025-03-01T09:30:00.500000Z' };
 * parseTimestamp('2025-03-01T10:30:00') → 'must include a UTC offset (Z or ±hh:mm)'.
 */
export function parseTimestamp(text: string): Instant | string {
  const m = TIMESTAMP.exec(text);
  if (m === null) {
    return /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?$/.test(text)
      ? 'must include a UTC offset (Z or ±hh:mm)'
      : 'must be an ISO 8601 date-time with offset, e.g. 2025-03-01T09:30:00Z';
  }
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (!validDate(year, month, day)) return 'is not a valid calendar date';
  if (hour > 23 || minute > 59 || second > 59) return 'is not a valid time of day';
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (om > 59 || oh * 60 + om > 14 * 60) return 'has an offset outside ±14:00';
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const fractionMicros = frac === undefined ? 0n : BigInt(frac.padEnd(6, '0').slice(0, 6));
  const seconds = BigInt(daysFromCivil(year, month, day)) * 86_400n + BigInt(hour * 3600 + minute * 60 + second - offsetMinutes * 60);
  const micros = seconds * 1_000_000n + fractionMicros;
  // Bounds of Edm.DateTimeOffset in UTC: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z.
  if (micros < MIN_MICROS || micros > MAX_MICROS) return 'is outside the years 0001–9999 (in UTC)';
  return { micros, iso: formatMicros(micros) };
}

const MIN_MICROS = BigInt(daysFromCivil(1, 1, 1)) * 86_400_000_000n;
const MAX_MICROS = BigInt(daysFromCivil(10000, 1, 1)) * 86_400_000_000n - 1n;

/** 'YYYY-MM-DD' with a real calendar day: isCalendarDate('2024-02-29') → true, ('2023-02-29') → false. */
export function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  return m !== null && validDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** Instant of a JavaScript Date (millisecond precision). */
export function instantOf(date: Date): Instant {
  const micros = BigInt(date.getTime()) * 1000n;
  return { micros, iso: formatMicros(micros) };
}
