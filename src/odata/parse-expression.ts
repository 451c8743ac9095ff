// decoded expression text → Expr by precedence climbing (or < and < eq/ne/lt/le/gt/ge/has/in < add/sub < mul/div/divby/mod < not/- < paths and calls).

import type {
  AggregateFrom,
  AggregateItem,
  AnnotationSegment,
  ComputeItem,
  CountSegment,
  Expr,
  GroupingPath,
  LambdaSegment,
  ListExpr,
  LiteralExpr,
  NamedArg,
  NamedOrPositionalArg,
  OrderItem,
  PathExpr,
  PathRoot,
  PathSegment,
  SearchExpr,
  TypeName,
  BinaryOperator,
} from './ast';
import { assertNever } from '../errors';
import { Lexer, type Token } from './lexer';
import { parseSearchAt } from './parse-search';

export { MAX_NESTING_DEPTH } from './lexer';

/**
 * Parses a whole expression option value (percent-decoded), e.g. a $filter.
 *
 * @example parseExpression("Duration gt 30 and Status eq 'done'") →
 *   { kind: 'binary', operator: 'and', pos: 15,
 *     left:  { kind: 'binary', operator: 'gt', left: { kind: 'path', root: { kind: 'implicit' }, segments: [{ kind: 'member', name: 'Duration', pos: 0 }], pos: 0 },
 *              right: { kind: 'literal', type: 'Edm.Int32', value: 30, text: '30', pos: 12 }, pos: 9 },
 *     right: { kind: 'binary', operator: 'eq', … } }
 */
export function parseExpression(text: string, option = '$filter', encoded?: Uint8Array): Expr {
  const lx = new Lexer(text, option, encoded);
  const e = parseWholeExpr(lx);
  return e;
}

/**
 * Parses a complete expression from the lexer's start and requires the end of input after it.
 *
 * @example parseWholeExpr(new Lexer('a eq 1', '$filter')) → { kind: 'binary', operator: 'eq', … }; 'a eq 1)' → 400 "$filter: unexpected ')' at position 6"
 */
export function parseWholeExpr(lx: Lexer): Expr {
  rejectLeadingSpace(lx);
  const e = parseExpr(lx);
  expectEnd(lx);
  return e;
}

/**
 * Option values may not start with whitespace or be empty (ABNF: `$filter= true` is invalid).
 *
 * @example rejectLeadingSpace(new Lexer(' a', '$filter')) → 400 "$filter: unexpected whitespace at position 0"
 */
export function rejectLeadingSpace(lx: Lexer): void {
  const t = lx.peek();
  if (t.spaceBefore) lx.fail('unexpected whitespace', lx.mark());
  if (t.kind === 'eof') lx.fail('expected a value but found end of input', t.start);
}

/**
 * Fails unless only (optional) whitespace is left.
 *
 * @example after parsing `a` from 'a b' → 400 "$filter: unexpected 'b' at position 2"
 */
export function expectEnd(lx: Lexer): void {
  const t = lx.peek();
  if (t.kind !== 'eof') lx.fail(`unexpected ${lx.describe(t)}`, t.start);
}

/**
 * commonExpr at the lexer's position; stops before the first token that cannot continue it
 * (',', ')', ';', 'asc', 'as', 'with', …), so the option parsers can embed it.
 *
 * @example parseExpr(new Lexer('Price mul 2 as Double', '$compute')) → (mul Price 2), lexer left before 'as'
 */
export function parseExpr(lx: Lexer): Expr {
  return parseLogical(lx, 'or');
}

// --- binary levels ---------------------------------------------------------------------------

function operatorWord(t: Token): string | undefined {
  return t.kind === 'name' && t.text.length <= 5 ? t.text.toLowerCase() : undefined;
}

