// Transformations that keep the rows' structure and are bound both in the top-level sequence and in
// groupby's partitioned sequences: compute, and topcount & co. (per group when given a partition).
import type { ComputeItem, Expr, TopBottomTransformation } from './ast';
import { odataInvalid, odataNotImplemented, odataTypeMismatch } from '../errors';
import { bindExpr, isNumeric, type Scope } from './bind-expr';
import type { ApplyExpr, ApplyOrder, BoundExpr, BoundType } from './bound';
import { bindIn, checkAlias, close, distinctOrder, scopeOf, tieBreak, visibleNames, type Names, type RowColumn, type State } from './bind-apply-state';

export function bindCompute(names: Names, s: State, items: readonly ComputeItem[]): State {
  let state = s;
  for (const item of items) {
    checkAlias(item.alias, visibleNames(state), item.pos, 'compute');
    const expr = bindIn(scopeOf(names, state), item.expr);
    if (state.kind === 'entity') {
      state = { ...state, computed: [...state.computed, { name: item.alias, expr, type: expr.type }] };
    } else {
      const column: RowColumn = { name: item.alias, path: [], type: expr.type, dynamic: true, expr };
      const shape = state.shape === undefined ? undefined : { ...state.shape, members: state.shape.members.map((m) => [...m, item.alias]) };
      state = { ...state, columns: [...state.columns, column], ...(shape ? { shape } : {}) };
    }
  }
  return state;
}

/** The first argument of topcount & co.: a number known before the query runs. */
function constantAmount(scope: Scope, e: Expr, what: string): { text: string; value: number } {
  let bound: BoundExpr;
  try {
    bound = bindExpr(e, scope);
  } catch {
    throw odataNotImplemented(`The first argument of ${what}() must be a number literal (position ${e.pos}); expressions over the collection are not supported`);
  }
  if (bound.kind !== 'literal' || !isNumeric(bound.type) || bound.value === null) {
    throw odataNotImplemented(`The first argument of ${what}() must be a number literal (position ${e.pos}); expressions over the collection are not supported`);
  }
  const text = String(bound.value);
  return { text, value: Number(text) };
}

/** Keeps the rows whose row number (in `order`, per partition) passes `op` against n. */
export function rowNumberCut(names: Names, s: State, order: readonly ApplyOrder[], partition: readonly BoundExpr[], op: 'le' | 'gt', n: number): State {
  const { state, extra } = close(names, s, {
    carry: order,
    extra: [{ prefix: 'w', expr: { kind: 'rowNumber', order, partition, type: 'Edm.Int64' }, type: 'Edm.Int64' }],
  });
  const rn = extra[0] as BoundExpr;
  return { ...state, where: [{ kind: 'comparison', op, left: rn, right: { kind: 'literal', type: 'Edm.Int64', value: String(n) }, type: 'Edm.Boolean' }] };
}

/**
 * topcount & co. over the whole input, or per group when `partition` holds the grouping values
 * (groupby((a),topcount(2,x))): then window functions partitioned by them instead of LIMIT.
 */
export function bindTopBottom(names: Names, s: State, t: TopBottomTransformation, partition?: readonly BoundExpr[]): State {
  const scope = scopeOf(names, s);
  const amount = constantAmount(scope, t.amount, t.kind);
  const e = bindIn(scope, t.expr);
  const top = t.kind.startsWith('top');
  const order = distinctOrder([{ expr: e, desc: top, nullsLast: true }, ...tieBreak(s)]);
  if (t.kind === 'topcount' || t.kind === 'bottomcount') {
    if (!Number.isSafeInteger(amount.value) || amount.value < 0) {
      throw odataInvalid(`${t.kind}() needs a non-negative integer count, got ${amount.text} (position ${t.amount.pos})`);
    }
    if (e.type === 'null' || e.type === 'Edm.Boolean') throw odataTypeMismatch(`${t.kind}() needs an ordered value, not ${e.type} (position ${t.expr.pos})`);
    if (partition !== undefined) return rowNumberCut(names, s, order, partition, 'le', amount.value);
    return close(names, s, { orderBy: order, carry: order, limit: amount.value }).state;
  }
  if (!isNumeric(e.type)) throw odataTypeMismatch(`${t.kind}() needs a numeric expression, not ${e.type} (position ${t.expr.pos})`);
  const percent = t.kind === 'toppercent' || t.kind === 'bottompercent';
  if (percent && !(amount.value > 0 && amount.value <= 100)) {
    throw odataInvalid(`${t.kind}() needs a percentage above 0 and at most 100, got ${amount.text} (position ${t.amount.pos})`);
  }
  const sumType: BoundType = e.type === 'Edm.Double' ? 'Edm.Double' : 'Edm.Decimal';
  const { state, extra } = close(names, s, {
    carry: order,
    extra: [
      { prefix: 'w', expr: { kind: 'runningSum', arg: e, order, ...(partition ? { partition } : {}), type: sumType }, type: sumType },
      ...(percent ? [{ prefix: 'w', expr: { kind: 'totalSum', arg: e, ...(partition ? { partition } : {}), type: sumType } as const, type: sumType }] : []),
    ],
  });
  const [running, total] = extra as [BoundExpr, BoundExpr | undefined];
  const cutoff: ApplyExpr = {
    kind: 'cutoff',
    running,
    ...(total ? { total } : {}),
    threshold: amount.text,
    op: !percent && amount.value < 0 ? 'gt' : 'lt',
    type: 'Edm.Boolean',
  };
  return { ...state, where: [cutoff] };
}
