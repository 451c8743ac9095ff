// parsed Expr × scope → BoundExpr: names resolved against the entity model, types checked, literals typed.
import type { EdmPrimitive, EntityModel, EntitySetDef } from '../model/edm';
import { FILTER_FUNCTIONS, type FilterFunction } from '../model/capabilities';
import { findEntitySet, findNavigation, findProperty } from '../model/entity-model';
import { assertNever, odataInvalid, odataLimit, odataNotImplemented, odataTypeMismatch, odataUnknownProperty } from '../errors';
import type { AliasValue, Expr, LiteralExpr, PathExpr, PathSegment, SearchExpr } from './ast';
import type { BoundExpr, BoundType, NavigationJoin, SearchNode, TableRef } from './bound';
import type { Limits } from './limits';

/** A named value visible in expressions besides model properties: $compute aliases and $apply results. */
export interface DerivedColumn {
  readonly expr: BoundExpr;
  readonly type: BoundType;
}

/** Shared by every scope of one request: alias numbering, node budget, parameter aliases. */
export class BindSession {
  private nextAlias = 0;
  private nodes = 0;
  private readonly resolvingAliases = new Set<string>();

  constructor(
    readonly model: EntityModel,
    readonly limits: Limits,
    readonly aliases: Readonly<Record<string, AliasValue>>,
  ) {}

  tableRef(set: EntitySetDef): TableRef {
    return { alias: `t${this.nextAlias++}`, set };
  }

  countNode(pos: number): void {
    this.nodes += 1;
    if (this.nodes > this.limits.maxNodes) {
      throw odataLimit(`The request has more than ${this.limits.maxNodes} expression nodes (at position ${pos}); simplify it or raise ODATA_MAX_NODES`);
    }
  }

  resolveAlias(name: string, bind: (e: Expr) => BoundExpr): BoundExpr {
    const value = this.aliases[name];
    // An alias without a value is null (OData URL conventions 5.1.1.13.1 parameter aliases).
    if (value === undefined) return { kind: 'literal', type: 'null', value: null };
    if (value.kind === 'aliasError') throw value.error;
    if (this.resolvingAliases.has(name)) throw odataInvalid(`Parameter alias @${name} refers to itself`);
    this.resolvingAliases.add(name);
    try {
      return bind(value.expr);
    } finally {
      this.resolvingAliases.delete(name);
    }
  }
}

/** Where names resolve: the current entity ($it), lambda variables, and derived columns. */
export interface Scope {
  readonly session: BindSession;
  /** The instance properties resolve against; undefined over a derived relation ($apply output). */
  readonly ref?: TableRef;
  readonly variables: ReadonlyMap<string, TableRef>;
  readonly derived: ReadonlyMap<string, DerivedColumn>;
  /** The outermost entity, for $it inside lambdas. */
  readonly it?: TableRef;
}

export function rootScope(session: BindSession, ref: TableRef, derived: ReadonlyMap<string, DerivedColumn> = new Map()): Scope {
  return { session, ref, variables: new Map(), derived, it: ref };
}

const NUMERIC: readonly BoundType[] = ['Edm.Int16', 'Edm.Int32', 'Edm.Int64', 'Edm.Decimal', 'Edm.Double'];
const TEMPORAL: readonly BoundType[] = ['Edm.DateTimeOffset', 'Edm.Date'];

export function isNumeric(t: BoundType): boolean {
  return NUMERIC.includes(t);
}

function numericRank(t: BoundType): number {
  return NUMERIC.indexOf(t);
}

function widerNumeric(a: BoundType, b: BoundType): EdmPrimitive {
  if (a === 'Edm.Double' || b === 'Edm.Double') return 'Edm.Double';
  return (numericRank(a) >= numericRank(b) ? a : b) as EdmPrimitive;
}

