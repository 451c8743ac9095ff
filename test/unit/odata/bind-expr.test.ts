// bind-expr: $filter text → bound tree (names resolved to columns, literals typed) or the error code and status.
import { assertNever } from '../../../src/errors';
import { taskfeedModel } from '../../../src/model/entity-model';
import { bindBoolean, bindExpr, BindSession, rootScope } from '../../../src/odata/bind-expr';
import type { BoundExpr, NavigationJoin } from '../../../src/odata/bound';
import { DEFAULT_LIMITS, type Limits } from '../../../src/odata/limits';
import { parseQueryString } from '../../../src/odata/parse-query';

const short = (type: string) => type.replace(/^Edm\./, '');

function join(j: NavigationJoin): string {
  return `${j.nav.name}→${j.target.set.name} ${j.target.alias}`;
}

/** BoundExpr → one line: columns as alias.column, literals as value:Type, nodes as (op …) with the result type where it is derived. */
function show(e: BoundExpr): string {
  switch (e.kind) {
    case 'literal':
      return e.type === 'null' ? 'null' : `${JSON.stringify(e.value)}:${short(e.type)}`;
    case 'column':
      return `${e.alias}.${e.column}`;
    case 'derived':
      return `${e.alias}.${e.sqlName}`;
    case 'comparison':
    case 'logical':
      return `(${e.op} ${show(e.left)} ${show(e.right)})`;
    case 'not':
      return `(not ${show(e.operand)})`;
    case 'negate':
      return `(- ${show(e.operand)}):${short(e.type)}`;
    case 'arithmetic':
      return `(${e.op} ${show(e.left)} ${show(e.right)}):${short(e.type)}`;
    case 'in':
      return `(in ${show(e.operand)} [${e.items.map(show).join(', ')}])`;
    case 'call':
      return `${e.name}(${e.args.map(show).join(', ')}):${short(e.type)}`;
    case 'cast':
      return `cast(${show(e.operand)}):${short(e.type)}`;
    case 'lambda':
      return `${e.op}(${join(e.join)}${e.predicate === undefined ? '' : `: ${show(e.predicate)}`})`;
    case 'navCount':
      return `count(${join(e.join)}${e.filter === undefined ? '' : `: ${show(e.filter)}`})`;
    case 'navValue':
      return `via(${join(e.join)}: ${show(e.value)})`;
    case 'search':
      return `search(${e.alias})`;
    default:
      return assertNever(e);
  }
}

function bind(setName: string, query: string, limits: Limits = DEFAULT_LIMITS, boolean = false): BoundExpr {
  const q = parseQueryString(query);
  if (q.filter === undefined) throw new Error('no $filter');
  const set = taskfeedModel.entitySets.find((s) => s.name === setName);
  if (set === undefined) throw new Error(setName);
  const session = new BindSession(taskfeedModel, limits, q.aliases);
  const scope = rootScope(session, session.tableRef(set));
  return boolean ? bindBoolean(q.filter, scope, '$filter') : bindExpr(q.filter, scope);
}

function errorOf(fn: () => unknown): { code?: string; status?: number } {
  try {
    fn();
  } catch (err) {
    const e = err as { code?: string; status?: number };
    return { code: e.code, status: e.status };
  }
  return {};
}

