// raw query string (after '?', still percent-encoded) → ParsedQuery: system options parsed and typed, aliases, custom options.

import { odataBadOptionValue, odataDuplicateOption, odataSyntax, odataUnknownOption } from '../errors';
import type {
  AliasValue,
  ApplySequence,
  ComputeItem,
  ExpandItem,
  Expr,
  Levels,
  NestedQueryOptions,
  OrderItem,
  ParsedQuery,
  SearchExpr,
  SelectItem,
} from './ast';
import { Lexer } from './lexer';
import { parseApplySequence } from './parse-apply';
import {
  expectEnd,
  parseComputeItems,
  parseExpr,
  parseExpression,
  parseOrderItems,
  rejectLeadingSpace,
} from './parse-expression';
import { parseSearch, parseSearchAt } from './parse-search';
import { percentDecode, percentDecodeWithMask } from './percent-decode';

export interface ParseQueryOptions {
  /**
   * Accept a system query option given more than once (the ABNF allows it, the protocol forbids it);
   * the last one wins. Default false: 400 ODATA_PARSE_DUPLICATE_OPTION.
   */
  readonly allowDuplicateOptions?: boolean;
  /** When set, custom options (no '$', not a system option name) must be one of these names; others → 400. */
  readonly customOptionNames?: readonly string[];
}

const SYSTEM_OPTIONS = new Set([
  'filter',
  'select',
  'expand',
  'orderby',
  'top',
  'skip',
  'count',
  'search',
  'compute',
  'apply',
  'format',
  'skiptoken',
  'deltatoken',
  'schemaversion',
  'id',
  'index',
]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Parses a raw query string. Option names are case-insensitive and the '$' is optional for system
 * options (OData 4.01); names starting with '@' are parameter aliases; other names are custom options.
 *
 * @example parseQueryString("$filter=Price%20gt%205&$top=10&apikey=k1") →
 *   { filter: { kind: 'binary', operator: 'gt', left: { kind: 'path', … }, right: { kind: 'literal', type: 'Edm.Int32', value: 5, … }, pos: 6 },
 *     top: 10, aliases: {}, customOptions: { apikey: 'k1' } }
 */
export function parseQueryString(raw: string, options: ParseQueryOptions = {}): ParsedQuery {
  const query = raw.startsWith('?') ? raw.slice(1) : raw;
  const hash = query.indexOf('#');
  if (hash >= 0) throw odataSyntax(`query: '#' must be percent-encoded (%23) at position ${hash}`, { target: 'query' });
  const out: Mutable<ParsedQuery> = { aliases: {}, customOptions: {} };
  const aliases: Record<string, AliasValue> = {};
  const custom: Record<string, string> = {};
  const seen = new Set<string>();
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? undefined : part.slice(eq + 1);
    const name = percentDecode(rawName, 'query option name');
    if (name === '') throw odataSyntax(`query: empty option name before '${percentDecode(rawValue ?? '', 'query')}'`, { target: 'query' });
    if (name.startsWith('@')) {
      const alias = name.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(alias)) throw odataSyntax(`${name}: invalid parameter alias name`, { target: name });
      if (Object.prototype.hasOwnProperty.call(aliases, alias)) {
        throw odataDuplicateOption(`parameter alias '${name}' is given more than once`, { target: name });
      }
      if (rawValue === undefined) throw odataBadOptionValue(`${name}: a value is required`, { target: name });
      aliases[alias] = parseAliasValue(name, rawValue);
      continue;
    }
    const dollar = name.startsWith('$');
    const key = (dollar ? name.slice(1) : name).toLowerCase();
    if (!SYSTEM_OPTIONS.has(key)) {
      if (dollar) {
        const hint = key === 'levels' ? ' ($levels is only allowed inside $expand)' : '';
        throw odataUnknownOption(`unknown system query option '${name}'${hint}`, { target: name });
      }
      if (options.customOptionNames !== undefined && !options.customOptionNames.includes(name)) {
        throw odataUnknownOption(`unknown query option '${name}'`, { target: name });
      }
      custom[name] = rawValue === undefined ? '' : percentDecode(rawValue, name);
      continue;
    }
    const option = `$${key}`;
    if (seen.has(key) && !options.allowDuplicateOptions) {
      throw odataDuplicateOption(`query option '${option}' is given more than once`, { target: option });
    }
    seen.add(key);
    if (rawValue === undefined) throw odataBadOptionValue(`${option}: a value is required (${option}=…)`, { target: option });
    parseSystemOption(out, key, option, rawValue);
  }
  out.aliases = aliases;
  out.customOptions = custom;
  return out;
}