/** `a or b or c…` / `a and b and c…` as a balanced tree (depth log n for 10,000-term chains). */
function parseLogical(lx: Lexer, op: 'or' | 'and'): Expr {
  const next = (): Expr => (op === 'or' ? parseLogical(lx, 'and') : parseComparison(lx));
  const first = next();
  if (operatorWord(lx.peek()) !== op) return first;
  const operands: Expr[] = [first];
  const at: number[] = [];
  while (operatorWord(lx.peek()) === op) {
    at.push(lx.next().start);
    operands.push(next());
  }
  return balance(op, operands, at, 0, operands.length);
}

function balance(op: BinaryOperator, operands: readonly Expr[], at: readonly number[], lo: number, hi: number): Expr {
  if (hi - lo === 1) return operands[lo] as Expr;
  const mid = lo + Math.ceil((hi - lo) / 2);
  return {
    kind: 'binary',
    operator: op,
    left: balance(op, operands, at, lo, mid),
    right: balance(op, operands, at, mid, hi),
    pos: at[mid - 1] as number,
  };
}

const COMPARISON: Readonly<Record<string, BinaryOperator>> = {
  eq: 'eq',
  ne: 'ne',
  lt: 'lt',
  le: 'le',
  gt: 'gt',
  ge: 'ge',
  has: 'has',
  in: 'in',
};
const ADDITIVE: Readonly<Record<string, BinaryOperator>> = { add: 'add', sub: 'sub' };
const MULTIPLICATIVE: Readonly<Record<string, BinaryOperator>> = { mul: 'mul', div: 'div', divby: 'divby', mod: 'mod' };

function lookup(table: Readonly<Record<string, BinaryOperator>>, t: Token): BinaryOperator | undefined {
  const w = operatorWord(t);
  return w !== undefined && Object.prototype.hasOwnProperty.call(table, w) ? table[w] : undefined;
}

function parseComparison(lx: Lexer): Expr {
  let left = parseAdditive(lx);
  for (;;) {
    const t = lx.peek();
    const op = lookup(COMPARISON, t);
    if (op === undefined) return left;
    lx.next();
    let right: Expr;
    if (op === 'in') {
      right = parseInRight(lx);
    } else {
      right = parseAdditive(lx);
      if (op === 'has' && !(right.kind === 'literal' && (right.type === 'enum' || right.type === 'Edm.String')) && right.kind !== 'alias') {
        lx.fail("'has' requires an enumeration literal such as Ns.Color'Red'", right.pos);
      }
    }
    left = { kind: 'binary', operator: op, left, right, pos: t.start };
  }
}

function parseInRight(lx: Lexer): Expr {
  if (!lx.isPunct('(')) return parseAdditive(lx);
  const e = parseParenthesized(lx, true);
  if (e.kind === 'list') return e;
  return parseAdditive(lx, parseMultiplicative(lx, e));
}

function parseAdditive(lx: Lexer, first?: Expr): Expr {
  let left = first ?? parseMultiplicative(lx);
  for (;;) {
    const t = lx.peek();
    const op = lookup(ADDITIVE, t);
    if (op === undefined) return left;
    lx.next();
    left = { kind: 'binary', operator: op, left, right: parseMultiplicative(lx), pos: t.start };
  }
}

function parseMultiplicative(lx: Lexer, first?: Expr): Expr {
  let left = first ?? parseUnary(lx);
  for (;;) {
    const t = lx.peek();
    const op = lookup(MULTIPLICATIVE, t);
    if (op === undefined) return left;
    lx.next();
    left = { kind: 'binary', operator: op, left, right: parseUnary(lx), pos: t.start };
  }
}

function parseUnary(lx: Lexer): Expr {
  const t = lx.peek();
  if (t.kind === 'punct' && t.text === '-') {
    lx.next();
    lx.enter(t.start);
    const operand = parseUnary(lx);
    lx.leave();
    return { kind: 'unary', operator: 'negate', operand, pos: t.start };
  }
  if (operatorWord(t) === 'not') {
    const m = lx.mark();
    lx.next();
    const n = lx.peek();
    // `not` is the operator when an operand follows (after whitespace or a parenthesis); else it is a name.
    const isOperator =
      n.kind !== 'eof' && (n.spaceBefore || (n.kind === 'punct' && n.text === '(')) && (n.kind !== 'punct' || '([{-'.includes(n.text));
    if (isOperator) {
      lx.enter(t.start);
      const operand = parseUnary(lx);
      lx.leave();
      return { kind: 'unary', operator: 'not', operand, pos: t.start };
    }
    lx.reset(m);
  }
  return parsePrimary(lx);
}