function comparable(a: BoundType, b: BoundType): boolean {
  if (a === 'null' || b === 'null' || a === b) return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  if (TEMPORAL.includes(a) && TEMPORAL.includes(b)) return true;
  if ((a === 'Edm.Guid' && b === 'Edm.String') || (a === 'Edm.String' && b === 'Edm.Guid')) return true;
  return false;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A quoted literal compared with a typed property takes the property's type when it parses as one
 * (Cognigy's documented form `timestamp gt '2021-01-01T00:00:00.000Z'`; OData 4.01 casts strings to primitives).
 */
function coerceStringLiteral(e: BoundExpr, target: BoundType): BoundExpr {
  if (e.kind !== 'literal' || e.type !== 'Edm.String' || typeof e.value !== 'string') return e;
  const s = e.value;
  if (target === 'Edm.DateTimeOffset' && (INSTANT_RE.test(s) || DATE_RE.test(s))) return { kind: 'literal', type: 'Edm.DateTimeOffset', value: s };
  if (target === 'Edm.Date' && DATE_RE.test(s)) return { kind: 'literal', type: 'Edm.Date', value: s };
  if (isNumeric(target) && /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s)) return { kind: 'literal', type: target, value: s };
  if (target === 'Edm.Boolean' && /^(true|false)$/i.test(s)) return { kind: 'literal', type: 'Edm.Boolean', value: s.toLowerCase() === 'true' };
  if (target === 'Edm.Duration' && /^-?P/i.test(s)) return { kind: 'literal', type: 'Edm.Duration', value: s };
  return e;
}

function literal(e: LiteralExpr): BoundExpr {
  switch (e.type) {
    case 'null':
      return { kind: 'literal', type: 'null', value: null };
    case 'Edm.Boolean':
      return { kind: 'literal', type: 'Edm.Boolean', value: e.value };
    case 'Edm.Int32':
      return { kind: 'literal', type: 'Edm.Int32', value: e.value };
    case 'Edm.Int64':
    case 'Edm.Decimal':
      // Exact digits travel as text; PostgreSQL parses them into bigint/numeric.
      return { kind: 'literal', type: e.type, value: e.text.replace(/^\+/, '') };
    case 'Edm.Double':
      return { kind: 'literal', type: 'Edm.Double', value: e.text === 'INF' ? 'Infinity' : e.text === '-INF' ? '-Infinity' : e.text.replace(/^\+/, '') };
    case 'Edm.String':
    case 'Edm.Date':
    case 'Edm.DateTimeOffset':
    case 'Edm.TimeOfDay':
    case 'Edm.Duration':
    case 'Edm.Guid':
      return { kind: 'literal', type: e.type, value: e.value };
    case 'Edm.Binary':
    case 'Edm.Geography':
    case 'Edm.Geometry':
      throw odataNotImplemented(`${e.type} literals are not supported (position ${e.pos})`);
    case 'enum':
      throw odataNotImplemented(`Enumeration literal ${e.typeName} at position ${e.pos}: this model has no enumeration types`);
    default:
      return assertNever(e);
  }
}

const FUNCTION_NAMES = new Map<string, FilterFunction>(FILTER_FUNCTIONS.map((f) => [f.toLowerCase(), f]));

interface Signature {
  readonly args: readonly (readonly BoundType[] | 'any')[];
  readonly optional?: number;
  readonly result: (args: readonly BoundExpr[]) => BoundType;
}

const STRING: readonly BoundType[] = ['Edm.String', 'null'];
const INT: readonly BoundType[] = ['Edm.Int16', 'Edm.Int32', 'Edm.Int64', 'null'];
const NUMBERS: readonly BoundType[] = [...NUMERIC, 'null'];
const INSTANT: readonly BoundType[] = ['Edm.DateTimeOffset', 'null'];
const DATE_OR_INSTANT: readonly BoundType[] = ['Edm.DateTimeOffset', 'Edm.Date', 'null'];
const TIME_OR_INSTANT: readonly BoundType[] = ['Edm.DateTimeOffset', 'Edm.TimeOfDay', 'null'];

const SIGNATURES: Record<Exclude<FilterFunction, 'cast' | 'isof'>, Signature> = {
  contains: { args: [STRING, STRING], result: () => 'Edm.Boolean' },
  startswith: { args: [STRING, STRING], result: () => 'Edm.Boolean' },
  endswith: { args: [STRING, STRING], result: () => 'Edm.Boolean' },
  length: { args: [STRING], result: () => 'Edm.Int32' },
  indexof: { args: [STRING, STRING], result: () => 'Edm.Int32' },
  substring: { args: [STRING, INT, INT], optional: 1, result: () => 'Edm.String' },
  tolower: { args: [STRING], result: () => 'Edm.String' },
  toupper: { args: [STRING], result: () => 'Edm.String' },
  trim: { args: [STRING], result: () => 'Edm.String' },
  concat: { args: [STRING, STRING], result: () => 'Edm.String' },
  matchesPattern: { args: [STRING, STRING], result: () => 'Edm.Boolean' },
  year: { args: [DATE_OR_INSTANT], result: () => 'Edm.Int32' },
  month: { args: [DATE_OR_INSTANT], result: () => 'Edm.Int32' },
  day: { args: [DATE_OR_INSTANT], result: () => 'Edm.Int32' },
  hour: { args: [TIME_OR_INSTANT], result: () => 'Edm.Int32' },
  minute: { args: [TIME_OR_INSTANT], result: () => 'Edm.Int32' },
  second: { args: [TIME_OR_INSTANT], result: () => 'Edm.Int32' },
  fractionalseconds: { args: [TIME_OR_INSTANT], result: () => 'Edm.Decimal' },
  date: { args: [INSTANT], result: () => 'Edm.Date' },
  time: { args: [INSTANT], result: () => 'Edm.TimeOfDay' },
  totaloffsetminutes: { args: [INSTANT], result: () => 'Edm.Int32' },
  now: { args: [], result: () => 'Edm.DateTimeOffset' },
  mindatetime: { args: [], result: () => 'Edm.DateTimeOffset' },
  maxdatetime: { args: [], result: () => 'Edm.DateTimeOffset' },
  round: { args: [NUMBERS], result: (a) => (a[0]?.type === 'null' ? 'Edm.Decimal' : (a[0]?.type ?? 'Edm.Decimal')) },
  floor: { args: [NUMBERS], result: (a) => (a[0]?.type === 'null' ? 'Edm.Decimal' : (a[0]?.type ?? 'Edm.Decimal')) },
  ceiling: { args: [NUMBERS], result: (a) => (a[0]?.type === 'null' ? 'Edm.Decimal' : (a[0]?.type ?? 'Edm.Decimal')) },
};

const PRIMITIVES = new Set<string>([
  'Edm.String',
  'Edm.Boolean',
  'Edm.Int16',
  'Edm.Int32',
  'Edm.Int64',
  'Edm.Decimal',
  'Edm.Double',
  'Edm.DateTimeOffset',
  'Edm.Date',
  'Edm.TimeOfDay',
  'Edm.Duration',
  'Edm.Guid',
]);

function primitiveType(name: string, pos: number): EdmPrimitive {
  if (name === 'Edm.Single' || name === 'Edm.Byte' || name === 'Edm.SByte') {
    return name === 'Edm.Single' ? 'Edm.Double' : 'Edm.Int16';
  }
  if (!PRIMITIVES.has(name)) throw odataNotImplemented(`Cast to ${name} is not supported (position ${pos}); only primitive types are`);
  return name as EdmPrimitive;
}

/** isof on a primitive: decided by the static type, false for null (OData: isof(null, T) is false). */
function staticIsof(operand: BoundExpr, target: EdmPrimitive): BoundExpr {
  const same = operand.type === target || (isNumeric(operand.type) && isNumeric(target) && numericRank(operand.type) <= numericRank(target));
  if (!same) return { kind: 'literal', type: 'Edm.Boolean', value: false };
  return { kind: 'comparison', op: 'ne', left: operand, right: { kind: 'literal', type: 'null', value: null }, type: 'Edm.Boolean' };
}

/** Casts PostgreSQL can perform between the Edm types we map: text to and from anything, numbers among themselves, dates and instants. */
function castable(from: BoundType, to: EdmPrimitive): boolean {
  if (from === 'null' || from === to || from === 'Edm.String' || to === 'Edm.String') return true;
  if (isNumeric(from) && isNumeric(to)) return true;
  if (from === 'Edm.Boolean' && (to === 'Edm.Int16' || to === 'Edm.Int32')) return true;
  if (from === 'Edm.DateTimeOffset') return to === 'Edm.Date' || to === 'Edm.TimeOfDay';
  if (from === 'Edm.Date') return to === 'Edm.DateTimeOffset';
  return false;
}

function requireBoolean(e: BoundExpr, what: string, pos: number): BoundExpr {
  if (e.type !== 'Edm.Boolean' && e.type !== 'null') throw odataTypeMismatch(`${what} at position ${pos} must be a Boolean expression, not ${e.type}`);
  return e;
}

function bindSearchNode(s: SearchExpr): SearchNode {
  switch (s.kind) {
    case 'searchTerm':
      return { kind: 'term', text: s.term };
    case 'searchPhrase':
      return { kind: 'term', text: s.phrase };
    case 'searchAnd':
      return { kind: 'and', left: bindSearchNode(s.left), right: bindSearchNode(s.right) };
    case 'searchOr':
      return { kind: 'or', left: bindSearchNode(s.left), right: bindSearchNode(s.right) };
    case 'searchNot':
      return { kind: 'not', operand: bindSearchNode(s.operand) };
    default:
      return assertNever(s);
  }
}

/** $search over the set's searchable text properties (case-insensitive substring match per term). */
export function bindSearch(ref: TableRef, search: SearchExpr): BoundExpr {
  const columns = ref.set.properties.filter((p) => p.searchable === true).map((p) => p.column);
  if (columns.length === 0) throw odataInvalid(`${ref.set.name} has no searchable properties; use $filter`, { target: '$search' });
  return { kind: 'search', alias: ref.alias, columns, query: bindSearchNode(search), type: 'Edm.Boolean' };
}

function navJoin(scope: Scope, from: TableRef, navName: string, pos: number): NavigationJoin | undefined {
  const nav = findNavigation(from.set, navName);
  if (nav === undefined) return undefined;
  const targetSet = findEntitySet(scope.session.model, nav.target);
  if (targetSet === undefined) throw new Error(`model: navigation ${from.set.name}/${nav.name} targets unknown set ${nav.target}`);
  scope.session.countNode(pos);
  return { parent: from, nav, target: scope.session.tableRef(targetSet) };
}

function unknownMember(set: EntitySetDef | undefined, name: string, pos: number): Error {
  return odataUnknownProperty(
    set === undefined ? `Unknown property '${name}' at position ${pos}` : `${set.typeName} has no property '${name}' (position ${pos})`,
    { target: name },
  );
}

/** Resolves segments starting at an entity reference; `entityTest` lets a path end in a single-valued navigation (its existence). */
function bindSegments(scope: Scope, from: TableRef, segments: readonly PathSegment[], pos: number, entityTest = false): BoundExpr {
  const [first, ...rest] = segments;
  if (first === undefined) throw odataTypeMismatch(`An entity cannot be used as a value here (position ${pos}); name one of its properties`);
  if (first.kind !== 'member') throw odataNotImplemented(`Path segment '${first.kind}' is not supported here (position ${first.pos})`);
  const property = findProperty(from.set, first.name);
  if (property !== undefined) {
    if (rest.length > 0) throw odataTypeMismatch(`'${first.name}' is a primitive property; it has no '${describe(rest[0])}' (position ${rest[0]?.pos ?? pos})`);
    return { kind: 'column', alias: from.alias, column: property.column, type: property.type };
  }
  const join = navJoin(scope, from, first.name, first.pos);
  if (join === undefined) {
    if (first.name.includes('.')) throw odataNotImplemented(`Type casts are not supported: this model has no derived types (position ${first.pos})`);
    throw unknownMember(from.set, first.name, first.pos);
  }
  const inner: Scope = { ...scope, ref: join.target };
  if (!join.nav.collection) {
    if (rest.length === 0) {
      if (entityTest) return { kind: 'lambda', op: 'any', join, type: 'Edm.Boolean' };
      throw odataTypeMismatch(`'${first.name}' is an entity; name one of its properties or compare it with null (position ${first.pos})`);
    }
    const value = bindSegments(inner, join.target, rest, pos, entityTest);
    return { kind: 'navValue', join, value, type: value.type };
  }
  const [next, ...after] = rest;
  if (next === undefined) throw odataTypeMismatch(`'${first.name}' is a collection; use any(), all() or $count (position ${first.pos})`);
  if (after.length > 0) throw odataTypeMismatch(`Nothing may follow '${describe(next)}' here (position ${after[0]?.pos ?? pos})`);
  if (next.kind === 'count') {
    if (next.search !== undefined) throw odataNotImplemented(`$search inside $count is not supported (position ${next.pos})`);
    const filter = next.filter === undefined ? undefined : requireBoolean(bindExpr(next.filter, { ...inner, it: scope.it }), '$count($filter)', next.pos);
    return { kind: 'navCount', join, filter, type: 'Edm.Int64' };
  }
  if (next.kind === 'lambda') {
    if (next.predicate === undefined) return { kind: 'lambda', op: next.operator, join, type: 'Edm.Boolean' };
    const variables = new Map(scope.variables);
    if (next.variable !== undefined) variables.set(next.variable, join.target);
    // Inside a lambda, unqualified names still mean the outer instance ($it); the variable names the member.
    const predicate = requireBoolean(bindExpr(next.predicate, { ...scope, variables }), `${next.operator}() predicate`, next.pos);
    return { kind: 'lambda', op: next.operator, join, predicate, type: 'Edm.Boolean' };
  }
  if (next.kind === 'member') {
    throw odataTypeMismatch(`'${first.name}' is a collection: use any(), all() or $count to reach '${next.name}' (position ${next.pos})`);
  }
  throw odataNotImplemented(`'${describe(next)}' after a collection is not supported (position ${next.pos})`);
}

function describe(seg: PathSegment | undefined): string {
  if (seg === undefined) return '';
  return seg.kind === 'member' ? seg.name : seg.kind === 'lambda' ? seg.operator : `$${seg.kind}`;
}

/**
 * `session eq null` / `session ne null` on a single-valued navigation (OData 4.01 Intermediate):
 * whether the related entity exists. Undefined when the expression is not of that shape.
 */
function bindNavigationNullTest(e: Extract<Expr, { kind: 'binary' }>, scope: Scope): BoundExpr | undefined {
  if (e.operator !== 'eq' && e.operator !== 'ne') return undefined;
  const [path, other] = e.left.kind === 'path' ? [e.left, e.right] : [e.right, e.left];
  if (path.kind !== 'path' || other.kind !== 'literal' || other.type !== 'null') return undefined;
  const from = path.root.kind === 'implicit' || path.root.kind === 'this' ? scope.ref : path.root.kind === 'it' ? scope.it : path.root.kind === 'variable' ? scope.variables.get(path.root.name) : undefined;
  const last = path.segments[path.segments.length - 1];
  if (from === undefined || last?.kind !== 'member' || findProperty(from.set, last.name) !== undefined) return undefined;
  if (path.segments.length === 1 && scope.derived.has(last.name)) return undefined;
  const exists = bindSegments(scope, from, path.segments, path.pos, true);
  if (exists.type !== 'Edm.Boolean' || (exists.kind !== 'lambda' && exists.kind !== 'navValue')) return undefined;
  // Through a missing parent the result is SQL NULL, which reads as false, and `not` turns into true: both right.
  return e.operator === 'ne' ? exists : { kind: 'not', operand: exists, type: 'Edm.Boolean' };
}

function bindPath(e: PathExpr, scope: Scope): BoundExpr {
  scope.session.countNode(e.pos);
  switch (e.root.kind) {
    case 'implicit': {
      const first = e.segments[0];
      if (first?.kind === 'member' && e.segments.length === 1) {
        const derived = scope.derived.get(first.name);
        if (derived !== undefined) return derived.expr;
      }
      if (scope.ref === undefined) {
        const name = first?.kind === 'member' ? first.name : describe(first);
        throw odataUnknownProperty(
          `'${name}' (position ${e.pos}) is not a property of the transformed result; available: ${[...scope.derived.keys()].join(', ') || 'none'}`,
          { target: name },
        );
      }
      return bindSegments(scope, scope.ref, e.segments, e.pos);
    }
    case 'it':
    case 'this': {
      const ref = e.root.kind === 'it' ? scope.it : scope.ref;
      if (ref === undefined) throw odataInvalid(`$${e.root.kind} is not available here (position ${e.pos})`);
      return bindSegments(scope, ref, e.segments, e.pos);
    }
    case 'variable': {
      const ref = scope.variables.get(e.root.name);
      if (ref === undefined) throw unknownMember(scope.ref?.set, e.root.name, e.pos);
      return bindSegments(scope, ref, e.segments, e.pos);
    }
    case 'alias': {
      const base = scope.session.resolveAlias(e.root.name, (x) => bindExpr(x, scope));
      if (e.segments.length > 0) throw odataNotImplemented(`Paths after a parameter alias are not supported (position ${e.pos})`);
      return base;
    }
    case 'root':
    case 'these':
      throw odataNotImplemented(`$${e.root.kind} is not supported in expressions (position ${e.pos})`);
    default:
      return assertNever(e.root);
  }
}

function bindCall(e: Extract<Expr, { kind: 'call' }>, scope: Scope): BoundExpr {
  const name = FUNCTION_NAMES.get(e.name.toLowerCase());
  if (name === undefined || name === 'cast' || name === 'isof') {
    throw odataNotImplemented(`Function ${e.name}() is not supported (position ${e.pos})`);
  }
  const signature = SIGNATURES[name];
  const min = signature.args.length - (signature.optional ?? 0);
  if (e.args.length < min || e.args.length > signature.args.length) {
    throw odataInvalid(`${name}() takes ${min === signature.args.length ? min : `${min} to ${signature.args.length}`} arguments, got ${e.args.length} (position ${e.pos})`);
  }
  const args = e.args.map((a, i) => {
    const bound = bindExpr(a, scope);
    const allowed = signature.args[i];
    const coerced = allowed !== undefined && allowed !== 'any' && allowed[0] !== undefined ? coerceStringLiteral(bound, allowed[0]) : bound;
    if (allowed !== undefined && allowed !== 'any' && !allowed.includes(coerced.type)) {
      throw odataTypeMismatch(`Argument ${i + 1} of ${name}() at position ${a.pos} must be ${allowed.filter((t) => t !== 'null').join(' or ')}, not ${coerced.type}`);
    }
    return coerced;
  });
  return { kind: 'call', name, args, type: signature.result(args) };
}

/** A Guid literal compared with a text property is compared as text (ids are strings in this model). */
function guidAsText(e: BoundExpr, other: BoundExpr): BoundExpr {
  if (e.type !== 'Edm.Guid' || other.type !== 'Edm.String') return e;
  return e.kind === 'literal' ? { ...e, type: 'Edm.String' } : { kind: 'cast', operand: e, type: 'Edm.String' };
}

function bindComparison(op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le', l: BoundExpr, r: BoundExpr, pos: number): BoundExpr {
  const left = guidAsText(coerceStringLiteral(l, r.type), r);
  const right = guidAsText(coerceStringLiteral(r, left.type), left);
  if (!comparable(left.type, right.type)) {
    throw odataTypeMismatch(`Cannot compare ${left.type} with ${right.type} (operator ${op} at position ${pos})`);
  }
  if (left.type === 'Edm.Boolean' && op !== 'eq' && op !== 'ne') {
    throw odataTypeMismatch(`Booleans support only eq and ne (operator ${op} at position ${pos})`);
  }
  return { kind: 'comparison', op, left, right, type: 'Edm.Boolean' };
}

function arithmeticType(op: string, left: BoundExpr, right: BoundExpr, pos: number): EdmPrimitive {
  const l = left.type;
  const r = right.type;
  if ((isNumeric(l) || l === 'null') && (isNumeric(r) || r === 'null')) {
    if (op === 'divby') return 'Edm.Decimal';
    return widerNumeric(l === 'null' ? r : l, r === 'null' ? l : r);
  }
  if ((op === 'add' || op === 'sub') && (l === 'Edm.DateTimeOffset' || l === 'Edm.Date') && r === 'Edm.Duration') return 'Edm.DateTimeOffset';
  if (op === 'sub' && l === 'Edm.DateTimeOffset' && r === 'Edm.DateTimeOffset') return 'Edm.Duration';
  if ((op === 'add' || op === 'sub') && l === 'Edm.Duration' && r === 'Edm.Duration') return 'Edm.Duration';
  throw odataTypeMismatch(`Operator ${op} is not defined for ${l} and ${r} (position ${pos})`);
}

/**
 * bindExpr(`timestamp gt 2024-01-01T00:00:00Z and contains(intent,'order')`, scope over Analytics)
 * → logical(and, comparison(gt, column t0.occurred_at, literal DateTimeOffset), call(contains, column t0.intent, literal 'order')).
 */
export function bindExpr(e: Expr, scope: Scope): BoundExpr {
  scope.session.countNode(e.pos);
  switch (e.kind) {
    case 'literal':
      return literal(e);
    case 'alias':
      return scope.session.resolveAlias(e.name, (x) => bindExpr(x, scope));
    case 'path':
      return bindPath(e, scope);
    case 'call':
      return bindCall(e, scope);
    case 'unary': {
      const operand = bindExpr(e.operand, scope);
      if (e.operator === 'not') return { kind: 'not', operand: requireBoolean(operand, 'not', e.pos), type: 'Edm.Boolean' };
      if (!isNumeric(operand.type) && operand.type !== 'Edm.Duration' && operand.type !== 'null') {
        throw odataTypeMismatch(`Negation needs a number, not ${operand.type} (position ${e.pos})`);
      }
      if (operand.kind === 'literal' && typeof operand.value === 'string' && isNumeric(operand.type)) {
        return { kind: 'literal', type: operand.type, value: operand.value.startsWith('-') ? operand.value.slice(1) : `-${operand.value}` };
      }
      if (operand.kind === 'literal' && typeof operand.value === 'number') return { kind: 'literal', type: operand.type, value: -operand.value };
      return { kind: 'negate', operand, type: operand.type === 'null' ? 'Edm.Int32' : operand.type };
    }
    case 'binary': {
      const op = e.operator;
      if (op === 'in') return bindIn(e, scope);
      if (op === 'has') throw odataNotImplemented(`'has' needs an enumeration property; this model has none (position ${e.pos})`);
      const navNull = bindNavigationNullTest(e, scope);
      if (navNull !== undefined) return navNull;
      const left = bindExpr(e.left, scope);
      const right = bindExpr(e.right, scope);
      switch (op) {
        case 'and':
        case 'or':
          return {
            kind: 'logical',
            op,
            left: requireBoolean(left, op, e.pos),
            right: requireBoolean(right, op, e.pos),
            type: 'Edm.Boolean',
          };
        case 'eq':
        case 'ne':
        case 'gt':
        case 'ge':
        case 'lt':
        case 'le':
          return bindComparison(op, left, right, e.pos);
        case 'add':
        case 'sub':
        case 'mul':
        case 'div':
        case 'divby':
        case 'mod':
          return { kind: 'arithmetic', op, left, right, type: arithmeticType(op, left, right, e.pos) };
        default:
          return assertNever(op);
      }
    }
    case 'cast': {
      const target = primitiveType(e.typeName.name, e.pos);
      if (e.typeName.collection || e.operand === undefined) throw odataNotImplemented(`cast() of an entity or collection is not supported (position ${e.pos})`);
      const operand = bindExpr(e.operand, scope);
      if (!castable(operand.type, target)) throw odataTypeMismatch(`Cannot cast ${operand.type} to ${target} (position ${e.pos})`);
      return { kind: 'cast', operand, type: target };
    }
    case 'isof': {
      const target = primitiveType(e.typeName.name, e.pos);
      if (e.typeName.collection || e.operand === undefined) throw odataNotImplemented(`isof() of an entity is not supported (position ${e.pos})`);
      return staticIsof(bindExpr(e.operand, scope), target);
    }
    case 'list':
    case 'array':
    case 'object':
      throw odataTypeMismatch(`A ${e.kind} is only allowed on the right of 'in' (position ${e.pos})`);
    case 'case':
      throw odataNotImplemented(`case() is not supported (position ${e.pos})`);
    default:
      return assertNever(e);
  }
}

function bindIn(e: Extract<Expr, { kind: 'binary' }>, scope: Scope): BoundExpr {
  const operand = bindExpr(e.left, scope);
  // `x in @list` with `@list=["a","b"]`: the alias holds the list.
  const aliasValue = e.right.kind === 'alias' ? scope.session.aliases[e.right.name] : undefined;
  const right = aliasValue?.kind === 'aliasExpr' ? aliasValue.expr : e.right;
  if (aliasValue?.kind === 'aliasError') throw aliasValue.error;
  let rawItems: readonly Expr[];
  if (right.kind === 'list') rawItems = right.items;
  else if (right.kind === 'array') rawItems = right.items;
  else throw odataNotImplemented(`'in' needs a list of values such as ('a','b') (position ${right.pos})`);
  if (rawItems.length > scope.session.limits.maxInItems) {
    throw odataLimit(`'in' lists at most ${scope.session.limits.maxInItems} values; this one has ${rawItems.length} (position ${right.pos})`);
  }
  const bound = rawItems.map((item) => {
    // List values have their own limit (ODATA_MAX_IN_ITEMS) and do not count as expression nodes.
    const value = coerceStringLiteral(item.kind === 'literal' ? literal(item) : bindExpr(item, scope), operand.type);
    if (!comparable(operand.type, value.type)) throw odataTypeMismatch(`'in' list value of type ${value.type} cannot match ${operand.type} (position ${item.pos})`);
    return value;
  });
  // Every literal of the list shares one array parameter: typed like the operand, or wider for numbers (1, 2.5).
  const arrayType = isNumeric(operand.type)
    ? bound.reduce<EdmPrimitive>((t, b) => (isNumeric(b.type) ? widerNumeric(t, b.type) : t), operand.type as EdmPrimitive)
    : operand.type;
  const items = bound.map((b) => (b.kind === 'literal' && b.type !== 'null' && arrayType !== 'null' ? { ...b, type: arrayType } : b));
  return { kind: 'in', operand, items, type: 'Edm.Boolean' };
}

export function bindBoolean(e: Expr, scope: Scope, what: string): BoundExpr {
  return requireBoolean(bindExpr(e, scope), what, e.pos);
}
