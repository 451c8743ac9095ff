// The $apply transformation sequence: one transformation after another, each reading the state the
// previous one left. filter, search, orderby, top and skip are bound here; compute and topcount & co.
// in bind-apply-rows.ts, groupby and aggregate in bind-apply-group.ts, concat in bind-apply-concat.ts.
// This module is their dispatcher: groupby and concat nest sequences and receive bindSequence as a
// parameter, so the imports run one way.
import { findNavigation, findProperty } from '../model/entity-model';
import { assertNever, odataInvalid, odataNotImplemented, odataUnknownProperty } from '../errors';
import type { ApplySequence, ApplyTransformation } from './ast';
import { bindSearch } from './bind-expr';
import { bindConcat } from './bind-apply-concat';
import { bindAggregate, bindGroupBy } from './bind-apply-group';
import { bindCompute, bindTopBottom } from './bind-apply-rows';
import { bindConditionIn, bindOrderItems, close, distinctOrder, scopeOf, tieBreak, type Names, type State } from './bind-apply-state';

export function bindTransformation(names: Names, t: ApplyTransformation, s: State): State {
  names.session.countNode(t.pos);
  switch (t.kind) {
    case 'identity':
      return s;
    case 'filter':
      return { ...s, where: [...s.where, bindConditionIn(scopeOf(names, s), t.predicate, 'filter()')] };
    case 'search':
      if (s.kind !== 'entity') throw odataNotImplemented(`search() after groupby, aggregate or concat is not supported (position ${t.pos}); use filter()`);
      return { ...s, where: [...s.where, bindSearch(s.ref, t.search)] };
    case 'compute':
      return bindCompute(names, s, t.items);
    case 'orderby':
      // A stable sort: the new keys first, the earlier order breaks their ties.
      return { ...s, order: [...bindOrderItems(scopeOf(names, s), t.items), ...s.order] };
    case 'top':
    case 'skip': {
      const order = distinctOrder([...s.order, ...tieBreak(s)]);
      return close(names, s, { orderBy: order, carry: order, ...(t.kind === 'top' ? { limit: t.count } : { offset: t.count }) }).state;
    }
    case 'topcount':
    case 'bottomcount':
    case 'toppercent':
    case 'bottompercent':
    case 'topsum':
    case 'bottomsum':
      return bindTopBottom(names, s, t);
    case 'aggregate':
      return bindAggregate(names, s, t, bindSequence);
    case 'groupby':
      return bindGroupBy(names, s, t, bindSequence);
    case 'concat':
      return bindConcat(names, s, t, bindSequence);
    case 'addnested':
    case 'join':
    case 'outerjoin':
      bindJoinPath(s, t);
      return notSupported(t);
    case 'nest':
    case 'ancestors':
    case 'descendants':
    case 'traverse':
      return notSupported(t);
    case 'customFunction':
      throw odataNotImplemented(`This service defines no custom set transformations such as '${t.name}' (position ${t.pos})`);
    default:
      return assertNever(t);
  }
}

function notSupported(t: ApplyTransformation): never {
  throw odataNotImplemented(
    `The $apply transformation '${t.kind}' is not supported (position ${t.pos}); supported: aggregate, groupby, filter, search, compute, orderby, top, skip, topcount, bottomcount, toppercent, bottompercent, topsum, bottomsum, concat, identity`,
  );
}

/** The path of join/outerjoin (a collection-valued property) or addnested (a navigation) must name one of the input's. */
function bindJoinPath(s: State, t: Extract<ApplyTransformation, { kind: 'join' | 'outerjoin' | 'addnested' }>): void {
  const name = t.path[0] as string;
  const where = `${t.kind}(${t.path.join('/')} …) (position ${t.pos})`;
  if (s.kind !== 'entity') {
    throw odataUnknownProperty(`${where}: the transformed result has no navigation properties`, { target: name });
  }
  if (findNavigation(s.ref.set, name) !== undefined) return;
  if (t.kind !== 'addnested' && findProperty(s.ref.set, name) !== undefined) {
    throw odataInvalid(`${where}: '${name}' is a single value; ${t.kind} needs a collection-valued property`, { target: name });
  }
  throw odataUnknownProperty(`${where}: ${s.ref.set.typeName} has no navigation property '${name}'`, { target: name });
}

export function bindSequence(names: Names, seq: ApplySequence, s: State): State {
  return seq.reduce((state, t) => bindTransformation(names, t, state), s);
}
