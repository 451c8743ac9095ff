// decoded $apply text → ApplySequence: transformations joined by '/' (Data Aggregation v4.0 CS03), each parsed into its own node kind.

import type {
  ApplySequence,
  ApplyTransformation,
  GroupByElement,
  NamedArg,
  NestedSequence,
  OrderItem,
  RecursiveHierarchyReference,
} from './ast';
import { Lexer, type Token } from './lexer';
import {
  expectEnd,
  parseAggregateItem,
  parseAlias,
  parseComputeItems,
  parseExpr,
  parseGroupingPath,
  parseOrderItem,
  parseOrderItems,
  rejectLeadingSpace,
} from './parse-expression';
import { parseSearchAt } from './parse-search';

/**
 * Parses a whole $apply value (percent-decoded).
 *
 * @example parseApply('groupby((Status),aggregate(Duration with sum as Total))') →
 *   [{ kind: 'groupby', pos: 0,
 *      groupings: [{ kind: 'groupingProperty', path: ['Status'], pos: 9 }],
 *      sequence: [{ kind: 'aggregate', pos: 17, items: [{ kind: 'aggregateWith', method: 'sum', alias: 'Total', from: [],
 *        expr: { kind: 'path', root: { kind: 'implicit' }, segments: [{ kind: 'member', name: 'Duration', pos: 27 }], pos: 27 }, pos: 27 }] }] }]
 */
export function parseApply(text: string, option = '$apply', encoded?: Uint8Array): ApplySequence {
  const lx = new Lexer(text, option, encoded);
  rejectLeadingSpace(lx);
  const seq = parseApplySequence(lx);
  expectEnd(lx);
  return seq;
}

/**
 * `trafo ( "/" trafo )*` from the lexer's position (also nested inside groupby, concat, $expand).
 *
 * @example parseApplySequence(new Lexer('filter(A gt 1)/top(2)', '$apply')) → [{ kind: 'filter', … }, { kind: 'top', count: 2, pos: 15 }]
 */
export function parseApplySequence(lx: Lexer): ApplySequence {
  const seq = [parseTransformation(lx)];
  while (lx.isPunct('/')) {
    lx.next();
    seq.push(parseTransformation(lx));
  }
  return seq;
}

const PRESERVING = new Set<ApplyTransformation['kind']>([
  'bottomcount',
  'bottompercent',
  'bottomsum',
  'filter',
  'identity',
  'orderby',
  'search',
  'skip',
  'top',
  'topcount',
  'toppercent',
  'topsum',
  'ancestors',
  'descendants',
  'traverse',
  'customFunction',
]);

const PRESERVING_NAMES = new Set<string>([...PRESERVING].filter((k) => k !== 'customFunction'));

function parsePreserving(lx: Lexer): ApplySequence {
  const seq = parseApplySequence(lx);
  for (const t of seq) {
    if (!PRESERVING.has(t.kind)) lx.fail(`'${t.kind}' is not allowed here (only transformations that keep the input structure)`, t.pos);
  }
  return seq;
}

function comma(lx: Lexer): boolean {
  if (!lx.isPunct(',')) return false;
  lx.next();
  return true;
}

function nonNegativeInteger(lx: Lexer): number {
  const t = lx.next();
  const lit = t.literal;
  if (t.kind !== 'literal' || lit === undefined || (lit.type !== 'Edm.Int32' && lit.type !== 'Edm.Int64') || !/^\d+$/.test(lit.text) || !Number.isSafeInteger(lit.value)) {
    return lx.fail(`expected a non-negative integer but found ${lx.describe(t)}`, t.start);
  }
  return lit.value;
}