// --- primaries -------------------------------------------------------------------------------

function adjacentPunct(lx: Lexer, ch: string): boolean {
  const t = lx.peek();
  return t.kind === 'punct' && t.text === ch && !t.spaceBefore;
}

function parsePrimary(lx: Lexer): Expr {
  const t = lx.peek();
  switch (t.kind) {
    case 'literal':
      lx.next();
      return t.literal as LiteralExpr;
    case 'jsonString':
      return lx.fail('double-quoted strings are only allowed inside JSON arrays and objects', t.start);
    case 'punct':
      if (t.text === '(') return parseParenthesized(lx, false);
      if (t.text === '[') return parseArray(lx);
      if (t.text === '{') return parseObject(lx);
      return lx.fail(`expected an expression but found ${lx.describe(t)}`, t.start);
    case 'at': {
      lx.next();
      if (t.text.includes('.') || t.qualifier !== undefined) {
        return parsePathRest(lx, { kind: 'implicit' }, [annotationSegment(t)], t.start);
      }
      if (adjacentPunct(lx, '/')) return parsePathRest(lx, { kind: 'alias', name: t.text }, [], t.start);
      return { kind: 'alias', name: t.text, pos: t.start };
    }
    case 'dollar':
      return parseDollarRoot(lx, t);
    case 'name':
      return parseNameExpr(lx);
    case 'eof':
      return lx.fail('expected an expression but found end of input', t.start);
    default:
      return assertNever(t.kind);
  }
}

function annotationSegment(t: Token): AnnotationSegment {
  return t.qualifier === undefined
    ? { kind: 'annotation', term: t.text, pos: t.start }
    : { kind: 'annotation', term: t.text, qualifier: t.qualifier, pos: t.start };
}

function parseDollarRoot(lx: Lexer, t: Token): Expr {
  lx.next();
  let root: PathRoot;
  switch (t.text) {
    case '$it':
      root = { kind: 'it' };
      break;
    case '$this':
      root = { kind: 'this' };
      break;
    case '$root':
      root = { kind: 'root' };
      break;
    case '$these':
      root = { kind: 'these' };
      break;
    default:
      return lx.fail(`unexpected '${t.text}'`, t.start);
  }
  if ((root.kind === 'root' || root.kind === 'these') && !adjacentPunct(lx, '/')) {
    lx.fail(`expected '/' after '${t.text}'`, t.end);
  }
  return parsePathRest(lx, root, [], t.start);
}

function parseNameExpr(lx: Lexer): Expr {
  const t = lx.next();
  if (adjacentPunct(lx, '(')) {
    switch (t.text.toLowerCase()) {
      case 'cast':
      case 'isof':
        return parseCastOrIsof(lx, t);
      case 'case':
        return parseCase(lx, t);
      case 'any':
      case 'all':
        return lx.fail(`${t.text}() requires a collection path before it, e.g. Items/${t.text}(…)`, t.end);
      case 'aggregate':
        return lx.fail('aggregate() requires a path before it, e.g. $these/aggregate(…)', t.end);
      default:
        break;
    }
    const inv = parseInvocation(lx, t, true);
    if (!Array.isArray(inv)) return inv as Expr;
    return parsePathRest(lx, { kind: 'implicit' }, inv as PathSegment[], t.start);
  }
  if (!t.text.includes('.') && lx.variables.includes(t.text)) {
    return parsePathRest(lx, { kind: 'variable', name: t.text }, [], t.start);
  }
  if (t.text.includes('.') && !adjacentPunct(lx, '/')) {
    lx.fail(`a qualified name must be followed by '/' (type cast) or '(' (function call)`, t.end);
  }
  return parsePathRest(lx, { kind: 'implicit' }, [{ kind: 'member', name: t.text, pos: t.start }], t.start);
}