function parseAliasValue(name: string, rawValue: string): AliasValue {
  let text = rawValue;
  try {
    const decoded = percentDecodeWithMask(rawValue, name);
    text = decoded.text;
    return { kind: 'aliasExpr', text, expr: parseExpression(decoded.text, name, decoded.encoded) };
  } catch (error) {
    return { kind: 'aliasError', text, error: error as Error };
  }
}

function badValue(option: string, message: string, at = 0): never {
  throw odataBadOptionValue(`${option}: ${message} at position ${at}`, { target: option });
}

function parseCount(option: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  return badValue(option, `expected true or false but found '${value}'`);
}

function parseNonNegative(option: string, value: string): number {
  if (!/^\d+$/.test(value)) return badValue(option, `expected a non-negative integer but found '${value}'`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) return badValue(option, `value exceeds ${Number.MAX_SAFE_INTEGER}`);
  return n;
}

function parseSystemOption(out: Mutable<ParsedQuery>, key: string, option: string, rawValue: string): void {
  const { text, encoded } = percentDecodeWithMask(rawValue, option);
  const whole = <T>(parse: (lx: Lexer) => T): T => {
    const lx = new Lexer(text, option, encoded);
    rejectLeadingSpace(lx);
    const v = parse(lx);
    expectEnd(lx);
    return v;
  };
  const nonEmpty = (): string => (text === '' ? badValue(option, 'a value is required') : text);
  switch (key) {
    case 'filter':
      out.filter = parseExpression(text, option, encoded);
      return;
    case 'select':
      out.select = whole(parseSelectItems);
      return;
    case 'expand':
      out.expand = whole(parseExpandItems);
      return;
    case 'orderby':
      out.orderby = whole(parseOrderItems);
      return;
    case 'top':
      out.top = parseNonNegative(option, text);
      return;
    case 'skip':
      out.skip = parseNonNegative(option, text);
      return;
    case 'count':
      out.count = parseCount(option, text);
      return;
    case 'search':
      out.search = parseSearch(text, option, encoded);
      return;
    case 'compute':
      out.compute = whole(parseComputeItems);
      return;
    case 'apply':
      out.apply = whole(parseApplySequence);
      return;
    case 'format':
      out.format = nonEmpty();
      return;
    case 'skiptoken':
      out.skiptoken = nonEmpty();
      return;
    case 'deltatoken':
      out.deltatoken = nonEmpty();
      return;
    case 'id':
      out.id = nonEmpty();
      return;
    case 'schemaversion':
      if (text !== '*' && !/^[A-Za-z0-9._~-]+$/.test(text)) badValue(option, `expected '*' or a version but found '${text}'`);
      out.schemaversion = text;
      return;
    case 'index':
      if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) badValue(option, `expected an integer but found '${text}'`);
      out.index = Number(text);
      return;
    default:
      throw new Error(`unhandled system option ${key}`);
  }
}

// --- $select ----------------------------------------------------------------------------------

const SELECT_OPTIONS = new Set(['filter', 'search', 'count', 'orderby', 'skip', 'top', 'compute', 'select']);
const EXPAND_OPTIONS = new Set(['filter', 'search', 'count', 'orderby', 'skip', 'top', 'compute', 'select', 'expand', 'levels', 'apply']);
const REF_OPTIONS = new Set(['filter', 'search', 'count', 'orderby', 'skip', 'top']);
const COUNT_OPTIONS = new Set(['filter', 'search']);

/**
 * `item ( "," item )*` for $select (also nested).
 *
 * @example parseSelectItems(new Lexer('Name,Address/City', '$select')) →
 *   [{ kind: 'selectPath', path: ['Name'], pos: 0 }, { kind: 'selectPath', path: ['Address', 'City'], pos: 5 }]
 */
export function parseSelectItems(lx: Lexer): SelectItem[] {
  const items = [parseSelectItem(lx)];
  while (lx.isPunct(',')) {
    lx.next();
    items.push(parseSelectItem(lx));
  }
  return items;
}

function pathSegmentText(lx: Lexer): string {
  const t = lx.next();
  if (t.kind === 'name') return t.text;
  if (t.kind === 'at') return `@${t.text}${t.qualifier === undefined ? '' : `#${t.qualifier}`}`;
  return lx.fail(`expected a property name but found ${lx.describe(t)}`, t.start);
}

