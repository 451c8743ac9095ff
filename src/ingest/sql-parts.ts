// Shared pieces of the ingestion's SQL: time order, column lists, and rows as one JSON parameter per table.
import { raw, sql, type Sql } from '../sql/fragment';

// Ties on time are broken by event id in byte order, so the order does not depend on the database's collation.
export const BY_TIME = 'occurred_at, event_id COLLATE "C"';
export const BY_TIME_DESC = 'occurred_at DESC, event_id COLLATE "C" DESC';

export type Columns = Readonly<Record<string, string>>;

export const names = (columns: Columns, prefix = '') => Object.keys(columns).map((c) => `${prefix}${c}`).join(', ');
const definitions = (columns: Columns) => Object.entries(columns).map(([c, t]) => `${c} ${t}`).join(', ');

/** A JSON parameter: json(rows) → `$n::json`. */
export const json = (value: unknown): Sql => sql`${JSON.stringify(value)}::json`;

/** json_to_recordset($n::json) AS alias(col type, …): a whole table's worth of rows in one parameter. */
export function recordset(rows: readonly object[], columns: Columns, alias: string): Sql {
  return sql`json_to_recordset(${json(rows)}) AS ${raw(`${alias}(${definitions(columns)})`)}`;
}

/** `a` is newer than `b` by (time, event id). */
export const newer = (aTime: string, aId: string, bTime: string, bId: string) =>
  `(${aTime} > ${bTime} OR (${aTime} = ${bTime} AND ${aId} COLLATE "C" > ${bId} COLLATE "C"))`;

/** `SET c = EXCLUDED.c` for every column but `keep`. */
export const updateAll = (columns: Columns, keep: readonly string[]) =>
  Object.keys(columns)
    .filter((c) => !keep.includes(c))
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(', ');