interface ParsedArgs {
  readonly named: boolean;
  readonly items: readonly NamedOrPositionalArg[];
  readonly pos: number;
}

/** `( … )` after a name: nothing, positional expressions, or name=value pairs. */
function parseArgs(lx: Lexer): ParsedArgs {
  const open = lx.expectPunct('(');
  lx.enter(open.start);
  const items: NamedOrPositionalArg[] = [];
  let named = false;
  if (!lx.isPunct(')')) {
    const m = lx.mark();
    const first = lx.next();
    named = first.kind === 'name' && !first.text.includes('.') && lx.isPunct('=');
    lx.reset(m);
    for (;;) {
      if (named) {
        const n = lx.next();
        if (n.kind !== 'name' || n.text.includes('.')) lx.fail(`expected a parameter name but found ${lx.describe(n)}`, n.start);
        lx.expectPunct('=');
        items.push({ name: n.text, value: parseExpr(lx), pos: n.start });
      } else {
        const at = lx.peek().start;
        items.push({ value: parseExpr(lx), pos: at });
      }
      if (!lx.isPunct(',')) break;
      lx.next();
    }
  }
  lx.expectPunct(')');
  lx.leave();
  return { named, items, pos: open.start };
}

function toNamed(args: ParsedArgs): NamedArg[] {
  return args.items.map((a) => ({ name: a.name as string, value: a.value, pos: a.pos }));
}

/**
 * `name(…)`: a call expression (positional or no arguments, at the start of an expression, not
 * followed by a path), else path segments: a function segment (qualified name or empty
 * parentheses) or member + key.
 */
function parseInvocation(lx: Lexer, t: Token, atStart: boolean): Expr | PathSegment[] {
  const args = parseArgs(lx);
  const continues = adjacentPunct(lx, '/') || adjacentPunct(lx, '(');
  if (atStart && !continues && !args.named) {
    return { kind: 'call', name: t.text, args: args.items.map((a) => a.value), pos: t.start };
  }
  if (args.items.length === 0 || (args.named && t.text.includes('.'))) {
    return [{ kind: 'function', name: t.text, params: toNamed(args), pos: t.start }];
  }
  if (!args.named && args.items.length !== 1) lx.fail('a key predicate takes one value or name=value pairs', args.pos);
  return [
    { kind: 'member', name: t.text, pos: t.start },
    { kind: 'key', values: args.items, pos: args.pos },
  ];
}

function parsePathRest(lx: Lexer, root: PathRoot, segments: PathSegment[], pos: number): PathExpr {
  let terminal: string | undefined;
  for (;;) {
    if (terminal === undefined && segments.length > 0 && adjacentPunct(lx, '(')) {
      const args = parseArgs(lx);
      if (args.items.length === 0) lx.fail('a key predicate cannot be empty', args.pos);
      if (!args.named && args.items.length !== 1) lx.fail('a key predicate takes one value or name=value pairs', args.pos);
      segments.push({ kind: 'key', values: args.items, pos: args.pos });
      continue;
    }
    if (!adjacentPunct(lx, '/')) break;
    const slash = lx.next();
    if (terminal !== undefined) lx.fail(`no path segment may follow ${terminal}`, slash.start);
    const s = lx.peek();
    if (s.spaceBefore) lx.fail('unexpected whitespace in path', slash.end);
    switch (s.kind) {
      case 'name': {
        lx.next();
        if (!adjacentPunct(lx, '(')) {
          segments.push({ kind: 'member', name: s.text, pos: s.start });
          break;
        }
        const lower = s.text.toLowerCase();
        if (lower === 'any' || lower === 'all') {
          segments.push(parseLambda(lx, s, lower));
          terminal = `${s.text}()`;
        } else if (s.text === 'aggregate') {
          const open = lx.expectPunct('(');
          lx.enter(open.start);
          const aggregate = parseAggregateItem(lx, false);
          lx.expectPunct(')');
          lx.leave();
          segments.push({ kind: 'aggregate', aggregate, pos: s.start });
          terminal = 'aggregate()';
        } else {
          segments.push(...(parseInvocation(lx, s, false) as PathSegment[]));
        }
        break;
      }
      case 'dollar':
        if (s.text === '$count') {
          lx.next();
          segments.push(parseCountSegment(lx, s));
          terminal = '$count';
        } else if (s.text === '$filter') {
          lx.next();
          const open = lx.expectPunct('(');
          lx.enter(open.start);
          const predicate = parseExpr(lx);
          lx.expectPunct(')');
          lx.leave();
          segments.push({ kind: 'filter', predicate, pos: s.start });
        } else {
          lx.fail(`unexpected '${s.text}' in path`, s.start);
        }
        break;
      case 'at':
        lx.next();
        segments.push(annotationSegment(s));
        break;
      default:
        lx.fail(`expected a path segment after '/' but found ${lx.describe(s)}`, s.start);
    }
  }
  return { kind: 'path', root, segments, pos };
}

