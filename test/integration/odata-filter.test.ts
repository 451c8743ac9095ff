// GET /odata/<set>?$filter=… → exactly the matching rows: operators, null semantics, functions, lambdas, literals, aliases.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { loadReadFixture } from '../helpers/fixtures';
import { createTestApp, READ_KEY, type TestApp } from '../helpers/test-app';

// Fixture Analytics rows (test/fixtures/odata-seed.sql):
//   a1 p1 s1 'I want to order a pizza'     intent order.food        score 0.91 exec 120 2024-01-15T09:00:10Z
//   a2 p1 s1 'Sign me up: 100% sure_'      intent account.register  score 0.75 exec  80 2024-01-15T09:01:00.123456Z
//   a3 p1 s1 'talk to a human'             intent null              score null exec  45 2024-01-15T09:02:00Z (understood false)
//   a4 p1 s2 'Pizza again'                 intent order.food        score 0.88 exec 200 2024-01-16T10:00:30Z (voice, admin)
//   a5 p2 s3 'Hello from another project'  intent greeting          score 0.99 exec  30 2024-01-17T11:00:05Z
const ALL = ['a1', 'a2', 'a3', 'a4', 'a5'];

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
  await loadReadFixture(t.database.db);
  await t.database.db.exec(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'odata-like.sql'), 'utf8'));
});

afterAll(() => t.close());

/** Spaces are the only characters the URLs below leave unencoded. */
function encode(url: string): string {
  return url.replace(/ /g, '%20');
}

/** Status and the sorted key values of the page (or the error body), so a failure shows what came back. */
async function matching(set: string, filter: string, keyName = 'id'): Promise<{ status: number; keys: unknown }> {
  const res = await request(t.app).get(encode(`/odata/${set}?$filter=${filter}&$select=${keyName}`)).set('x-api-key', READ_KEY);
  if (res.status !== 200) return { status: res.status, keys: res.body };
  return { status: res.status, keys: (res.body.value as Record<string, unknown>[]).map((r) => r[keyName]).sort() };
}

async function expectAnalytics(filter: string, expected: readonly string[]): Promise<void> {
  expect(await matching('Analytics', filter)).toEqual({ status: 200, keys: [...expected].sort() });
}

describe('comparison operators', () => {
  it.each([
    ["intent eq 'order.food'", ['a1', 'a4']],
    ["intent ne 'order.food'", ['a2', 'a3', 'a5']],
    ['executionTime gt 80', ['a1', 'a4']],
    ['executionTime ge 80', ['a1', 'a2', 'a4']],
    ['executionTime lt 45', ['a5']],
    ['executionTime le 45', ['a3', 'a5']],
    ['intentScore gt 0.9', ['a1', 'a5']],
    ["inputText lt 'Pizza again'", ['a1', 'a5']],
    ['understood eq false', ['a3']],
    ['understood ne true', ['a3']],
    ['understood', ['a1', 'a2', 'a4', 'a5']],
    ["id eq 'a2'", ['a2']],
    ["'a2' eq id", ['a2']],
    ['executionTime eq execution mul 120', ['a1']],
  ])('%s', async (filter, expected) => expectAnalytics(filter, expected));
});

describe('logical operators and OData two-valued null logic', () => {
  it.each([
    ["intent eq 'order.food' and channel eq 'voice'", ['a4']],
    ["intent eq 'greeting' or executionTime lt 50", ['a3', 'a5']],
    ["not (intent eq 'order.food')", ['a2', 'a3', 'a5']],
    ["not (intent ne 'order.food')", ['a1', 'a4']],
    ['not (intentScore gt 0.8)', ['a2', 'a3']],
    ['not (intentScore lt 0.8)', ['a1', 'a3', 'a4', 'a5']],
    ["not contains(intent,'order')", ['a2', 'a3', 'a5']],
    ["not startswith(intent,'acc') and not (intent eq 'greeting')", ['a1', 'a3', 'a4']],
    ['not understood', ['a3']],
    ["not (intent eq 'order.food' or intent eq 'greeting')", ['a2', 'a3']],
    ["not (not (intent eq 'greeting'))", ['a5']],
    ["intent eq 'greeting' or not (intentScore ge 0)", ['a3', 'a5']],
  ])('%s', async (filter, expected) => expectAnalytics(filter, expected));
});