function parseSelectItem(lx: Lexer): SelectItem {
  const t = lx.peek();
  const pos = t.start;
  if (lx.isPunct('*')) {
    lx.next();
    return { kind: 'selectStar', pos };
  }
  if (t.kind === 'name') {
    const m = lx.mark();
    lx.next();
    if (lx.isPunct('.')) {
      lx.next();
      lx.expectPunct('*', "'*' after the namespace");
      return { kind: 'selectAllOperations', namespace: t.text, pos };
    }
    lx.reset(m);
  }
  const path = [pathSegmentText(lx)];
  while (lx.isPunct('/')) {
    lx.next();
    path.push(pathSegmentText(lx));
  }
  if (!lx.isPunct('(')) return { kind: 'selectPath', path, pos };
  // Either nested options `(…=…;…)` or the parameter names of a function overload `(a,b)`.
  const m = lx.mark();
  lx.next();
  const first = lx.next();
  const isOptions = first.kind === 'dollar' || first.kind === 'at' || (first.kind === 'name' && lx.isPunct('='));
  lx.reset(m);
  const open = lx.next();
  lx.enter(open.start);
  if (isOptions) {
    const options = parseNestedOptions(lx, SELECT_OPTIONS, true);
    lx.leave();
    return { kind: 'selectPath', path, options, pos };
  }
  const parameterNames: string[] = [];
  do {
    const n = lx.next();
    if (n.kind !== 'name' || n.text.includes('.')) lx.fail(`expected a parameter name but found ${lx.describe(n)}`, n.start);
    parameterNames.push(n.text);
  } while (lx.isPunct(',') && lx.next().kind === 'punct');
  lx.expectPunct(')');
  lx.leave();
  return { kind: 'selectPath', path, parameterNames, pos };
}

// --- $expand ----------------------------------------------------------------------------------

/**
 * `item ( "," item )*` for $expand (also nested).
 *
 * @example parseExpandItems(new Lexer('Items($top=2),Contact/$ref', '$expand')) →
 *   [{ kind: 'expandPath', path: ['Items'], mode: 'entities', options: { top: 2 }, pos: 0 },
 *    { kind: 'expandPath', path: ['Contact'], mode: 'ref', options: {}, pos: 14 }]
 */
export function parseExpandItems(lx: Lexer): ExpandItem[] {
  const items = [parseExpandItem(lx)];
  while (lx.isPunct(',')) {
    lx.next();
    items.push(parseExpandItem(lx));
  }
  return items;
}

function parseLevels(lx: Lexer): Levels {
  const t = lx.next();
  if (t.kind === 'name' && t.text.toLowerCase() === 'max') return 'max';
  if (t.kind === 'literal' && t.literal?.type === 'Edm.Int32' && /^[1-9]\d*$/.test(t.literal.text)) return t.literal.value;
  return lx.fail(`expected a positive integer without leading zeros or 'max' for $levels but found ${lx.describe(t)}`, t.start);
}

function parseExpandItem(lx: Lexer): ExpandItem {
  const t = lx.peek();
  const pos = t.start;
  if (t.kind === 'dollar' && t.text === '$value') {
    lx.next();
    return { kind: 'expandValue', pos };
  }
  const path: string[] = [];
  let mode: 'entities' | 'ref' | 'count' = 'entities';
  for (;;) {
    if (lx.isPunct('*')) {
      lx.next();
      let ref = false;
      let levels: Levels | undefined;
      if (lx.isPunct('/')) {
        lx.next();
        const r = lx.next();
        if (r.kind !== 'dollar' || r.text !== '$ref') lx.fail(`expected '$ref' after '*/' but found ${lx.describe(r)}`, r.start);
        ref = true;
      } else if (lx.isPunct('(')) {
        const open = lx.next();
        lx.enter(open.start);
        const o = lx.next();
        const key = o.kind === 'dollar' ? o.text.slice(1).toLowerCase() : o.kind === 'name' ? o.text.toLowerCase() : '';
        if (key !== 'levels') lx.fail(`only $levels is allowed after '*' but found ${lx.describe(o)}`, o.start);
        lx.expectPunct('=');
        levels = parseLevels(lx);
        lx.expectPunct(')');
        lx.leave();
      }
      return { kind: 'expandStar', path, ref, ...(levels !== undefined ? { levels } : {}), pos };
    }
    path.push(pathSegmentText(lx));
    if (!lx.isPunct('/')) break;
    lx.next();
    const d = lx.peek();
    if (d.kind === 'dollar') {
      lx.next();
      if (d.text === '$ref') mode = 'ref';
      else if (d.text === '$count') mode = 'count';
      else lx.fail(`expected '$ref', '$count' or a property but found ${lx.describe(d)}`, d.start);
      break;
    }
  }
  let options: NestedQueryOptions = {};
  if (lx.isPunct('(')) {
    const open = lx.next();
    lx.enter(open.start);
    options = parseNestedOptions(lx, mode === 'ref' ? REF_OPTIONS : mode === 'count' ? COUNT_OPTIONS : EXPAND_OPTIONS, mode === 'entities');
    lx.leave();
  }
  return { kind: 'expandPath', path, mode, options, pos };
}

