// OASIS ABNF test-vector YAML → run each vector through the parse stage in syntax-only mode → counts and failures.
//
// Syntax-only mode: the parser accepts any identifier. A few negative vectors fail only because of
// the vector file's own model (its `Constraints` name lists: which names are collection-valued,
// which are custom aggregates, which custom option names exist); `checkConstraints` applies those
// lists to the parsed AST, as the OASIS ABNF test tool does with the same lists.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isAppError } from '../../../src/errors';
import type { Expr, LiteralExpr, ParsedQuery, ResourcePath } from '../../../src/odata/ast';
import { isODataIdentifier, Lexer } from '../../../src/odata/lexer';
import { parseExpression } from '../../../src/odata/parse-expression';
import { parseResourcePath } from '../../../src/odata/parse-path';
import { parseQueryString } from '../../../src/odata/parse-query';
import { parseSearch } from '../../../src/odata/parse-search';
import { percentDecodeWithMask } from '../../../src/odata/percent-decode';

// Vendored OASIS test vectors: see test/conformance/NOTICE.
export const ABNF_DIR = path.resolve(__dirname, '../../conformance/oasis/abnf');

export interface Vector {
  readonly Name: string;
  readonly Rule: string;
  readonly Input: string;
  readonly FailAt?: number;
}

export type Constraints = Readonly<Record<string, readonly string[]>>;

export interface VectorFile {
  readonly Constraints: Constraints;
  readonly TestCases: readonly Vector[];
}

export function loadVectors(file: string): VectorFile {
  const full = path.join(ABNF_DIR, file);
  if (!existsSync(full)) throw new Error(`ABNF vectors not found at ${full}`);
  return parseYaml(readFileSync(full, 'utf8')) as VectorFile;
}

/** Rules this URL parser does not implement at all: not URL syntax of a request the service parses. */
export const RULE_SKIPS: Readonly<Record<string, string>> = {
  context: 'context URL fragment (#…): the service writes context URLs, never parses them',
  header: 'HTTP header syntax: not part of the URL parser',
  prefer: 'Prefer header syntax: not part of the URL parser',
  preference: 'Prefer header syntax: not part of the URL parser',
  includeAnnotationsPreference: 'Prefer header syntax: not part of the URL parser',
  maxpagesizePreference: 'Prefer header syntax: not part of the URL parser',
  'request-id': '$batch Content-ID header: $batch bodies are not parsed here',
  ...Object.fromEntries(
    ['booleanValue', 'byteValue', 'sbyteValue', 'int16Value', 'int32Value', 'int64Value', 'decimalValue', 'doubleValue', 'singleValue', 'dateValue', 'dateTimeOffsetValue', 'timeOfDayValue', 'durationValue', 'guidValue', 'enumValue', 'primitiveValue'].map(
      (rule) => [rule, 'payload value form (JSON bodies, key-as-segment): the service parses URL literals only'],
    ),
  ),
};

export interface SkipRule {
  readonly reason: string;
  readonly applies: (v: Vector, c: Constraints) => boolean;
}