describe('null semantics', () => {
  it.each([
    ['intent eq null', ['a3']],
    ['null eq intent', ['a3']],
    ['intent ne null', ['a1', 'a2', 'a4', 'a5']],
    ['null ne intent', ['a1', 'a2', 'a4', 'a5']],
    ['custom1 eq null and intent ne null', ['a2', 'a4', 'a5']],
    ['intentScore gt null', []],
    ['intentScore lt 0.8', ['a2']],
    ['intentScore ge 0', ['a1', 'a2', 'a4', 'a5']],
    ['intentScore add 1 eq null', ['a3']],
    ["concat(intent,'x') eq null", ['a3']],
  ])('%s', async (filter, expected) => expectAnalytics(filter, expected));
});

describe('in', () => {
  it.each([
    ["intent in ('greeting','account.register')", ['a2', 'a5']],
    ["intent in ('greeting', null)", ['a3', 'a5']],
    ['intent in (null)', ['a3']],
    ['executionTime in (45, 30)', ['a3', 'a5']],
    ["id in ('a1')", ['a1']],
    ["not (intent in ('order.food'))", ['a2', 'a3', 'a5']],
    ["intent in ['greeting','order.food']", ['a1', 'a4', 'a5']],
    ["timestamp in (2024-01-16T10:00:30Z, 2024-01-17T11:00:05Z)", ['a4', 'a5']],
  ])('%s', async (filter, expected) => expectAnalytics(filter, expected));
});

describe('arithmetic and parentheses', () => {
  it.each([
    ['executionTime add 10 gt 100', ['a1', 'a4']],
    ['executionTime sub 20 le 25', ['a3', 'a5']],
    ['executionTime mul 2 ge 400', ['a4']],
    // Int32 div Int32 is integer division: 80 div 7 is 11, not 11.43.
    ['executionTime div 7 eq 11', ['a2']],
    ['executionTime div 7 eq 17', ['a1']],
    ['executionTime divby 8 eq 10', ['a2']],
    ['executionTime divby 7 gt 17', ['a1', 'a4']],
    ['executionTime mod 7 eq 1', ['a1']],
    ['intentScore mul 100 ge 90', ['a1', 'a5']],
    ['-executionTime lt -100', ['a1', 'a4']],
    ['(executionTime add 30) mul 2 eq 300', ['a1']],
    ['executionTime add 30 mul 2 eq 180', ['a1']],
    ["(intent eq 'greeting' or intent eq 'order.food') and executionTime lt 150", ['a1', 'a5']],
    ["intent eq 'greeting' or (intent eq 'order.food' and executionTime lt 150)", ['a1', 'a5']],
    ["intent eq 'greeting' or intent eq 'order.food' and executionTime gt 150", ['a4', 'a5']],
  ])('%s', async (filter, expected) => expectAnalytics(filter, expected));
});