function parseLambda(lx: Lexer, t: Token, operator: 'any' | 'all'): LambdaSegment {
  const open = lx.expectPunct('(');
  lx.enter(open.start);
  if (lx.isPunct(')')) {
    if (operator === 'all') lx.fail('all() requires a lambda expression such as all(x: x/Qty gt 0)', lx.peek().start);
    lx.next();
    lx.leave();
    return { kind: 'lambda', operator, pos: t.start };
  }
  const v = lx.next();
  if (v.kind !== 'name' || v.text.includes('.')) lx.fail(`expected a lambda variable name but found ${lx.describe(v)}`, v.start);
  lx.expectPunct(':');
  lx.variables.push(v.text);
  const predicate = parseExpr(lx);
  lx.variables.pop();
  lx.expectPunct(')');
  lx.leave();
  return { kind: 'lambda', operator, variable: v.text, predicate, pos: t.start };
}

/** `$count` [ `(` $filter=… ; $search=… `)` ] */
function parseCountSegment(lx: Lexer, t: Token): CountSegment {
  if (!adjacentPunct(lx, '(')) return { kind: 'count', pos: t.start };
  const open = lx.next();
  lx.enter(open.start);
  let filter: Expr | undefined;
  let search: SearchExpr | undefined;
  for (;;) {
    const o = lx.next();
    const key = o.kind === 'dollar' ? o.text.slice(1).toLowerCase() : o.kind === 'name' ? o.text.toLowerCase() : '';
    if (key !== 'filter' && key !== 'search') lx.fail(`expected $filter or $search inside $count(…) but found ${lx.describe(o)}`, o.start);
    if ((key === 'filter' && filter) || (key === 'search' && search)) lx.fail(`duplicate ${key} inside $count(…)`, o.start);
    lx.expectPunct('=');
    if (key === 'filter') filter = parseExpr(lx);
    else search = parseSearchAt(lx, 'nested');
    if (!lx.isPunct(';')) break;
    lx.next();
  }
  lx.expectPunct(')');
  lx.leave();
  return { kind: 'count', ...(filter ? { filter } : {}), ...(search ? { search } : {}), pos: t.start };
}

/** `(…)`; with allowList (right of `in`), `()` and `(lit, lit, …)` are lists. */
function parseParenthesized(lx: Lexer, allowList: boolean): Expr | ListExpr {
  const open = lx.expectPunct('(');
  lx.enter(open.start);
  if (allowList && lx.isPunct(')')) {
    lx.next();
    lx.leave();
    return { kind: 'list', items: [], pos: open.start };
  }
  const first = parseExpr(lx);
  if (allowList && (lx.isPunct(',') || (first.kind === 'literal' && lx.isPunct(')')))) {
    const items: LiteralExpr[] = [listItem(lx, first)];
    while (lx.isPunct(',')) {
      lx.next();
      items.push(listItem(lx, parseExpr(lx)));
    }
    lx.expectPunct(')');
    lx.leave();
    return { kind: 'list', items, pos: open.start };
  }
  lx.expectPunct(')');
  lx.leave();
  return first;
}