describe('bindExpr: Analytics $filter → bound tree', () => {
  it.each([
    // Comparisons and literal types.
    ["intent eq 'x'", `(eq t0.intent "x":String)`],
    ["intent eq 'O''Neil'", `(eq t0.intent "O'Neil":String)`],
    ['executionTime gt 30', '(gt t0.execution_time 30:Int32)'],
    ['executionTime gt 3000000000', '(gt t0.execution_time "3000000000":Int64)'],
    ['intentScore gt 0.5', '(gt t0.intent_score "0.5":Decimal)'],
    ['intentScore gt 5e-1', '(gt t0.intent_score "5e-1":Double)'],
    ['understood eq true', '(eq t0.understood true:Boolean)'],
    ['intent eq null', '(eq t0.intent null)'],
    ['null ne intent', '(ne null t0.intent)'],
    ['timestamp gt 2024-01-01T00:00:00Z', '(gt t0.occurred_at "2024-01-01T00:00:00Z":DateTimeOffset)'],
    ['timestamp gt 2024-01-01T01:00:00.5%2B01:00', '(gt t0.occurred_at "2024-01-01T01:00:00.5+01:00":DateTimeOffset)'],
    // Quoted strings take the type of what they are compared with (Cognigy's quoted timestamps, 4.01 casts).
    ["timestamp gt '2024-01-01T00:00:00.000Z'", '(gt t0.occurred_at "2024-01-01T00:00:00.000Z":DateTimeOffset)'],
    ["'2024-01-01' lt timestamp", '(lt "2024-01-01":DateTimeOffset t0.occurred_at)'],
    ["executionTime eq '30'", '(eq t0.execution_time "30":Int32)'],
    ["understood eq 'TRUE'", '(eq t0.understood true:Boolean)'],
    // Logic.
    ["not (intent eq 'x')", '(not (eq t0.intent "x":String))'],
    ["intent eq 'a' and channel eq 'b' or understood", '(or (and (eq t0.intent "a":String) (eq t0.channel "b":String)) t0.understood)'],
    // in: literals share the operand's type; null stays null.
    ["intent in ('a', null)", '(in t0.intent ["a":String, null])'],
    ["executionTime in (1, '2')", '(in t0.execution_time [1:Int32, "2":Int32])'],
    ['intentScore in (1, 2.5)', '(in t0.intent_score [1:Double, "2.5":Double])'],
    ['intent in ["a","b"]', '(in t0.intent ["a":String, "b":String])'],
    // Arithmetic result types.
    ['executionTime add 1 gt 2', '(gt (add t0.execution_time 1:Int32):Int32 2:Int32)'],
    ['executionTime add 1.5 gt 2', '(gt (add t0.execution_time "1.5":Decimal):Decimal 2:Int32)'],
    ['intentScore mul 2 gt 1', '(gt (mul t0.intent_score 2:Int32):Double 1:Int32)'],
    ['executionTime divby 2 gt 1', '(gt (divby t0.execution_time 2:Int32):Decimal 1:Int32)'],
    ['executionTime mod 7 eq 1', '(eq (mod t0.execution_time 7:Int32):Int32 1:Int32)'],
    ["timestamp add duration'P1D' gt now()", '(gt (add t0.occurred_at "P1D":Duration):DateTimeOffset now():DateTimeOffset)'],
    ["timestamp sub timestamp eq duration'PT0S'", '(eq (sub t0.occurred_at t0.occurred_at):Duration "PT0S":Duration)'],
    ['-executionTime lt -5', '(lt (- t0.execution_time):Int32 -5:Int32)'],
    // Functions.
    ["contains(inputText,'50%25_')", 'contains(t0.input_text, "50%_":String):Boolean'],
    ["Contains(inputText,'x')", 'contains(t0.input_text, "x":String):Boolean'],
    ['length(inputText) eq 3', '(eq length(t0.input_text):Int32 3:Int32)'],
    ["substring(inputText,1) eq 'x'", '(eq substring(t0.input_text, 1:Int32):String "x":String)'],
    ["matchesPattern(intent,'^a')", 'matchesPattern(t0.intent, "^a":String):Boolean'],
    ['round(intentScore) eq 1', '(eq round(t0.intent_score):Double 1:Int32)'],
    ['floor(executionTime) eq 1', '(eq floor(t0.execution_time):Int32 1:Int32)'],
    ['year(timestamp) eq 2024', '(eq year(t0.occurred_at):Int32 2024:Int32)'],
    ['date(timestamp) eq 2024-01-15', '(eq date(t0.occurred_at):Date "2024-01-15":Date)'],
    ['time(timestamp) lt 10:00:00', '(lt time(t0.occurred_at):TimeOfDay "10:00:00":TimeOfDay)'],
    ['fractionalseconds(timestamp) gt 0', '(gt fractionalseconds(t0.occurred_at):Decimal 0:Int32)'],
    ['timestamp lt maxdatetime()', '(lt t0.occurred_at maxdatetime():DateTimeOffset)'],
    ["year('2024-01-15T00:00:00Z') eq 2024", '(eq year("2024-01-15T00:00:00Z":DateTimeOffset):Int32 2024:Int32)'],
    // cast and isof on primitives.
    ["cast(executionTime,Edm.String) eq '1'", '(eq cast(t0.execution_time):String "1":String)'],
    ['isof(executionTime,Edm.Int32)', '(ne t0.execution_time null)'],
    ['isof(executionTime,Edm.Int64)', '(ne t0.execution_time null)'],
    ['isof(intent,Edm.Int32)', 'false:Boolean'],
    // Navigation.
    ["session/channel eq 'voice'", '(eq via(session→Sessions t1: t1.channel) "voice":String)'],
    // Aliases: resolved in place; an alias without a value is null.
    ["intent eq @p&@p='x'", '(eq t0.intent "x":String)'],
    ["intent eq @p&@p=@q&@q='x'", '(eq t0.intent "x":String)'],
    ['intent eq @missing', '(eq t0.intent null)'],
    ["timestamp gt @t&@t='2024-01-01T00:00:00Z'", '(gt t0.occurred_at "2024-01-01T00:00:00Z":DateTimeOffset)'],
  ])('%s', (filter, expected) => {
    expect(show(bind('Analytics', `$filter=${filter}`))).toBe(expected);
  });
});