describe('string functions', () => {
  it.each([
    ["contains(inputText,'pizza')", ['a1']],
    ["contains(inputText,'100%25')", ['a2']],
    ["contains(inputText,'%25')", ['a2']],
    // Unescaped, '%a' would match every text containing an 'a'.
    ["contains(inputText,'%25a')", []],
    ["contains(inputText,'_')", ['a2']],
    // Unescaped, 'p_zza' would match 'pizza'.
    ["contains(inputText,'p_zza')", []],
    ["startswith(inputText,'_')", []],
    ["startswith(inputText,'%25')", []],
    ["startswith(inputText,'Sign')", ['a2']],
    ["endswith(inputText,'sure_')", ['a2']],
    ["endswith(inputText,'_')", ['a2']],
    ["endswith(inputText,'%25')", []],
    ["contains(inputText,'%5C')", []],
    ['length(inputText) eq 11', ['a4']],
    ["indexof(inputText,'pizza') eq 18", ['a1']],
    ["indexof(inputText,'zzz') eq -1", ALL],
    ["substring(inputText,1,4) eq 'izza'", ['a4']],
    ["substring(inputText,18) eq 'pizza'", ['a1']],
    ["tolower(inputText) eq 'pizza again'", ['a4']],
    ["toupper(intent) eq 'GREETING'", ['a5']],
    ["trim(concat('  ',intent)) eq 'greeting'", ['a5']],
    ["concat(concat(intent,'/'),channel) eq 'order.food/voice'", ['a4']],
    ["matchesPattern(inputText,'^[A-Z]')", ['a1', 'a2', 'a4', 'a5']],
    ["matchesPattern(intent,'^order%5C.')", ['a1', 'a4']],
  ])('%s', async (filter, expected) => expectAnalytics(filter, expected));

  // m4 '50%_off' (flowName '50%'), m5 '50 percent off' ('50%'), m6 'back\slash' ('\'), m7 'a_b' ('_'), m8 'axb' ('_').
  it.each([
    ["contains(inputText,'%25_')", ['m4']],
    ["contains(inputText,'%5C')", ['m6']],
    ["startswith(inputText,'50%25')", ['m4']],
    ['startswith(inputText,flowName)', ['m4']],
    ['contains(inputText,flowName)', ['m4', 'm6', 'm7']],
    ['endswith(inputText,flowName)', []],
    ["contains(inputText,concat('_','b'))", ['m7']],
  ])('Conversations: %s escapes LIKE wildcards in the data and the pattern', async (filter, expected) => {
    expect(await matching('Conversations', filter)).toEqual({ status: 200, keys: expected });
  });
});

describe('date and time', () => {
  it.each([
    ['year(timestamp) eq 2024', ALL],
    ['month(timestamp) eq 1', ALL],
    ['day(timestamp) eq 17', ['a5']],
    ['hour(timestamp) eq 11', ['a5']],
    ['minute(timestamp) eq 2', ['a3']],
    ['second(timestamp) eq 30', ['a4']],
    ['fractionalseconds(timestamp) gt 0', ['a2']],
    ['fractionalseconds(timestamp) eq 0.123456', ['a2']],
    ['date(timestamp) eq 2024-01-16', ['a4']],
    ['date(timestamp) lt 2024-01-16', ['a1', 'a2', 'a3']],
    ['time(timestamp) lt 09:01:00', ['a1']],
    ['time(timestamp) ge 10:00:00', ['a4', 'a5']],
    ['totaloffsetminutes(timestamp) eq 0', ALL],
    ['timestamp lt now()', ALL],
    ['timestamp gt now()', []],
    ['timestamp gt mindatetime() and timestamp lt maxdatetime()', ALL],
    ['timestamp ge maxdatetime()', []],
  ])('%s', async (filter, expected) => expectAnalytics(filter, expected));
});

describe('DateTimeOffset literals', () => {
  it.each([
    ['timestamp ge 2024-01-16T00:00:00Z', ['a4', 'a5']],
    ['timestamp ge 2024-01-16T00:00:00z', ['a4', 'a5']],
    // 10:01:30+01:00 is 09:01:30Z: the offset is honoured, the instant compared.
    ['timestamp gt 2024-01-15T10:01:30%2B01:00', ['a3', 'a4', 'a5']],
    ['timestamp lt 2024-01-15T04:01:00-05:00', ['a1']],
    ['timestamp eq 2024-01-15T10:00:10%2B01:00', ['a1']],
    // Fractional seconds: a2 is at 09:01:00.123456.
    ['timestamp lt 2024-01-15T09:01:00.2Z', ['a1', 'a2']],
    ['timestamp gt 2024-01-15T09:01:00.123Z', ['a2', 'a3', 'a4', 'a5']],
    ['timestamp eq 2024-01-15T09:01:00.123456Z', ['a2']],
    ['timestamp eq 2024-01-15T10:01:00.123456%2B01:00', ['a2']],
    ['timestamp gt 2024-01-15T09:02Z', ['a4', 'a5']],
    // A date compared with an instant: midnight UTC of that day.
    ['timestamp ge 2024-01-16', ['a4', 'a5']],
    ['timestamp lt 2024-01-16', ['a1', 'a2', 'a3']],
    // Cognigy's documented quoted form.
    ["timestamp gt '2024-01-16T00:00:00.000Z'", ['a4', 'a5']],
    ["timestamp gt '2024-01-15T00:00:00.000Z'", ALL],
    ["timestamp le '2024-01-15T10:01:00%2B01:00'", ['a1']],
  ])('%s', async (filter, expected) => expectAnalytics(filter, expected));
});