function listItem(lx: Lexer, e: Expr): LiteralExpr {
  if (e.kind !== 'literal') return lx.fail('a list may only contain primitive literals', e.pos);
  return e;
}

function parseJsonValue(lx: Lexer): Expr {
  const t = lx.peek();
  if (t.kind === 'jsonString') {
    lx.next();
    return t.literal as LiteralExpr;
  }
  return parseExpr(lx);
}

function parseArray(lx: Lexer): Expr {
  const open = lx.next();
  lx.enter(open.start);
  const items: Expr[] = [];
  if (!lx.isPunct(']')) {
    for (;;) {
      items.push(parseJsonValue(lx));
      if (!lx.isPunct(',')) break;
      lx.next();
    }
  }
  lx.expectPunct(']');
  lx.leave();
  return { kind: 'array', items, pos: open.start };
}

function parseObject(lx: Lexer): Expr {
  const open = lx.next();
  lx.enter(open.start);
  const members: { name: string; value: Expr; pos: number }[] = [];
  if (!lx.isPunct('}')) {
    for (;;) {
      const n = lx.next();
      if (n.kind !== 'jsonString') lx.fail(`expected a double-quoted member name but found ${lx.describe(n)}`, n.start);
      lx.expectPunct(':');
      members.push({ name: n.text, value: parseJsonValue(lx), pos: n.start });
      if (!lx.isPunct(',')) break;
      lx.next();
    }
  }
  lx.expectPunct('}');
  lx.leave();
  return { kind: 'object', members, pos: open.start };
}

function tryTypeName(lx: Lexer): TypeName | undefined {
  const t = lx.peek();
  if (t.kind !== 'name') return undefined;
  lx.next();
  if (t.text === 'Collection' && adjacentPunct(lx, '(')) {
    lx.next();
    const inner = lx.next();
    if (inner.kind !== 'name') lx.fail(`expected a type name but found ${lx.describe(inner)}`, inner.start);
    lx.expectPunct(')');
    return { name: inner.text, collection: true };
  }
  return { name: t.text, collection: false };
}

function parseCastOrIsof(lx: Lexer, t: Token): Expr {
  const kind = t.text.toLowerCase() === 'cast' ? 'cast' : 'isof';
  const open = lx.next();
  lx.enter(open.start);
  const m = lx.mark();
  const single = tryTypeName(lx);
  if (single !== undefined && lx.isPunct(')')) {
    lx.next();
    lx.leave();
    return { kind, typeName: single, pos: t.start };
  }
  lx.reset(m);
  const operand = parseExpr(lx);
  lx.expectPunct(',');
  const at = lx.peek().start;
  const typeName = tryTypeName(lx) ?? lx.fail('expected a type name', at);
  lx.expectPunct(')');
  lx.leave();
  return { kind, operand, typeName, pos: t.start };
}

function parseCase(lx: Lexer, t: Token): Expr {
  const open = lx.next();
  lx.enter(open.start);
  const branches: { when: Expr; then: Expr }[] = [];
  for (;;) {
    const when = parseExpr(lx);
    lx.expectPunct(':');
    branches.push({ when, then: parseExpr(lx) });
    if (!lx.isPunct(',')) break;
    lx.next();
  }
  lx.expectPunct(')');
  lx.leave();
  return { kind: 'case', branches, pos: t.start };
}

// --- lists shared by $orderby, $compute and $apply ------------------------------------------------

/**
 * `expr [asc|desc]` (direction case-insensitive, default asc).
 *
 * @example parseOrderItem(new Lexer('Name desc', '$orderby')) → { kind: 'orderItem', expr: <path Name>, direction: 'desc', pos: 0 }
 */
