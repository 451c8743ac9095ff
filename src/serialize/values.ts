// database value × Edm type → JSON text of an OData primitive (exact Int64/Decimal, ISO 8601 instants in UTC).
import type { EdmPrimitive } from '../model/edm';

export interface ValueFormat {
  /** IEEE754Compatible=true: Int64 and Decimal are written as JSON strings. */
  readonly ieee754Compatible: boolean;
}

/**
 * '2024-01-15 12:00:00.5+00' (PostgreSQL text) or '2024-01-15T12:00:00.5+00:00' (PostgreSQL JSON)
 * → '2024-01-15T12:00:00.5Z'.
 */
export function toIsoInstant(value: string | Date): string {
  if (value instanceof Date) return value.toISOString();
  let s = value.replace(' ', 'T');
  s = s.replace(/([+-]00(?::?00)?)$/, 'Z');
  // Offsets other than UTC only appear when a session time zone is not UTC; keep them ISO-shaped.
  s = s.replace(/([+-]\d\d)$/, '$1:00');
  return s;
}

function numberText(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '"NaN"';
    if (value === Infinity) return '"INF"';
    if (value === -Infinity) return '"-INF"';
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  const s = String(value);
  if (s === 'NaN') return '"NaN"';
  if (s === 'Infinity') return '"INF"';
  if (s === '-Infinity') return '"-INF"';
  return s;
}

/** formatValue('12.50', 'Edm.Decimal', { ieee754Compatible: false }) → '12.50' */
export function formatValue(value: unknown, type: EdmPrimitive, format: ValueFormat): string {
  if (value === null || value === undefined) return 'null';
  switch (type) {
    case 'Edm.String':
    case 'Edm.Guid':
    case 'Edm.Duration':
    case 'Edm.TimeOfDay':
      return JSON.stringify(typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value));
    case 'Edm.Boolean':
      return value === true || value === 't' || value === 'true' ? 'true' : 'false';
    case 'Edm.Int16':
    case 'Edm.Int32':
    case 'Edm.Double':
      return numberText(typeof value === 'string' ? Number(value) : value);
    case 'Edm.Int64':
    case 'Edm.Decimal': {
      const text = numberText(value);
      if (text.startsWith('"')) return text;
      return format.ieee754Compatible ? JSON.stringify(text) : text;
    }
    case 'Edm.DateTimeOffset':
      return JSON.stringify(toIsoInstant(value as string | Date));
    case 'Edm.Date':
      return JSON.stringify(value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10));
  }
}

/** The raw (text/plain) form used by /$value. */
export function formatRawValue(value: unknown, type: EdmPrimitive): string {
  if (value === null || value === undefined) return '';
  if (type === 'Edm.DateTimeOffset') return toIsoInstant(value as string | Date);
  if (type === 'Edm.Date') return String(value).slice(0, 10);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