describe('numeric functions, cast and isof', () => {
  it.each([
    ['round(intentScore) eq 1', ['a1', 'a2', 'a4', 'a5']],
    ['round(intentScore mul 10) eq 9', ['a1', 'a4']],
    ['floor(intentScore) eq 0', ['a1', 'a2', 'a4', 'a5']],
    ['floor(executionTime divby 7) eq 17', ['a1']],
    ['ceiling(executionTime divby 7) eq 18', ['a1']],
    ['ceiling(intentScore) eq 1', ['a1', 'a2', 'a4', 'a5']],
    ["cast(executionTime,Edm.String) eq '120'", ['a1']],
    ["cast('45',Edm.Int32) eq executionTime", ['a3']],
    ['cast(executionTime,Edm.Double) divby 3 eq 15', ['a3']],
    ['isof(executionTime,Edm.Int32)', ALL],
    ['isof(intent,Edm.Int32)', []],
  ])('%s', async (filter, expected) => expectAnalytics(filter, expected));
});

describe('navigation: single-valued paths and any/all over collections', () => {
  it.each([
    ["session/channel eq 'voice'", ['a4']],
    ["session/userType eq 'admin'", ['a4']],
    ['session/goals eq null', ['a5']],
    ['session/stepsCount ge 1', ['a1', 'a2', 'a3', 'a4']],
    ["contains(session/goals,'Account')", ['a1', 'a2', 'a3']],
    ["session/channel eq channel and intent eq 'order.food'", ['a1', 'a4']],
    // 4.01 Intermediate (401Int-3): eq/ne null on a single-valued navigation property.
    ['session ne null', ALL],
  ])('Analytics: %s', async (filter, expected) => expectAnalytics(filter, expected));

  it.each([
    ["analytics/any(a: a/intent eq 'account.register')", ['p1:s1']],
    ['analytics/any(a: a/intent eq null)', ['p1:s1']],
    ['analytics/all(a: a/understood eq true)', ['p1:s2', 'p2:s3']],
    ['analytics/any()', ['p1:s1', 'p1:s2', 'p2:s3']],
    ['conversations/any()', ['p1:s1', 'p1:s2', 'p2:s3']],
    ['escalations/any()', ['p1:s1']],
    ['not escalations/any()', ['p1:s2', 'p2:s3']],
    // all() over an empty collection is true.
    ['escalations/all(e: e/status eq \'opened\')', ['p1:s2', 'p2:s3']],
    ["completedTasks/any(t: t/task eq 'Order Placement')", ['p1:s1', 'p1:s2', 'p2:s3']],
    ["completedTasks/any(t: t/task eq 'Account Registration') and analytics/all(a: a/executionTime lt 150)", ['p1:s1']],
    // Unqualified names and $it inside a lambda refer to the outer session.
    ['analytics/any(a: a/executionTime gt $it/stepsCount mul 100)', ['p1:s2', 'p2:s3']],
    ['analytics/any(a: a/executionTime gt stepsCount mul 100)', ['p1:s2', 'p2:s3']],
    ["analytics/any(a: a/session/channel eq 'voice')", ['p1:s2']],
    ['analytics/$count gt 2', ['p1:s1']],
    ["analytics/$count($filter=intent eq 'order.food') eq 1", ['p1:s1', 'p1:s2']],
  ])('Sessions: %s', async (filter, expected) => {
    expect(await matching('Sessions', filter)).toEqual({ status: 200, keys: expected });
  });

  it.each([
    ["tasks/any(t: t/task eq 'Account Registration')", ['c1']],
    ['tasks/any(t: t/count gt 0) and age eq null', ['c2']],
    ["sessions/any(s: s/channel eq 'voice')", ['c2']],
  ])('ContactProfiles: %s', async (filter, expected) => {
    expect(await matching('ContactProfiles', filter, 'contactId')).toEqual({ status: 200, keys: expected });
  });

  it.each([
    ["CompletedTasks", "contactProfile/firstname eq 'Ada'", ['t1', 't2']],
    ['CompletedTasks', 'contactProfile/age gt 40', ['t4']],
    ['ExecutedSteps', "step/label eq 'Confirm order'", ['x2']],
    ['Conversations', "session/userId eq 'c3'", ['m3']],
    ['LiveAgentEscalations', "session/sessionId eq 's1'", ['h1']],
  ])('%s: %s', async (set, filter, expected) => {
    expect(await matching(set, filter)).toEqual({ status: 200, keys: expected });
  });
});