export function parseOrderItem(lx: Lexer): OrderItem {
  const pos = lx.peek().start;
  const expr = parseExpr(lx);
  let direction: 'asc' | 'desc' = 'asc';
  if (lx.isWord('asc') || lx.isWord('desc')) {
    const d = lx.next();
    if (!d.spaceBefore) lx.fail(`expected whitespace before '${d.text}'`, d.start);
    direction = d.text.toLowerCase() as 'asc' | 'desc';
  }
  return { kind: 'orderItem', expr, direction, pos };
}

/**
 * `orderItem ( "," orderItem )*`
 *
 * @example parseOrderItems(new Lexer('Name desc,Price', '$orderby')) → [{ direction: 'desc', … }, { direction: 'asc', … }]
 */
export function parseOrderItems(lx: Lexer): OrderItem[] {
  const items = [parseOrderItem(lx)];
  while (lx.isPunct(',')) {
    lx.next();
    items.push(parseOrderItem(lx));
  }
  return items;
}

/**
 * `expr as Alias`
 *
 * @example parseComputeItem(new Lexer('Amount mul 2 as Double', '$compute')) → { kind: 'computeItem', expr: (mul Amount 2), alias: 'Double', pos: 0 }
 */
export function parseComputeItem(lx: Lexer): ComputeItem {
  const pos = lx.peek().start;
  const expr = parseExpr(lx);
  const alias = parseAlias(lx, true) as string;
  return { kind: 'computeItem', expr, alias, pos };
}

/**
 * `computeItem ( "," computeItem )*`
 *
 * @example parseComputeItems(new Lexer('a as A,b as B', '$compute')) → [{ alias: 'A', … }, { alias: 'B', … }]
 */
export function parseComputeItems(lx: Lexer): ComputeItem[] {
  const items = [parseComputeItem(lx)];
  while (lx.isPunct(',')) {
    lx.next();
    items.push(parseComputeItem(lx));
  }
  return items;
}

/**
 * `as Alias` (required → fails when missing; else undefined when absent).
 *
 * @example parseAlias(new Lexer('as Total', '$apply'), true) → 'Total'
 */
export function parseAlias(lx: Lexer, required: boolean): string | undefined {
  if (!lx.isWord('as')) {
    if (required) lx.fail(`expected 'as' and an alias but found ${lx.describe(lx.peek())}`, lx.peek().start);
    return undefined;
  }
  lx.next();
  const a = lx.next();
  if (a.kind !== 'name' || a.text.includes('.')) lx.fail(`expected an alias name but found ${lx.describe(a)}`, a.start);
  return a.text;
}

// --- aggregate expressions (used by /aggregate(…) here and by the aggregate() transformation) ------

/**
 * `name ( "/" name )*` — a grouping / hierarchy property path: properties and type casts only
 * (no keys, annotations or $count), not ending in a type cast.
 *
 * @example parseGroupingPath(new Lexer('Customer/Country', '$apply')) → ['Customer', 'Country']
 */
export function parseGroupingPath(lx: Lexer): GroupingPath {
  const path: string[] = [];
  let last: Token;
  for (;;) {
    last = lx.next();
    if (last.kind !== 'name') lx.fail(`expected a property name but found ${lx.describe(last)}`, last.start);
    path.push(last.text);
    if (!adjacentPunct(lx, '/')) break;
    lx.next();
  }
  if (last.text.includes('.')) lx.fail('a grouping property path cannot end with a type cast', last.start);
  return path;
}

function parseAggregationMethod(lx: Lexer): string {
  const m = lx.next();
  if (m.kind !== 'name') return lx.fail(`expected an aggregation method but found ${lx.describe(m)}`, m.start);
  if (m.text.includes('.')) return m.text;
  if (m.text === 'sum' || m.text === 'min' || m.text === 'max' || m.text === 'average' || m.text === 'countdistinct') return m.text;
  return lx.fail(`unknown aggregation method '${m.text}' (sum, min, max, average, countdistinct or Namespace.method)`, m.start);
}