describe('bindExpr: navigation collections (Sessions)', () => {
  it.each([
    ["analytics/any(a: a/intent eq 'x')", 'any(analytics→Analytics t1: (eq t1.intent "x":String))'],
    ['analytics/any()', 'any(analytics→Analytics t1)'],
    ['analytics/all(a: a/executionTime gt $it/stepsCount)', 'all(analytics→Analytics t1: (gt t1.execution_time t0.steps_count))'],
    ['analytics/all(a: a/executionTime gt stepsCount)', 'all(analytics→Analytics t1: (gt t1.execution_time t0.steps_count))'],
    ['analytics/$count gt 1', '(gt count(analytics→Analytics t1) 1:Int32)'],
    ["analytics/$count($filter=intent eq 'x') gt 1", '(gt count(analytics→Analytics t1: (eq t1.intent "x":String)) 1:Int32)'],
    [
      "analytics/any(a: a/session/channel eq 'voice')",
      'any(analytics→Analytics t1: (eq via(session→Sessions t2: t2.channel) "voice":String))',
    ],
  ])('%s', (filter, expected) => {
    expect(show(bind('Sessions', `$filter=${filter}`))).toBe(expected);
  });
});

describe('bindExpr: errors', () => {
  it.each([
    ['nope eq 1', 'ODATA_MODEL_UNKNOWN_PROPERTY', 400],
    ['Intent eq null', 'ODATA_MODEL_UNKNOWN_PROPERTY', 400],
    ["session/nope eq 'x'", 'ODATA_MODEL_UNKNOWN_PROPERTY', 400],
    ['intent eq 1', 'ODATA_MODEL_TYPE_MISMATCH', 400],
    ['timestamp gt 5', 'ODATA_MODEL_TYPE_MISMATCH', 400],
    ["executionTime eq 'abc'", 'ODATA_MODEL_TYPE_MISMATCH', 400],
    ['understood gt true', 'ODATA_MODEL_TYPE_MISMATCH', 400],
    ['intent add 1 eq 2', 'ODATA_MODEL_TYPE_MISMATCH', 400],
    ["intent/x eq 'a'", 'ODATA_MODEL_TYPE_MISMATCH', 400],
    ["-intent eq 'a'", 'ODATA_MODEL_TYPE_MISMATCH', 400],
    ['not executionTime', 'ODATA_MODEL_TYPE_MISMATCH', 400],
    ["contains(executionTime,'1')", 'ODATA_MODEL_TYPE_MISMATCH', 400],
    ["intent in ('a', 1)", 'ODATA_MODEL_TYPE_MISMATCH', 400],
    ['contains(intent)', 'ODATA_MODEL_INVALID', 400],
    ["substring(intent,1,2,3) eq 'x'", 'ODATA_MODEL_INVALID', 400],
    ['now(1) eq null', 'ODATA_MODEL_INVALID', 400],
    ['@p&@p=@p', 'ODATA_MODEL_INVALID', 400],
    ['frobnicate(intent)', 'ODATA_NOT_IMPLEMENTED', 501],
    ["geo.distance(ip,geography'SRID=4326;Point(1 2)') lt 1", 'ODATA_NOT_IMPLEMENTED', 501],
    ["ip eq geometry'SRID=0;Point(1 2)'", 'ODATA_NOT_IMPLEMENTED', 501],
    ["intent eq binary'AAEC'", 'ODATA_NOT_IMPLEMENTED', 501],
    ['cast(intent,Taskfeed.Analytic) eq null', 'ODATA_NOT_IMPLEMENTED', 501],
    ['case(true:1) eq 1', 'ODATA_NOT_IMPLEMENTED', 501],
    ['$root/Analytics/any()', 'ODATA_NOT_IMPLEMENTED', 501],
    ['Taskfeed.Derived/x eq 1', 'ODATA_NOT_IMPLEMENTED', 501],
  ])('Analytics: %s → %s %i', (filter, code, status) => {
    expect(errorOf(() => bind('Analytics', `$filter=${filter}`))).toEqual({
      code,
      status,
    });
  });

  it.each([
    ['analytics eq null', 'ODATA_MODEL_TYPE_MISMATCH', 400],
    // A property of a collection is not a value: invalid OData (400), not an unsupported feature (501).
    ['analytics/intent eq null', 'ODATA_MODEL_TYPE_MISMATCH', 400],
    ['analytics/any(a: a/nope eq 1)', 'ODATA_MODEL_UNKNOWN_PROPERTY', 400],
    ['analytics/any(a: a/intent)', 'ODATA_MODEL_TYPE_MISMATCH', 400],
    ['analytics/any(a: b/intent eq null)', 'ODATA_MODEL_UNKNOWN_PROPERTY', 400],
  ])('Sessions: %s → %s %i', (filter, code, status) => {
    expect(errorOf(() => bind('Sessions', `$filter=${filter}`))).toEqual({ code, status });
  });

  it('bindBoolean rejects a non-Boolean $filter', () => {
    expect(errorOf(() => bind('Analytics', '$filter=executionTime', DEFAULT_LIMITS, true))).toEqual({ code: 'ODATA_MODEL_TYPE_MISMATCH', status: 400 });
    expect(show(bind('Analytics', '$filter=understood', DEFAULT_LIMITS, true))).toBe('t0.understood');
  });
});

describe('bindExpr: limits', () => {
  const limits = { ...DEFAULT_LIMITS, maxNodes: 9, maxInItems: 2 };

  it.each([
    ["intent eq 'a' or intent eq 'b'", true],
    ["intent eq 'a' or intent eq 'b' or intent eq 'c'", false],
    ["intent in ('a','b')", true],
    ["intent in ('a','b','c')", false],
  ])('%s within maxNodes 9 / maxInItems 2: %s', (filter, ok) => {
    const result = errorOf(() => bind('Analytics', `$filter=${filter}`, limits));
    expect(result).toEqual(ok ? {} : { code: 'ODATA_LIMIT_EXCEEDED', status: 400 });
  });
});