describe('parameter aliases', () => {
  it.each([
    ["intent eq @p&@p='greeting'", ['a5']],
    ['executionTime gt @n and execution lt @n&@n=2', ['a1', 'a4', 'a5']],
    ["contains(inputText,@s)&@s='pizza'", ['a1']],
    // inExpr = "in" ( listExpr / commonExpr ): an alias may stand for the whole list, as a JSON array.
    ['intent in @names&@names=["greeting","account.register"]', ['a2', 'a5']],
    ["intent eq @p&@p=@q&@q='greeting'", ['a5']],
    ['timestamp ge @t&@t=2024-01-16T00:00:00%2B00:00', ['a4', 'a5']],
    ['@cond&@cond=executionTime gt 150', ['a4']],
    // An alias without a value is null.
    ['intent eq @missing', ['a3']],
  ])('%s', async (filter, expected) => expectAnalytics(filter, expected));
});

describe('operator and function names are case-insensitive (4.01)', () => {
  it.each([
    ["intent EQ 'greeting'", ['a5']],
    ["intent Eq 'greeting'", ['a5']],
    ["Contains(inputText,'Pizza')", ['a4']],
    ["CONTAINS(inputText,'Pizza')", ['a4']],
    ["intent eq 'greeting' OR executionTime GT 150", ['a4', 'a5']],
    ["NOT (intent eq 'order.food') AND intent NE null", ['a2', 'a5']],
    ["intent IN ('greeting')", ['a5']],
    ["TOLOWER(intent) eq 'greeting'", ['a5']],
    ['executionTime MOD 7 eq 1', ['a1']],
    ['executionTime DivBy 8 eq 10', ['a2']],
    ['YEAR(timestamp) eq 2024 and Day(timestamp) eq 16', ['a4']],
    ['understood eq FALSE', ['a3']],
  ])('%s', async (filter, expected) => expectAnalytics(filter, expected));
});

describe('other entity sets', () => {
  it.each([
    ['Sessions', 'startedAt lt 2024-01-16T00:00:00Z', 'id', ['p1:s1']],
    ['Sessions', 'goals eq null', 'id', ['p2:s3']],
    ['Sessions', "contains(goals,'Order Placement')", 'id', ['p1:s1', 'p1:s2']],
    ['ContactProfiles', 'age gt 40', 'contactId', ['c3']],
    ['ContactProfiles', 'accepted_gdpr eq null', 'contactId', ['c2']],
    ['ContactProfiles', "lastname eq 'O''Brien'", 'contactId', ['c1']],
    ['ContactProfiles', "tasksCompleted eq 'Order Placement, Account Registration'", 'contactId', ['c1']],
    ['ContactTasks', "task eq 'Order Placement' and projectId eq 'p1'", 'contactId', ['c1', 'c2']],
    ['CompletedTasks', "userType eq 'admin'", 'id', ['t3']],
    ['Steps', "type eq 'node' and lastSeenAt gt 2024-01-16T00:00:00Z", 'id', ['p1:n1']],
    ['ExecutedSteps', "entityReferenceId eq 'n1'", 'id', ['x1', 'x3']],
    ['LiveAgentEscalations', "contains(labels,'pizza')", 'id', ['h1']],
    ['Conversations', "source eq 'bot' and sessionId eq 's1'", 'id', ['m2']],
  ])('%s: %s', async (set, filter, keyName, expected) => {
    expect(await matching(set, filter, keyName)).toEqual({ status: 200, keys: expected });
  });
});
