// An entity set's properties and keys as output columns of a table reference.
import { findProperty } from '../model/entity-model';
import type { OutputColumn, TableRef } from './bound';

export function propertyColumns(ref: TableRef): OutputColumn[] {
  return ref.set.properties.map((p) => ({
    name: p.name,
    expr: { kind: 'column', alias: ref.alias, column: p.column, type: p.type },
    type: p.type,
  }));
}

export function keyColumns(ref: TableRef): OutputColumn[] {
  return ref.set.key.map((name) => {
    const p = findProperty(ref.set, name);
    if (p === undefined) throw new Error(`model: key ${name} of ${ref.set.name} is not a property`);
    return { name: p.name, expr: { kind: 'column', alias: ref.alias, column: p.column, type: p.type }, type: p.type };
  });
}
