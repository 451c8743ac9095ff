// concat: every sequence reads the same input (written once as a CTE); their results become one
// UNION ALL whose shape column says which sequence, and which of its shapes, each row comes from.
import type { EdmPrimitive } from '../model/edm';
import { odataNotImplemented } from '../errors';
import type { ConcatTransformation } from './ast';
import { isNumeric } from './bind-expr';
import type { ApplyExpr, ApplySelect, BoundExpr, BoundType } from './bound';
import { close, derivedRef, finish, keyOf, relationFrom, type Names, type SequenceBinder, type State } from './bind-apply-state';

function unifyTypes(a: BoundType, b: BoundType, key: string, pos: number): BoundType {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  if (isNumeric(a) && isNumeric(b)) return a === 'Edm.Double' || b === 'Edm.Double' ? 'Edm.Double' : 'Edm.Decimal';
  throw odataNotImplemented(`concat (position ${pos}): '${key}' is ${a} in one sequence and ${b} in another; use different aliases`);
}

export function bindConcat(names: Names, s: State, t: ConcatTransformation, bindSequence: SequenceBinder): State {
  // Every sequence reads the same input: write it once.
  const input = close(names, s).state;
  const branches = t.sequences.map((seq) => finish(bindSequence(names, seq, input)));
  const union: { key: string; name: string; path: readonly string[]; type: BoundType; dynamic: boolean; sqlName: string }[] = [];
  for (const b of branches) {
    for (const c of b.columns) {
      const key = keyOf(c.path, c.name);
      const i = union.findIndex((u) => u.key === key);
      if (i < 0) union.push({ key, name: c.name, path: c.path, type: c.type, dynamic: c.dynamic, sqlName: names.column('u') });
      else {
        const u = union[i] as (typeof union)[number];
        union[i] = { ...u, type: unifyTypes(u.type, c.type, key, t.pos), dynamic: u.dynamic || c.dynamic };
      }
    }
  }
  const name = names.relation();
  const shapeColumn = names.column('h');
  const rowColumn = names.column('r');
  const members: string[][] = [];
  const parts = branches.map((b): ApplySelect => {
    const offset = members.length;
    if (b.shape === undefined) members.push(b.columns.map((c) => keyOf(c.path, c.name)));
    else members.push(...b.shape.members.map((m) => [...m]));
    const offsetLiteral: BoundExpr = { kind: 'literal', type: 'Edm.Int32', value: offset };
    const shape: BoundExpr =
      b.shape === undefined || offset === 0
        ? (b.shape?.expr ?? offsetLiteral)
        : { kind: 'arithmetic', op: 'add', left: b.shape.expr, right: offsetLiteral, type: 'Edm.Int32' };
    const columns = union.map((u) => {
      const c = b.columns.find((x) => keyOf(x.path, x.name) === u.key);
      const type = (u.type === 'null' ? 'Edm.String' : u.type) as EdmPrimitive;
      const expr: BoundExpr =
        c === undefined
          ? { kind: 'cast', operand: { kind: 'literal', type: 'null', value: null }, type }
          : c.type === u.type
            ? c.expr
            : { kind: 'cast', operand: c.expr, type };
      return { sqlName: u.sqlName, expr: expr as ApplyExpr };
    });
    return {
      kind: 'select',
      name: '',
      from: b.from,
      star: false,
      columns: [{ sqlName: shapeColumn, expr: shape }, { sqlName: rowColumn, expr: { kind: 'rowNumber', order: b.order, type: 'Edm.Int64' } }, ...columns],
      where: b.where,
      orderBy: [],
    };
  });
  names.ctes.push({ kind: 'union', name, parts });
  const shapeExpr = derivedRef(name, shapeColumn, 'Edm.Int32');
  return {
    kind: 'rows',
    alias: name,
    from: relationFrom(name),
    columns: union.map((u) => ({ name: u.name, path: u.path, type: u.type, dynamic: u.dynamic, expr: derivedRef(name, u.sqlName, u.type) })),
    where: [],
    order: [
      { expr: shapeExpr, desc: false },
      { expr: derivedRef(name, rowColumn, 'Edm.Int64'), desc: false },
    ],
    shape: { expr: shapeExpr, members },
  };
}