// --- nested options: ( name=value ; … ) -------------------------------------------------------------

/** After '(': `option ( ";" option )* ")"` with the allowed option names; consumes the ')'. */
function parseNestedOptions(lx: Lexer, allowed: ReadonlySet<string>, aliasesAllowed: boolean): NestedQueryOptions {
  const out: Mutable<NestedQueryOptions> = {};
  const aliases: Record<string, Expr> = {};
  const seen = new Set<string>();
  for (;;) {
    const o = lx.next();
    if (o.kind === 'at' && !o.text.includes('.') && o.qualifier === undefined) {
      if (!aliasesAllowed) lx.fail('parameter aliases are not allowed here', o.start);
      if (Object.prototype.hasOwnProperty.call(aliases, o.text)) {
        throw odataDuplicateOption(`${lx.option}: alias '@${o.text}' is given more than once at position ${o.start}`, { target: lx.option });
      }
      lx.expectPunct('=');
      aliases[o.text] = parseExpr(lx);
    } else {
      const key = o.kind === 'dollar' ? o.text.slice(1).toLowerCase() : o.kind === 'name' && !o.text.includes('.') ? o.text.toLowerCase() : '';
      if (key === '') lx.fail(`expected a query option but found ${lx.describe(o)}`, o.start);
      if (!allowed.has(key)) lx.fail(`'${lx.text.slice(o.start, o.end)}' is not allowed here`, o.start);
      if (seen.has(key)) {
        throw odataDuplicateOption(`${lx.option}: nested option '$${key}' is given more than once at position ${o.start}`, { target: lx.option });
      }
      seen.add(key);
      const eq = lx.expectPunct('=');
      if (key !== 'search' && lx.peek().spaceBefore) lx.fail('unexpected whitespace', eq.end);
      parseNestedOption(lx, out, key);
    }
    if (!lx.isPunct(';')) break;
    lx.next();
  }
  lx.expectPunct(')', "';' or ')'");
  if (Object.keys(aliases).length > 0) out.aliases = aliases;
  return out;
}

function nestedNonNegative(lx: Lexer): number {
  const t = lx.next();
  const lit = t.literal;
  if (t.kind === 'literal' && lit !== undefined && (lit.type === 'Edm.Int32' || lit.type === 'Edm.Int64') && /^\d+$/.test(lit.text)) {
    if (!Number.isSafeInteger(lit.value)) throw odataBadOptionValue(`${lx.option}: value exceeds ${Number.MAX_SAFE_INTEGER} at position ${t.start}`, { target: lx.option });
    return lit.value;
  }
  return lx.fail(`expected a non-negative integer but found ${lx.describe(t)}`, t.start);
}

function parseNestedOption(lx: Lexer, out: Mutable<NestedQueryOptions>, key: string): void {
  switch (key) {
    case 'filter':
      out.filter = parseExpr(lx);
      return;
    case 'select':
      out.select = parseSelectItems(lx);
      return;
    case 'expand':
      out.expand = parseExpandItems(lx);
      return;
    case 'orderby':
      out.orderby = parseOrderItems(lx) as readonly OrderItem[];
      return;
    case 'top':
      out.top = nestedNonNegative(lx);
      return;
    case 'skip':
      out.skip = nestedNonNegative(lx);
      return;
    case 'count': {
      const t = lx.next();
      if (t.kind !== 'literal' || t.literal?.type !== 'Edm.Boolean') lx.fail(`expected true or false but found ${lx.describe(t)}`, t.start);
      out.count = (t.literal as { value: boolean }).value;
      return;
    }
    case 'search':
      out.search = parseSearchAt(lx, 'nested') as SearchExpr;
      return;
    case 'levels':
      out.levels = parseLevels(lx);
      return;
    case 'compute':
      out.compute = parseComputeItems(lx) as readonly ComputeItem[];
      return;
    case 'apply':
      out.apply = parseApplySequence(lx) as ApplySequence;
      return;
    default:
      lx.fail(`'$${key}' is not allowed here`, lx.mark());
  }
}
