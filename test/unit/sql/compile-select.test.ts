// compile-select: query text → parse → resolve/validate → plan → compileEntityPage → exact SQL text and parameter values.
import { taskfeedModel } from '../../../src/model/entity-model';
import { BindSession } from '../../../src/odata/bind-expr';
import { DEFAULT_LIMITS } from '../../../src/odata/limits';
import { parseResourcePath } from '../../../src/odata/parse-path';
import { parseQueryString } from '../../../src/odata/parse-query';
import { planEntities } from '../../../src/odata/plan';
import { bindResource } from '../../../src/odata/bind-path';
import { bindEntityQuery } from '../../../src/odata/bind-query';
import { compileEntityCount, compileEntityPage } from '../../../src/sql/compile-select';
import type { CompiledQuery } from '../../../src/sql/fragment';

interface Options {
  /** The caller's key: every project, or these. */
  readonly projects?: readonly string[];
  /** Order values of the previous page's last row (what a $skiptoken carries). */
  readonly after?: readonly unknown[];
}

/** The read pipeline of odata-routes up to the SQL, with a page size of 2 (so LIMIT 3). */
function plan(path: string, query: string, options: Options = {}) {
  const q = parseQueryString(query);
  const session = new BindSession(taskfeedModel, DEFAULT_LIMITS, q.aliases);
  const parsed = parseResourcePath(path);
  if (parsed.kind !== 'resource') throw new Error(`${path} is not a resource path`);
  const resource = bindResource(session, parsed.segments);
  const entityQuery = bindEntityQuery(session, resource.ref, q, resource.where);
  return planEntities(entityQuery, { pageSize: 2, after: options.after });
}

function compile(path: string, query: string, options: Options = {}): CompiledQuery {
  return compileEntityPage(plan(path, query, options), { projects: options.projects ?? 'all' });
}