function pathPart(v: Vector): string {
  const input = v.Rule === 'odataUri' ? v.Input.replace(/^[a-z]+:\/\/[^/]*\//i, '') : v.Input;
  return input.split('?')[0] as string;
}

const URI_RULES = new Set(['odataUri', 'odataRelativeUri', 'resourcePath']);

function segmentsOf(v: Vector): string[] {
  return URI_RULES.has(v.Rule) ? pathPart(v).split('/') : [];
}

const OPERATION_LISTS = [
  'action',
  'actionImport',
  'entityFunction',
  'entityColFunction',
  'complexFunction',
  'complexColFunction',
  'primitiveFunction',
  'primitiveColFunction',
  'entityFunctionImport',
  'entityColFunctionImport',
  'complexFunctionImport',
  'complexColFunctionImport',
  'primitiveFunctionImport',
  'primitiveColFunctionImport',
];

/**
 * Positive vectors for features this service does not offer (it answers 501 or 404 for them).
 * Negative vectors always run: rejecting them is what they expect.
 */
export const VECTOR_SKIPS: readonly SkipRule[] = [
  {
    reason: 'context URL fragment in the URL: fragments never reach the server',
    applies: (v) => URI_RULES.has(v.Rule) && v.Input.includes('#'),
  },
  {
    reason: 'functions / actions in the resource path (function imports, bound operations): the service exposes none',
    applies: (v, c) => {
      const names = new Set(OPERATION_LISTS.flatMap((l) => c[l] ?? []));
      return segmentsOf(v).some((s) => s.endsWith('()') || names.has((s.replace(/[(%].*$/s, '').split('.').pop() as string)));
    },
  },
  {
    reason: '$crossjoin and $all: not offered',
    applies: (v) => URI_RULES.has(v.Rule) && /(^|\/)\$(crossjoin|all)\b/.test(pathPart(v)),
  },
  {
    reason: '$filter / $each / $query path segments (4.01 optional): not offered',
    applies: (v) => segmentsOf(v).some((s) => /^\$(filter|each|query)\b/.test(s)),
  },
  {
    reason: 'key-as-segment and ordinal-index addressing (4.01 optional): not offered',
    applies: (v, c) => segmentsOf(v).some((s, i) => i > 0 && (/^-?\d+$/.test(s) || (c.keyPathLiteral ?? []).includes(s))),
  },
];

const URL_LITERAL_TYPES: Readonly<Record<string, readonly string[] | 'any'>> = {
  binaryLiteral: ['Edm.Binary'],
  boolean: ['Edm.Boolean'],
  date: ['Edm.Date'],
  dateTimeOffsetLiteral: ['Edm.DateTimeOffset'],
  dateTimeOffsetValueInUrl: ['Edm.DateTimeOffset'],
  decimalLiteral: ['Edm.Int32', 'Edm.Int64', 'Edm.Decimal', 'Edm.Double'],
  doubleLiteral: ['Edm.Int32', 'Edm.Int64', 'Edm.Decimal', 'Edm.Double'],
  singleLiteral: ['Edm.Int32', 'Edm.Int64', 'Edm.Decimal', 'Edm.Double'],
  sbyteLiteral: ['Edm.Int32'],
  int16Literal: ['Edm.Int32'],
  int32Literal: ['Edm.Int32'],
  int64Literal: ['Edm.Int32', 'Edm.Int64'],
  durationLiteral: ['Edm.Duration', 'Edm.String'],
  enumLiteral: ['enum', 'Edm.String'],
  guid: ['Edm.Guid'],
  null: ['null'],
  primitiveLiteral: 'any',
  stringLiteral: ['Edm.String'],
  timeOfDayLiteral: ['Edm.TimeOfDay'],
};

/** Text that must be exactly one URL literal (percent-decoded), as the lexer reads it inside an expression. */
export function literalOf(text: string, option = 'literal'): LiteralExpr {
  const lx = new Lexer(text, option);
  const t = lx.next();
  if (t.start !== 0 || t.spaceBefore) lx.fail('unexpected whitespace', 0);
  if (t.kind !== 'literal' || t.literal === undefined) return lx.fail('expected a literal', t.start);
  const after = lx.next();
  if (after.kind !== 'eof' || after.spaceBefore) lx.fail(`unexpected ${lx.describe(after)}`, after.start);
  return t.literal;
}

const SINGLE_OPTION_RULES: Readonly<Record<string, keyof ParsedQuery>> = {
  filter: 'filter',
  expand: 'expand',
  select: 'select',
  orderby: 'orderby',
  orderBy: 'orderby',
  search: 'search',
  compute: 'compute',
  skiptoken: 'skiptoken',
  deltatoken: 'deltatoken',
  top: 'top',
  skip: 'skip',
  count: 'count',
  apply: 'apply',
};

const EXPRESSION_RULES = new Set(['commonExpr', 'boolCommonExpr', 'boolcommonExpr', 'firstMemberExpr', 'propertyPathExpr', 'notExpr', 'isofExpr']);

function decode(text: string): { text: string; encoded: Uint8Array | undefined } {
  return percentDecodeWithMask(text, 'vector');
}

function expr(text: string): Expr {
  const d = decode(text);
  return parseExpression(d.text, 'vector', d.encoded);
}

class ConstraintViolation extends Error {}

function violate(message: string): never {
  throw new ConstraintViolation(message);
}

// --- constraint checks: the vector model's name lists applied to the AST ----------------------------

function list(c: Constraints, ...names: string[]): Set<string> {
  return new Set(names.flatMap((n) => c[n] ?? []));
}

/** Walks every object in the tree, calling visit; visit returns false to skip an object's children. */
function walk(node: unknown, visit: (o: Record<string, unknown>) => boolean): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (!visit(o)) return;
  for (const v of Object.values(o)) walk(v, visit);
}

function isSimpleMemberPath(e: unknown): boolean {
  const p = e as Expr;
  return p.kind === 'path' && p.root.kind === 'implicit' && p.segments.every((s) => s.kind === 'member');
}

function checkConstraints(tree: unknown, c: Constraints): void {
  const collections = list(c, 'entityColNavigationProperty', 'complexColProperty', 'primitiveColProperty');
  const primitives = list(c, 'primitiveKeyProperty', 'primitiveNonKeyProperty', 'primitiveColProperty');
  const customAggregates = list(c, 'customAggregate');
  const joinable = list(c, 'entityColNavigationProperty', 'complexColProperty');
  const checkGrouping = (p: readonly string[]): void => {
    p.slice(0, -1).forEach((s) => {
      if (collections.has(s)) violate(`grouping path through collection-valued '${s}'`);
      if (primitives.has(s)) violate(`grouping path continues after primitive '${s}'`);
    });
  };
  walk(tree, (o) => {
    switch (o.kind) {
      case 'aggregateCustom':
        if (!customAggregates.has(o.name as string)) violate(`'${String(o.name)}' is not a custom aggregate`);
        return true;
      case 'aggregateWith':
        // aggrPrimPath: a plain property path may cross collections; other expressions may not.
        if (isSimpleMemberPath(o.expr)) {
          for (const f of o.from as { groupings: string[][] }[]) f.groupings.forEach(checkGrouping);
          return false;
        }
        return true;
      case 'groupingProperty':
        checkGrouping(o.path as string[]);
        return true;
      case 'rollup':
        (o.paths as string[][]).forEach(checkGrouping);
        return true;
      case 'join':
      case 'outerjoin': {
        const first = (o.path as string[])[0] as string;
        if (!first.startsWith('@') && !joinable.has(first)) violate(`join over single-valued '${first}'`);
        return true;
      }
      case 'path': {
        const segs = (o as unknown as { segments: readonly { kind: string; name?: string }[] }).segments;
        segs.forEach((s, i) => {
          const next = segs[i + 1];
          if (s.kind === 'member' && collections.has(s.name as string) && next?.kind === 'member' && !(next.name as string).includes('.')) {
            violate(`property path continues after collection-valued '${String(s.name)}'`);
          }
        });
        return true;
      }
      default:
        if (Array.isArray(o.groupings) && o.kind === undefined) (o.groupings as string[][]).forEach(checkGrouping);
        return true;
    }
  });
}

function checkResourcePath(rp: ResourcePath, c: Constraints): void {
  if (rp.kind !== 'resource') return;
  const noValue = list(c, 'complexProperty', 'complexColProperty', 'streamProperty');
  const types = list(c, 'entityTypeName', 'complexTypeName');
  rp.segments.forEach((s, i) => {
    const prev = rp.segments[i - 1];
    if (s.kind === 'value' && prev?.kind === 'name' && noValue.has(prev.name)) violate(`$value after '${prev.name}'`);
    if (s.kind === 'name' && prev?.kind === 'name' && !prev.key && s.name.includes('.') && prev.name.includes('.') && types.has(s.name.split('.').pop() as string)) {
      violate('two consecutive type casts');
    }
  });
}

// --- runners per rule ---------------------------------------------------------------------------

function runQuery(text: string, c: Constraints): ParsedQuery {
  const q = parseQueryString(text, { allowDuplicateOptions: true, customOptionNames: c.customName });
  checkConstraints(q, c);
  for (const a of Object.values(q.aliases)) {
    if (a.kind === 'aliasError') throw a.error;
    checkConstraints(a.expr, c);
  }
  return q;
}

function runRelativeUri(input: string, c: Constraints): void {
  const q = input.indexOf('?');
  const rp = parseResourcePath(q < 0 ? input : input.slice(0, q));
  checkResourcePath(rp, c);
  const query = q < 0 ? undefined : runQuery(input.slice(q + 1), c);
  if (rp.kind === 'entityById') {
    // $entity?$id=… requires $id; $select/$expand only after a type cast ($entity/Ns.Type)
    if (query?.id === undefined) violate('$entity requires $id');
    if (rp.typeName === undefined && (query.select || query.expand)) violate('$select/$expand on $entity need a type cast');
  }
}

function runOdataUri(input: string, c: Constraints): void {
  const m = /^https?:\/\/[^/?#]+\/(.*)$/is.exec(input);
  if (!m) violate('not an absolute http(s) URL with a service root');
  const rest = m[1] as string;
  // The service root may contain further path segments: try every split, as the ABNF does.
  let lastError: unknown;
  for (let k = 0; k <= rest.length; k++) {
    if (k > 0 && rest[k - 1] !== '/') continue;
    if (k > 0 && rest.slice(0, k - 1).split('/').some((s) => s === '' || s.includes('?'))) break;
    try {
      runRelativeUri(rest.slice(k), c);
      return;
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/** Runs one vector; throws when the input is rejected. */
export function runVector(v: Vector, c: Constraints): void {
  const input = v.Input;
  const rule = v.Rule;
  if (rule === 'queryOptions' || rule === 'systemQueryOption' || rule === 'customQueryOption') {
    runQuery(input, c);
    return;
  }
  const single = SINGLE_OPTION_RULES[rule];
  if (single !== undefined) {
    if (input.includes('&')) violate(`'${rule}' is a single query option`);
    const q = runQuery(input, c);
    if (q[single] === undefined) violate(`not a ${rule} option`);
    return;
  }
  if (EXPRESSION_RULES.has(rule)) {
    checkConstraints(expr(input), c);
    return;
  }
  switch (rule) {
    case 'anyExpr':
      checkConstraints(expr(`X/${input}`), c);
      return;
    case 'functionParameter':
      expr(`Ns.F(${input})`);
      return;
    case 'stringInUrl': {
      const e = expr(`[${input}]`);
      if (e.kind !== 'array' || e.items.length !== 1 || e.items[0]?.kind !== 'literal') violate('not a JSON string');
      return;
    }
    case 'searchExpr': {
      const d = decode(input);
      parseSearch(d.text, 'vector', d.encoded);
      return;
    }
    case 'odataIdentifier':
    case 'entitySetName':
      if (!isODataIdentifier(input)) violate('not an identifier');
      return;
    case 'resourcePath':
      checkResourcePath(parseResourcePath(input), c);
      return;
    case 'odataRelativeUri':
      runRelativeUri(input, c);
      return;
    case 'odataUri':
      runOdataUri(input, c);
      return;
    default:
      break;
  }
  const urlTypes = URL_LITERAL_TYPES[rule] ?? (/^(geography|geometry)[A-Z]/.test(rule) ? [rule.startsWith('geography') ? 'Edm.Geography' : 'Edm.Geometry'] : undefined);
  if (urlTypes !== undefined) {
    const lit = literalOf(decode(input).text, 'vector');
    if (urlTypes !== 'any' && !urlTypes.includes(lit.type)) violate(`literal of type ${lit.type}`);
    return;
  }
  throw new Error(`no runner for rule '${rule}'`);
}

export interface VectorResults {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly failures: readonly string[];
  readonly skips: Readonly<Record<string, number>>;
}

/** Runs all vectors of a file; a vector "passes" when positives parse and negatives are rejected with a 4xx/501 AppError. */
export function runVectorFile(file: VectorFile, extraSkips: readonly SkipRule[] = []): VectorResults {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures: string[] = [];
  const skips: Record<string, number> = {};
  const c = file.Constraints ?? {};
  for (const v of file.TestCases) {
    const negative = v.FailAt !== undefined;
    const ruleSkip = RULE_SKIPS[v.Rule];
    const vectorSkip = negative ? undefined : [...VECTOR_SKIPS, ...extraSkips].find((s) => s.applies(v, c))?.reason;
    const reason = ruleSkip ?? vectorSkip;
    if (reason !== undefined) {
      skipped++;
      skips[reason] = (skips[reason] ?? 0) + 1;
      continue;
    }
    let error: unknown;
    try {
      runVector(v, c);
    } catch (e) {
      error = e;
    }
    const rejected = error !== undefined && (isAppError(error) || error instanceof ConstraintViolation);
    if (error !== undefined && !rejected) {
      failed++;
      failures.push(`${v.Rule} ${JSON.stringify(v.Input)} (${v.Name}): crashed: ${String((error as Error).stack ?? error)}`);
    } else if (negative === rejected) {
      passed++;
    } else {
      failed++;
      failures.push(
        negative
          ? `${v.Rule} ${JSON.stringify(v.Input)} (${v.Name}): expected a failure at ${v.FailAt} but it parsed`
          : `${v.Rule} ${JSON.stringify(v.Input)} (${v.Name}): ${(error as Error).message}`,
      );
    }
  }
  return { passed, failed, skipped, failures, skips };
}

/** Runs one vector file, prints "N passed, M failed, K skipped" with the skip reasons, and returns the failures. */
export function reportVectorFile(file: string): readonly string[] {
  const results = runVectorFile(loadVectors(file));
  console.log(
    [
      ...Object.entries(results.skips).map(([reason, n]) => `skipped ${n}: ${reason}`),
      ...results.failures.map((f) => `FAILED ${f}`),
      `${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`,
    ].join('\n'),
  );
  return results.failures;
}