function parseAggregateFrom(lx: Lexer, custom: boolean): AggregateFrom[] {
  const from: AggregateFrom[] = [];
  while (lx.isWord('from', true)) {
    lx.next();
    const groupings = [parseGroupingPath(lx)];
    while (lx.isPunct(',')) {
      lx.next();
      groupings.push(parseGroupingPath(lx));
    }
    if (lx.isWord('with', true)) {
      lx.next();
      from.push({ groupings, method: parseAggregationMethod(lx) });
    } else {
      if (!custom) lx.fail(`expected 'with' after the 'from' grouping properties but found ${lx.describe(lx.peek())}`, lx.peek().start);
      from.push({ groupings });
    }
  }
  return from;
}

/** Member names of a path with an implicit root and only member segments (optionally ending in $count). */
function simplePath(e: Expr): { names: string[]; count: boolean } | undefined {
  if (e.kind !== 'path' || e.root.kind !== 'implicit') return undefined;
  const names: string[] = [];
  const segs = e.segments;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i] as PathSegment;
    if (s.kind === 'member') names.push(s.name);
    else if (s.kind === 'count' && i === segs.length - 1 && !s.filter && !s.search) return { names, count: true };
    else return undefined;
  }
  return { names, count: false };
}

/**
 * One aggregate expression: `Amount with sum [from … with …] as Total`, `$count as N`,
 * `Sales/$count as N`, custom aggregates `Forecast [from …] [as F]`. Aliases are required in the
 * aggregate() transformation and not allowed in the `/aggregate(…)` expression function.
 *
 * @example parseAggregateItem(new Lexer('Amount with sum as Total', '$apply'), true) →
 *   { kind: 'aggregateWith', expr: <path Amount>, method: 'sum', from: [], alias: 'Total', pos: 0 }
 */
export function parseAggregateItem(lx: Lexer, inTransformation: boolean): AggregateItem {
  const t = lx.peek();
  const pos = t.start;
  const alias = (required: boolean): { alias?: string } => {
    if (!inTransformation) {
      if (lx.isWord('as', true)) lx.fail("no alias is allowed inside /aggregate(…)", lx.peek().start);
      return {};
    }
    if (!required && !lx.isWord('as', true)) return {};
    return { alias: parseAlias(lx, true) as string };
  };
  if (t.kind === 'dollar' && t.text === '$count') {
    lx.next();
    if (lx.isWord('with', true)) lx.fail("$count cannot be combined with 'with'", lx.peek().start);
    const from = parseAggregateFrom(lx, false);
    return { kind: 'aggregateCount', path: [], from, ...alias(true), pos };
  }
  let expr: Expr | undefined;
  if (t.kind === 'name' && t.text.includes('.')) {
    // A bare type cast (aggrCastPath) is allowed here: `Self.Derived with Custom.method as X`
    const m = lx.mark();
    lx.next();
    if (!adjacentPunct(lx, '/') && !adjacentPunct(lx, '(')) {
      expr = { kind: 'path', root: { kind: 'implicit' }, segments: [{ kind: 'member', name: t.text, pos }], pos };
    } else {
      lx.reset(m);
    }
  }
  expr ??= parseExpr(lx);
  if (lx.isWord('with', true)) {
    lx.next();
    const method = parseAggregationMethod(lx);
    const from = parseAggregateFrom(lx, false);
    return { kind: 'aggregateWith', expr, method, from, ...alias(true), pos };
  }
  const simple = simplePath(expr);
  if (simple?.count) {
    const from = parseAggregateFrom(lx, false);
    return { kind: 'aggregateCount', path: simple.names, from, ...alias(true), pos };
  }
  const name = simple?.names[simple.names.length - 1];
  if (simple === undefined || name === undefined || name.includes('.')) {
    return lx.fail(`expected 'with' and an aggregation method but found ${lx.describe(lx.peek())}`, lx.peek().start);
  }
  const from = parseAggregateFrom(lx, true);
  return { kind: 'aggregateCustom', path: simple.names.slice(0, -1), name, from, ...alias(from.length > 0), pos };
}