const CASES: readonly (readonly [name: string, path: string, query: string, options: Options, text: string, values: readonly unknown[]])[] = [
  [
    'a projection: selected columns, the key, the order (key tie-break), one extra row',
    'Analytics',
    `$select=id,intent`,
    {},
    `SELECT t0."id" AS c0, t0."intent" AS c1, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 ORDER BY t0."id" ASC LIMIT $1::bigint`,
    [3],
  ],
  [
    'eq with a literal: a plain = (an index can serve it)',
    'Analytics',
    `$filter=intent eq 'x'&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE (t0."intent" = $1::text) ORDER BY t0."id" ASC LIMIT $2::bigint`,
    ['x', 3],
  ],
  [
    'ne: two-valued logic, null rows included',
    'Analytics',
    `$filter=intent ne 'x'&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE (t0."intent" IS DISTINCT FROM $1::text) ORDER BY t0."id" ASC LIMIT $2::bigint`,
    ['x', 3],
  ],
  [
    'eq null',
    'Analytics',
    `$filter=intent eq null&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE (t0."intent" IS NULL) ORDER BY t0."id" ASC LIMIT $1::bigint`,
    [3],
  ],
  [
    'ordering comparison with null is false',
    'Analytics',
    `$filter=intentScore gt null&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE (NOT true) ORDER BY t0."id" ASC LIMIT $1::bigint`,
    [3],
  ],
  [
    'not over a nullable comparison',
    'Analytics',
    `$filter=not (intent eq 'x')&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE (NOT coalesce((t0."intent" = $1::text), false)) ORDER BY t0."id" ASC LIMIT $2::bigint`,
    ['x', 3],
  ],
  [
    'in with null: one array parameter plus IS NULL',
    'Analytics',
    `$filter=intent in ('a','b',null)&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE (t0."intent" = ANY($1::text[]) OR t0."intent" IS NULL) ORDER BY t0."id" ASC LIMIT $2::bigint`,
    [['a', 'b'], 3],
  ],
  [
    'in from an alias holding a JSON array',
    'Analytics',
    `$filter=id in @ids&@ids=["a","b"]&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE (t0."id" = ANY($1::text[])) ORDER BY t0."id" ASC LIMIT $2::bigint`,
    [['a', 'b'], 3],
  ],
  [
    'contains: % _ and \\ of the literal escaped into the bound pattern',
    'Analytics',
    `$filter=contains(inputText,'50%25_%5C')&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE (t0."input_text" LIKE $1::text ESCAPE '\\') ORDER BY t0."id" ASC LIMIT $2::bigint`,
    ['%50\\%\\_\\\\%', 3],
  ],
  [
    'startswith over a column: the column\'s wildcards escaped in SQL',
    'Analytics',
    `$filter=startswith(inputText,flowName)&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE (t0."input_text" LIKE ('' || replace(replace(replace(t0."flow_name", '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%') ESCAPE '\\') ORDER BY t0."id" ASC LIMIT $1::bigint`,
    [3],
  ],
  [
    'a DateTimeOffset with an offset, bound as written',
    'Analytics',
    `$filter=timestamp gt 2024-01-15T10:00:00%2B01:00 and executionTime le 100&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE ((t0."occurred_at" > $1::timestamptz) AND (t0."execution_time" <= $2::integer)) ORDER BY t0."id" ASC LIMIT $3::bigint`,
    ['2024-01-15T10:00:00+01:00', 100, 3],
  ],
  [
    'Cognigy\'s quoted timestamp becomes a timestamptz parameter',
    'Analytics',
    `$filter=timestamp gt '2024-01-15T00:00:00.000Z'&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE (t0."occurred_at" > $1::timestamptz) ORDER BY t0."id" ASC LIMIT $2::bigint`,
    ['2024-01-15T00:00:00.000Z', 3],
  ],
  [
    'divby, mod and year()',
    'Analytics',
    `$filter=executionTime divby 2 gt 1 and executionTime mod 2 eq 0 and year(timestamp) eq 2024&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE (((trim_scale(t0."execution_time"::numeric / $1::integer::numeric) > $2::integer) AND ((t0."execution_time" % $3::integer) = $4::integer)) AND (extract(year from (t0."occurred_at" AT TIME ZONE 'UTC'))::integer = $5::integer)) ORDER BY t0."id" ASC LIMIT $6::bigint`,
    [2, 1, 2, 0, 2024, 3],
  ],
  [
    'a path through a single-valued navigation',
    'Analytics',
    `$filter=session/channel eq 'voice'&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE ((SELECT t1."channel" FROM "sessions" AS t1 WHERE t1."project_id" = t0."project_id" AND t1."session_id" = t0."session_id" LIMIT 1) = $1::text) ORDER BY t0."id" ASC LIMIT $2::bigint`,
    ['voice', 3],
  ],
  [
    'ne null on a single-valued navigation',
    'Analytics',
    `$filter=session ne null&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE EXISTS (SELECT 1 FROM "sessions" AS t1 WHERE t1."project_id" = t0."project_id" AND t1."session_id" = t0."session_id") ORDER BY t0."id" ASC LIMIT $1::bigint`,
    [3],
  ],
  [
    'any()',
    'Sessions',
    `$filter=analytics/any(a: a/intent eq 'x')&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "sessions" AS t0 WHERE EXISTS (SELECT 1 FROM "analytics" AS t1 WHERE t1."project_id" = t0."project_id" AND t1."session_id" = t0."session_id" AND (t1."intent" = $1::text)) ORDER BY t0."id" ASC LIMIT $2::bigint`,
    ['x', 3],
  ],
  [
    'all(): no related row where the predicate is not true',
    'Sessions',
    `$filter=analytics/all(a: a/understood)&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "sessions" AS t0 WHERE NOT EXISTS (SELECT 1 FROM "analytics" AS t1 WHERE t1."project_id" = t0."project_id" AND t1."session_id" = t0."session_id" AND NOT coalesce(t1."understood", false)) ORDER BY t0."id" ASC LIMIT $1::bigint`,
    [3],
  ],
  [
    'a navigation count',
    'Sessions',
    `$filter=analytics/$count gt 1&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "sessions" AS t0 WHERE ((SELECT count(*) FROM "analytics" AS t1 WHERE t1."project_id" = t0."project_id" AND t1."session_id" = t0."session_id") > $1::integer) ORDER BY t0."id" ASC LIMIT $2::bigint`,
    [1, 3],
  ],
  [
    '$search over every searchable column',
    'Analytics',
    `$search=pizza OR NOT "a b"&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE ((t0."input_text" ILIKE $1::text ESCAPE '\\' OR t0."intent" ILIKE $2::text ESCAPE '\\' OR t0."completed_goals_list" ILIKE $3::text ESCAPE '\\' OR t0."rating_comment" ILIKE $4::text ESCAPE '\\' OR t0."flow_name" ILIKE $5::text ESCAPE '\\') OR (NOT coalesce((t0."input_text" ILIKE $6::text ESCAPE '\\' OR t0."intent" ILIKE $7::text ESCAPE '\\' OR t0."completed_goals_list" ILIKE $8::text ESCAPE '\\' OR t0."rating_comment" ILIKE $9::text ESCAPE '\\' OR t0."flow_name" ILIKE $10::text ESCAPE '\\'), false))) ORDER BY t0."id" ASC LIMIT $11::bigint`,
    ['%pizza%', '%pizza%', '%pizza%', '%pizza%', '%pizza%', '%a b%', '%a b%', '%a b%', '%a b%', '%a b%', 3],
  ],
  [
    '$orderby desc with $top and $skip: key tie-break in the same direction, OFFSET',
    'Analytics',
    `$orderby=timestamp desc&$top=10&$skip=5&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."occurred_at" AS o0, t0."id" AS o1 FROM "analytics" AS t0 ORDER BY t0."occurred_at" DESC, t0."id" DESC LIMIT $1::bigint OFFSET $2::bigint`,
    [3, 5],
  ],
  [
    'a nullable column descending: nulls last',
    'Analytics',
    `$orderby=intent desc&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."intent" AS o0, t0."id" AS o1 FROM "analytics" AS t0 ORDER BY t0."intent" DESC NULLS LAST, t0."id" DESC LIMIT $1::bigint`,
    [3],
  ],
  [
    '$compute used in $select, $filter and $orderby',
    'Analytics',
    `$select=id,d&$compute=executionTime mul 2 as d&$filter=d gt 3&$orderby=d`,
    {},
    `SELECT t0."id" AS c0, (t0."execution_time" * $1::integer) AS c1, t0."id" AS k0, (t0."execution_time" * $2::integer) AS o0, t0."id" AS o1 FROM "analytics" AS t0 WHERE ((t0."execution_time" * $3::integer) > $4::integer) ORDER BY (t0."execution_time" * $5::integer) ASC NULLS FIRST, t0."id" ASC LIMIT $6::bigint`,
    [2, 2, 2, 3, 2, 3],
  ],
  [
    '$expand of a collection with nested options and count',
    'Sessions',
    `$expand=analytics($select=id;$filter=intent ne null;$orderby=timestamp desc;$top=2;$skip=1;$count=true)&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0, (SELECT coalesce(json_agg(x.v ORDER BY x.o0 DESC, x.o1 DESC), '[]'::json) FROM (SELECT json_build_array(t1."id") AS v, t1."occurred_at" AS o0, t1."id" AS o1 FROM "analytics" AS t1 WHERE t1."project_id" = t0."project_id" AND t1."session_id" = t0."session_id" AND (t1."intent" IS NOT NULL) ORDER BY t1."occurred_at" DESC, t1."id" DESC LIMIT $1::bigint OFFSET $2::bigint) AS x) AS e0, (SELECT count(*) FROM "analytics" AS t1 WHERE t1."project_id" = t0."project_id" AND t1."session_id" = t0."session_id" AND (t1."intent" IS NOT NULL)) AS n0 FROM "sessions" AS t0 ORDER BY t0."id" ASC LIMIT $3::bigint`,
    [2, 1, 3],
  ],
  [
    '$expand of a single-valued navigation',
    'Analytics',
    `$expand=session($select=channel)&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0, (SELECT json_build_array(t1."channel") FROM "sessions" AS t1 WHERE t1."project_id" = t0."project_id" AND t1."session_id" = t0."session_id" LIMIT 1) AS e0 FROM "analytics" AS t0 ORDER BY t0."id" ASC LIMIT $1::bigint`,
    [3],
  ],
  [
    'key access',
    'Analytics(\'a1\')',
    `$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE (t0."id" = $1::text) ORDER BY t0."id" ASC LIMIT $2::bigint`,
    ['a1', 3],
  ],
  [
    'composite key access',
    'ContactProfiles(projectId=\'p1\',contactId=\'c1\')',
    `$select=firstname`,
    {},
    `SELECT t0."firstname" AS c0, t0."project_id" AS k0, t0."contact_id" AS k1, t0."project_id" AS o0, t0."contact_id" AS o1 FROM "odata_contact_profiles" AS t0 WHERE (t0."project_id" = $1::text) AND (t0."contact_id" = $2::text) ORDER BY t0."project_id" ASC, t0."contact_id" ASC LIMIT $3::bigint`,
    ['p1', 'c1', 3],
  ],
  [
    'navigation from a key',
    'Sessions(\'p1:s1\')/analytics',
    `$select=id`,
    {},
    `SELECT t1."id" AS c0, t1."id" AS k0, t1."id" AS o0 FROM "analytics" AS t1 WHERE EXISTS (SELECT 1 FROM "sessions" AS t0 WHERE t0."project_id" = t1."project_id" AND t0."session_id" = t1."session_id" AND (t0."id" = $1::text)) ORDER BY t1."id" ASC LIMIT $2::bigint`,
    ['p1:s1', 3],
  ],
  [
    'a parameter alias is bound like a literal',
    'Analytics',
    `$filter=intent eq @p&@p='x'&$select=id`,
    {},
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE (t0."intent" = $1::text) ORDER BY t0."id" ASC LIMIT $2::bigint`,
    ['x', 3],
  ],
  [
    'a p1-only key: the restriction comes first',
    'Analytics',
    `$filter=intent eq 'x'&$select=id`,
    { projects: ['p1'] },
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "analytics" AS t0 WHERE t0."project_id" = ANY($1::text[]) AND (t0."intent" = $2::text) ORDER BY t0."id" ASC LIMIT $3::bigint`,
    [['p1'], 'x', 3],
  ],
  [
    'a p1-only key: expansions are restricted too',
    'Sessions',
    `$expand=analytics($select=id)&$select=id`,
    { projects: ['p1'] },
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0, (SELECT coalesce(json_agg(x.v ORDER BY x.o0 ASC), '[]'::json) FROM (SELECT json_build_array(t1."id") AS v, t1."id" AS o0 FROM "analytics" AS t1 WHERE t1."project_id" = t0."project_id" AND t1."session_id" = t0."session_id" AND t1."project_id" = ANY($1::text[]) ORDER BY t1."id" ASC) AS x) AS e0 FROM "sessions" AS t0 WHERE t0."project_id" = ANY($2::text[]) ORDER BY t0."id" ASC LIMIT $3::bigint`,
    [['p1'], ['p1'], 3],
  ],
  [
    'a p1-only key: both sides of a navigation from a key',
    'Sessions(\'p1:s1\')/analytics',
    `$select=id`,
    { projects: ['p1'] },
    `SELECT t1."id" AS c0, t1."id" AS k0, t1."id" AS o0 FROM "analytics" AS t1 WHERE t1."project_id" = ANY($1::text[]) AND EXISTS (SELECT 1 FROM "sessions" AS t0 WHERE t0."project_id" = t1."project_id" AND t0."session_id" = t1."session_id" AND t0."project_id" = ANY($2::text[]) AND (t0."id" = $3::text)) ORDER BY t1."id" ASC LIMIT $4::bigint`,
    [['p1'], ['p1'], 'p1:s1', 3],
  ],
  [
    'a p1-only key: lambdas',
    'Sessions',
    `$filter=analytics/any()&$select=id`,
    { projects: ['p1'] },
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."id" AS o0 FROM "sessions" AS t0 WHERE t0."project_id" = ANY($1::text[]) AND EXISTS (SELECT 1 FROM "analytics" AS t1 WHERE t1."project_id" = t0."project_id" AND t1."session_id" = t0."session_id" AND t1."project_id" = ANY($2::text[])) ORDER BY t0."id" ASC LIMIT $3::bigint`,
    [['p1'], ['p1'], 3],
  ],
  [
    'next page after a skiptoken, non-null columns one direction: a row comparison',
    'Analytics',
    `$orderby=timestamp desc&$select=id`,
    { after: ['2024-01-15 09:00:10+00', 'a1'] },
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."occurred_at" AS o0, t0."id" AS o1 FROM "analytics" AS t0 WHERE ((t0."occurred_at", t0."id") < ($1::timestamptz, $2::text)) ORDER BY t0."occurred_at" DESC, t0."id" DESC LIMIT $3::bigint`,
    ['2024-01-15 09:00:10+00', 'a1', 3],
  ],
  [
    'next page after a null in a nullable ascending column',
    'Analytics',
    `$orderby=intent&$select=id`,
    { after: [null, 'a3'] },
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."intent" AS o0, t0."id" AS o1 FROM "analytics" AS t0 WHERE (((t0."intent" IS NOT NULL)) OR (t0."intent" IS NOT DISTINCT FROM $1::text AND (t0."id" > $2::text))) ORDER BY t0."intent" ASC NULLS FIRST, t0."id" ASC LIMIT $3::bigint`,
    [null, 'a3', 3],
  ],
  [
    'next page after a value in a nullable ascending column',
    'Analytics',
    `$orderby=intent&$select=id`,
    { after: ['order.food', 'a1'] },
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."intent" AS o0, t0."id" AS o1 FROM "analytics" AS t0 WHERE (((t0."intent" > $1::text)) OR (t0."intent" IS NOT DISTINCT FROM $2::text AND (t0."id" > $3::text))) ORDER BY t0."intent" ASC NULLS FIRST, t0."id" ASC LIMIT $4::bigint`,
    ['order.food', 'order.food', 'a1', 3],
  ],
  [
    'next page, mixed directions over a nullable column',
    'Analytics',
    `$orderby=intent desc,timestamp&$select=id`,
    { after: ['x', '2024-01-15 09:00:10+00', 'a1'] },
    `SELECT t0."id" AS c0, t0."id" AS k0, t0."intent" AS o0, t0."occurred_at" AS o1, t0."id" AS o2 FROM "analytics" AS t0 WHERE (((t0."intent" < $1::text OR t0."intent" IS NULL)) OR (t0."intent" IS NOT DISTINCT FROM $2::text AND (t0."occurred_at" > $3::timestamptz)) OR (t0."intent" IS NOT DISTINCT FROM $4::text AND t0."occurred_at" IS NOT DISTINCT FROM $5::timestamptz AND (t0."id" > $6::text))) ORDER BY t0."intent" DESC NULLS LAST, t0."occurred_at" ASC, t0."id" ASC LIMIT $7::bigint`,
    ['x', 'x', '2024-01-15 09:00:10+00', 'x', '2024-01-15 09:00:10+00', 'a1', 3],
  ],
];

describe('compileEntityPage', () => {
  it.each(CASES)('%s: %s?%s', (_name, path, query, options, text, values) => {
    const compiled = compile(path, query, options);
    expect(compiled).toEqual({ text, values });
    expect(Object.isFrozen(compiled)).toBe(true);
  });
});

describe('compileEntityCount', () => {
  it.each([
    ['every project', undefined, `SELECT count(*) AS count FROM "analytics" AS t0 WHERE (t0."intent" = $1::text)`, ['x']],
    ['a p1-only key', ['p1'], `SELECT count(*) AS count FROM "analytics" AS t0 WHERE t0."project_id" = ANY($1::text[]) AND (t0."intent" = $2::text)`, [['p1'], 'x']],
  ] as const)('ignores $top, $skip and $orderby (%s)', (_name, projects, text, values) => {
    const p = plan('Analytics', "$filter=intent eq 'x'&$top=1&$skip=3&$orderby=timestamp desc");
    expect(compileEntityCount(p, { projects: projects ?? 'all' })).toEqual({ text, values });
  });
});

describe('user text never reaches the SQL text', () => {
  it.each([
    ['$filter=intent eq \'x\'\' or 1=1 --\'&$select=id', 'x\' or 1=1 --'],
    ['$filter=contains(inputText,\'\'\'; DROP TABLE analytics; --\')&$select=id', '%\'; DROP TABLE analytics; --%'],
    ["$filter=intent eq @p&@p='\"; SELECT 1; --'&$select=id", '"; SELECT 1; --'],
    ['$search="; DELETE FROM analytics"&$select=id', '%; DELETE FROM analytics%'],
  ])('%s', (query, value) => {
    const compiled = compile('Analytics', query);
    expect(compiled.values).toContain(value);
    expect(compiled.text).not.toMatch(/DROP|DELETE|SELECT 1|1=1/);
  });
});