/** `name ( "/" name )*` with names or annotations, for addnested / join paths (may end in a type cast). */
function parseNamePath(lx: Lexer): string[] {
  const path: string[] = [];
  for (;;) {
    const t = lx.next();
    if (t.kind === 'name') path.push(t.text);
    else if (t.kind === 'at') path.push(`@${t.text}${t.qualifier === undefined ? '' : `#${t.qualifier}`}`);
    else lx.fail(`expected a property path but found ${lx.describe(t)}`, t.start);
    if (!lx.isPunct('/')) return path;
    lx.next();
  }
}

function parseNestedSequences(lx: Lexer): NestedSequence[] {
  const items: NestedSequence[] = [];
  do {
    const sequence = parseApplySequence(lx);
    items.push({ sequence, alias: parseExactAlias(lx) });
  } while (comma(lx));
  return items;
}

function parseExactAlias(lx: Lexer): string {
  if (!lx.isWord('as', true)) lx.fail(`expected 'as' and an alias but found ${lx.describe(lx.peek())}`, lx.peek().start);
  return parseAlias(lx, true) as string;
}

/** `$root/Set, Qualifier, NodeProperty` */
function parseHierarchyReference(lx: Lexer): RecursiveHierarchyReference {
  const t = lx.peek();
  if (t.kind !== 'dollar' || t.text !== '$root') lx.fail(`expected a $root/… collection but found ${lx.describe(t)}`, t.start);
  const collection = parseExpr(lx);
  if (collection.kind !== 'path') return lx.fail('expected a $root/… collection', t.start);
  lx.expectPunct(',');
  const q = lx.next();
  if (q.kind !== 'name' || q.text.includes('.')) lx.fail(`expected a hierarchy qualifier but found ${lx.describe(q)}`, q.start);
  lx.expectPunct(',');
  return { collection, qualifier: q.text, nodeProperty: parseGroupingPath(lx) };
}

function parseGroupByElement(lx: Lexer): GroupByElement {
  const t = lx.peek();
  if (t.kind === 'name' && (t.text === 'rollup' || t.text === 'rolluprecursive')) {
    const m = lx.mark();
    lx.next();
    const open = lx.peek();
    if (open.kind === 'punct' && open.text === '(' && !open.spaceBefore) {
      lx.next();
      lx.enter(open.start);
      let element: GroupByElement;
      if (t.text === 'rolluprecursive') {
        const hierarchy = parseHierarchyReference(lx);
        const sequence = comma(lx) ? parsePreserving(lx) : undefined;
        element = { kind: 'rolluprecursive', hierarchy, ...(sequence ? { sequence } : {}), pos: t.start };
      } else {
        const paths = [parseGroupingPath(lx)];
        while (comma(lx)) paths.push(parseGroupingPath(lx));
        const single = paths[0] as readonly string[];
        element =
          paths.length === 1 && single.length === 1
            ? { kind: 'rollupHierarchy', hierarchy: single[0] as string, pos: t.start }
            : paths.length === 1
              ? lx.fail('rollup() needs a hierarchy name or at least two grouping properties', t.start)
              : { kind: 'rollup', paths, pos: t.start };
      }
      lx.expectPunct(')');
      lx.leave();
      return element;
    }
    lx.reset(m);
  }
  return { kind: 'groupingProperty', path: parseGroupingPath(lx), pos: t.start };
}

/** Whether the next tokens start a preserving transformation (for traverse's optional arguments). */
function startsPreserving(lx: Lexer): boolean {
  const t = lx.peek();
  if (t.kind !== 'name') return false;
  if (t.text === 'identity') return true;
  if (!PRESERVING_NAMES.has(t.text) && !t.text.includes('.')) return false;
  const m = lx.mark();
  lx.next();
  const open = lx.isPunct('(') && !lx.peek().spaceBefore;
  lx.reset(m);
  return open;
}

function parseTransformation(lx: Lexer): ApplyTransformation {
  const t: Token = lx.next();
  const pos = t.start;
  if (t.kind !== 'name') return lx.fail(`expected a transformation but found ${lx.describe(t)}`, t.start);
  const name = t.text;
  const open = lx.peek();
  const hasArgs = open.kind === 'punct' && open.text === '(' && !open.spaceBefore;
  if (name === 'identity') {
    if (hasArgs) lx.fail("'identity' takes no arguments", open.start);
    return { kind: 'identity', pos };
  }
  if (!hasArgs) return lx.fail(`expected '(' after '${name}'`, t.end);
  lx.next();
  lx.enter(open.start);
  const result = parseTransformationArgs(lx, name, pos, t);
  lx.expectPunct(')');
  lx.leave();
  return result;
}

function parseTransformationArgs(lx: Lexer, name: string, pos: number, t: Token): ApplyTransformation {
  switch (name) {
    case 'aggregate': {
      const items = [parseAggregateItem(lx, true)];
      while (comma(lx)) items.push(parseAggregateItem(lx, true));
      return { kind: 'aggregate', items, pos };
    }
    case 'groupby': {
      const open = lx.expectPunct('(', "'(' and a list of grouping properties");
      lx.enter(open.start);
      const groupings = [parseGroupByElement(lx)];
      while (comma(lx)) groupings.push(parseGroupByElement(lx));
      lx.expectPunct(')');
      lx.leave();
      const sequence = comma(lx) ? parseApplySequence(lx) : undefined;
      return { kind: 'groupby', groupings, ...(sequence ? { sequence } : {}), pos };
    }
    case 'filter':
      return { kind: 'filter', predicate: parseExpr(lx), pos };
    case 'search':
      return { kind: 'search', search: parseSearchAt(lx, 'apply'), pos };
    case 'compute':
      return { kind: 'compute', items: parseComputeItems(lx), pos };
    case 'orderby':
      return { kind: 'orderby', items: parseOrderItems(lx), pos };
    case 'top':
    case 'skip':
      return { kind: name, count: nonNegativeInteger(lx), pos };
    case 'topcount':
    case 'bottomcount':
    case 'toppercent':
    case 'bottompercent':
    case 'topsum':
    case 'bottomsum': {
      const amount = parseExpr(lx);
      lx.expectPunct(',');
      return { kind: name, amount, expr: parseExpr(lx), pos };
    }
    case 'concat': {
      const sequences = [parseApplySequence(lx)];
      lx.expectPunct(',', "',' and a second transformation sequence");
      do sequences.push(parseApplySequence(lx));
      while (comma(lx));
      return { kind: 'concat', sequences, pos };
    }
    case 'nest':
      return { kind: 'nest', items: parseNestedSequences(lx), pos };
    case 'addnested': {
      const path = parseNamePath(lx);
      lx.expectPunct(',');
      return { kind: 'addnested', path, items: parseNestedSequences(lx), pos };
    }
    case 'join':
    case 'outerjoin': {
      const path = parseNamePath(lx);
      const alias = parseExactAlias(lx);
      const sequence = comma(lx) ? parseApplySequence(lx) : undefined;
      return { kind: name, path, alias, ...(sequence ? { sequence } : {}), pos };
    }
    case 'ancestors':
    case 'descendants': {
      const hierarchy = parseHierarchyReference(lx);
      lx.expectPunct(',');
      const sequence = parsePreserving(lx);
      let maxDistance: number | undefined;
      let keepStart = false;
      while (comma(lx)) {
        const a = lx.peek();
        if (a.kind === 'literal' && maxDistance === undefined && !keepStart) {
          maxDistance = nonNegativeInteger(lx);
        } else if (lx.isWord('keep', true) && !keepStart) {
          lx.next();
          if (!lx.isWord('start', true)) lx.fail("expected 'keep start'", lx.peek().start);
          lx.next();
          keepStart = true;
        } else {
          lx.fail(`expected a maximum distance or 'keep start' but found ${lx.describe(a)}`, a.start);
        }
      }
      return { kind: name, hierarchy, sequence, ...(maxDistance !== undefined ? { maxDistance } : {}), keepStart, pos };
    }
    case 'traverse': {
      const hierarchy = parseHierarchyReference(lx);
      lx.expectPunct(',');
      const o = lx.next();
      if (o.kind !== 'name' || (o.text !== 'preorder' && o.text !== 'postorder')) {
        return lx.fail(`expected 'preorder' or 'postorder' but found ${lx.describe(o)}`, o.start);
      }
      let sequence: ApplySequence | undefined;
      let orderby: OrderItem[] | undefined;
      while (orderby === undefined && comma(lx)) {
        if (sequence === undefined && startsPreserving(lx)) sequence = parsePreserving(lx);
        else orderby = [parseOrderItem(lx), ...(comma(lx) ? parseOrderItems(lx) : [])];
      }
      return {
        kind: 'traverse',
        hierarchy,
        order: o.text,
        ...(sequence ? { sequence } : {}),
        ...(orderby ? { orderby } : {}),
        pos,
      };
    }
    default:
      if (name.includes('.')) return { kind: 'customFunction', name, params: parseNamedParams(lx), pos };
      return lx.fail(`unknown transformation '${name}'`, t.start);
  }
}

/** `name=value, …` (possibly empty) for service-defined transformations. */
function parseNamedParams(lx: Lexer): NamedArg[] {
  const params: NamedArg[] = [];
  if (lx.isPunct(')')) return params;
  do {
    const n = lx.next();
    if (n.kind !== 'name' || n.text.includes('.')) lx.fail(`expected a parameter name but found ${lx.describe(n)}`, n.start);
    lx.expectPunct('=');
    params.push({ name: n.text, value: parseExpr(lx), pos: n.start });
  } while (comma(lx));
  return params;
}
