// The total order of an entity read: the client's keys, then the key properties it lacks; which keys are never null.
import type { BoundExpr, BoundOrder, OutputColumn, TableRef } from './bound';

function sameColumn(a: BoundExpr, b: BoundExpr): boolean {
  return a.kind === 'column' && b.kind === 'column' && a.alias === b.alias && a.column === b.column;
}

/**
 * Appends the key properties the order lacks, in the direction of the last order item, so that
 * `timestamp desc` becomes `timestamp desc, id desc`: one direction lets an index serve the order
 * and lets the next page's condition be a row comparison.
 */
export function withKeyTieBreak(orderby: readonly BoundOrder[], keys: readonly OutputColumn[]): BoundOrder[] {
  const result = [...orderby];
  const desc = orderby[orderby.length - 1]?.desc ?? false;
  for (const key of keys) {
    if (!result.some((o) => sameColumn(o.expr, key.expr))) result.push({ expr: key.expr, desc });
  }
  return result;
}

/** Whether `e` is a column of `root` that the model declares not nullable (keys always are). */
export function isNotNullColumn(e: BoundExpr, root: TableRef): boolean {
  if (e.kind !== 'column' || e.alias !== root.alias) return false;
  const property = root.set.properties.find((p) => p.column === e.column);
  return property !== undefined && !property.nullable;
}
