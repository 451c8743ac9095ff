// $apply text → parse (real parser) → bind against taskfeedModel → compile: exact SQL text and parameters.
import { taskfeedModel } from '../../../src/model/entity-model';
import { bindApply } from '../../../src/odata/bind-apply';
import type { BoundApply } from '../../../src/odata/bound';
import { BindSession } from '../../../src/odata/bind-expr';
import { DEFAULT_LIMITS } from '../../../src/odata/limits';
import { parseResourcePath } from '../../../src/odata/parse-path';
import { parseQueryString } from '../../../src/odata/parse-query';
import { bindResource } from '../../../src/odata/bind-path';
import { compileApplyCount, compileApplyPage } from '../../../src/sql/compile-apply';
import { applyContext } from '../../../src/serialize/context-url';

const P1 = { projects: ['p1'] } as const;

function plan(set: string, query: string): BoundApply {
  const q = parseQueryString(query);
  const session = new BindSession(taskfeedModel, DEFAULT_LIMITS, q.aliases);
  const path = parseResourcePath(set);
  if (path.kind !== 'resource') throw new Error(`not a resource path: ${set}`);
  const resource = bindResource(session, path.segments);
  if (resource.kind !== 'collection') throw new Error(`not a collection: ${set}`);
  return bindApply(session, resource, q);
}

describe('compileApplyPage', () => {
  it.each([
  [
    "Analytics",
    "$apply=aggregate(executionTime with sum as total,executionTime with average as mean,intentScore with average as score,intent with countdistinct as intents,$count as n)",
    "WITH s$1 AS (SELECT sum(t0.\"execution_time\") AS a$0, trim_scale(avg(t0.\"execution_time\")) AS a$1, avg(t0.\"intent_score\") AS a$2, (count(DISTINCT t0.\"intent\"))::bigint AS a$3, (count(*))::bigint AS a$4 FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($1::text[]) GROUP BY ()) SELECT s$1.\"a$0\" AS c0, s$1.\"a$1\" AS c1, s$1.\"a$2\" AS c2, s$1.\"a$3\" AS c3, s$1.\"a$4\" AS c4 FROM s$1 ORDER BY s$1.\"a$0\" ASC NULLS FIRST, s$1.\"a$1\" ASC NULLS FIRST, s$1.\"a$2\" ASC NULLS FIRST, s$1.\"a$3\" ASC NULLS FIRST, s$1.\"a$4\" ASC NULLS FIRST LIMIT $2::bigint",
    [["p1"], 1001],
  ],
  [
    "Analytics",
    "$apply=groupby((intent),aggregate($count as n))",
    "WITH s$1 AS (SELECT t0.\"intent\" AS g$0, (count(*))::bigint AS a$1 FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($1::text[]) GROUP BY 1) SELECT s$1.\"g$0\" AS c0, s$1.\"a$1\" AS c1 FROM s$1 ORDER BY s$1.\"g$0\" ASC NULLS FIRST, s$1.\"a$1\" ASC NULLS FIRST LIMIT $2::bigint",
    [["p1"], 1001],
  ],
  [
    "Analytics",
    "$apply=groupby((channel))",
    "WITH s$1 AS (SELECT t0.\"channel\" AS g$0 FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($1::text[]) GROUP BY 1) SELECT s$1.\"g$0\" AS c0 FROM s$1 ORDER BY s$1.\"g$0\" ASC NULLS FIRST LIMIT $2::bigint",
    [["p1"], 1001],
  ],
  [
    "Analytics",
    "$apply=filter(channel eq 'web')/groupby((intent,session/channel),aggregate(executionTime with max as slowest))&$filter=slowest gt 100&$orderby=slowest desc",
    "WITH s$1 AS (SELECT t0.\"intent\" AS g$0, (SELECT t1.\"channel\" FROM \"sessions\" AS t1 WHERE t1.\"project_id\" = t0.\"project_id\" AND t1.\"session_id\" = t0.\"session_id\" AND t1.\"project_id\" = ANY($1::text[]) LIMIT 1) AS g$1, max(t0.\"execution_time\") AS a$2 FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($2::text[]) AND (t0.\"channel\" = $3::text) GROUP BY 1, 2) SELECT s$1.\"g$0\" AS c0, s$1.\"g$1\" AS c1, s$1.\"a$2\" AS c2 FROM s$1 WHERE (s$1.\"a$2\" > $4::integer) ORDER BY s$1.\"a$2\" DESC NULLS LAST, s$1.\"g$0\" ASC NULLS FIRST, s$1.\"g$1\" ASC NULLS FIRST LIMIT $5::bigint",
    [["p1"], ["p1"], "web", 100, 1001],
  ],
  [
    "Analytics",
    "$apply=groupby((channel),filter(intent eq 'cancel')/aggregate($count as cancels))",
    "WITH s$1 AS (SELECT t0.\"channel\" AS g$0, (count(*) FILTER (WHERE (t0.\"intent\" = $1::text)))::bigint AS a$1 FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($2::text[]) GROUP BY 1) SELECT s$1.\"g$0\" AS c0, s$1.\"a$1\" AS c1 FROM s$1 ORDER BY s$1.\"g$0\" ASC NULLS FIRST, s$1.\"a$1\" ASC NULLS FIRST LIMIT $3::bigint",
    ["cancel", ["p1"], 1001],
  ],
  [
    "Analytics",
    "$apply=aggregate(session/stepsCount with sum as steps)",
    "WITH s$1 AS (SELECT t0.* FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($1::text[])), s$2 AS (SELECT (SELECT sum(t2.\"steps_count\") FROM \"sessions\" AS t2 WHERE EXISTS (SELECT 1 FROM s$1 AS t1 WHERE t2.\"project_id\" = t1.\"project_id\" AND t2.\"session_id\" = t1.\"session_id\" AND t2.\"project_id\" = ANY($2::text[]))) AS a$0 FROM s$1 GROUP BY ()) SELECT s$2.\"a$0\" AS c0 FROM s$2 ORDER BY s$2.\"a$0\" ASC NULLS FIRST LIMIT $3::bigint",
    [["p1"], ["p1"], 1001],
  ],
  [
    "Analytics",
    "$apply=compute(date(timestamp) as day)/groupby((day),aggregate($count as n))",
    "WITH s$1 AS (SELECT (t0.\"occurred_at\" AT TIME ZONE 'UTC')::date AS g$0, (count(*))::bigint AS a$1 FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($1::text[]) GROUP BY 1) SELECT s$1.\"g$0\" AS c0, s$1.\"a$1\" AS c1 FROM s$1 ORDER BY s$1.\"g$0\" ASC NULLS FIRST, s$1.\"a$1\" ASC NULLS FIRST LIMIT $2::bigint",
    [["p1"], 1001],
  ],
  [
    "CompletedTasks",
    "$apply=groupby((task,sessionId))/groupby((task),aggregate($count as sessions))/orderby(sessions desc)/top(10)",
    "WITH s$1 AS (SELECT t0.\"task\" AS g$0, t0.\"session_id\" AS g$1 FROM \"completed_tasks\" AS t0 WHERE t0.\"project_id\" = ANY($1::text[]) GROUP BY 1, 2), s$2 AS (SELECT s$1.\"g$0\" AS g$2, (count(*))::bigint AS a$3 FROM s$1 GROUP BY 1), s$3 AS (SELECT s$2.* FROM s$2 ORDER BY s$2.\"a$3\" DESC NULLS LAST, s$2.\"g$2\" ASC NULLS FIRST LIMIT $2::bigint) SELECT s$3.\"g$2\" AS c0, s$3.\"a$3\" AS c1 FROM s$3 ORDER BY s$3.\"a$3\" DESC NULLS LAST, s$3.\"g$2\" ASC NULLS FIRST LIMIT $3::bigint",
    [["p1"], 10, 1001],
  ],
  [
    "Analytics",
    "$apply=topcount(2,executionTime)&$select=id",
    "WITH s$1 AS (SELECT t0.* FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($1::text[]) ORDER BY t0.\"execution_time\" DESC NULLS LAST, t0.\"id\" ASC LIMIT $2::bigint) SELECT s$1.\"id\" AS c0 FROM s$1 ORDER BY s$1.\"execution_time\" DESC NULLS LAST, s$1.\"id\" ASC LIMIT $3::bigint",
    [["p1"], 2, 1001],
  ],
  [
    "Analytics",
    "$apply=toppercent(50,executionTime)&$select=id",
    "WITH s$1 AS (SELECT t0.*, sum(t0.\"execution_time\") OVER (ORDER BY t0.\"execution_time\" DESC NULLS LAST, t0.\"id\" ASC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS w$0, sum(t0.\"execution_time\") OVER () AS w$1 FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($1::text[])) SELECT s$1.\"id\" AS c0 FROM s$1 WHERE (coalesce(s$1.\"w$0\", 0) < $2::numeric * s$1.\"w$1\" / 100) ORDER BY s$1.\"execution_time\" DESC NULLS LAST, s$1.\"id\" ASC LIMIT $3::bigint",
    [["p1"], "50", 1001],
  ],
  [
    "Analytics",
    "$apply=bottomsum(250,executionTime)&$select=id",
    "WITH s$1 AS (SELECT t0.*, sum(t0.\"execution_time\") OVER (ORDER BY t0.\"execution_time\" ASC NULLS LAST, t0.\"id\" ASC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS w$0 FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($1::text[])) SELECT s$1.\"id\" AS c0 FROM s$1 WHERE (coalesce(s$1.\"w$0\", 0) < $2::numeric) ORDER BY s$1.\"execution_time\" ASC NULLS LAST, s$1.\"id\" ASC LIMIT $3::bigint",
    [["p1"], "250", 1001],
  ],
  [
    "Analytics",
    "$apply=search(order)/aggregate($count as n)",
    "WITH s$1 AS (SELECT (count(*))::bigint AS a$0 FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($1::text[]) AND (t0.\"input_text\" ILIKE $2::text ESCAPE '\\' OR t0.\"intent\" ILIKE $3::text ESCAPE '\\' OR t0.\"completed_goals_list\" ILIKE $4::text ESCAPE '\\' OR t0.\"rating_comment\" ILIKE $5::text ESCAPE '\\' OR t0.\"flow_name\" ILIKE $6::text ESCAPE '\\') GROUP BY ()) SELECT s$1.\"a$0\" AS c0 FROM s$1 ORDER BY s$1.\"a$0\" ASC NULLS FIRST LIMIT $7::bigint",
    [["p1"], "%order%", "%order%", "%order%", "%order%", "%order%", 1001],
  ],
  [
    "Analytics",
    "$apply=concat(groupby((channel),aggregate($count as n)),aggregate($count as n))",
    "WITH s$1 AS (SELECT t0.* FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($1::text[])), s$2 AS (SELECT s$1.\"channel\" AS g$0, (count(*))::bigint AS a$1 FROM s$1 GROUP BY 1), s$3 AS (SELECT (count(*))::bigint AS a$2 FROM s$1 GROUP BY ()), s$4 AS ((SELECT $2::integer AS h$5, row_number() OVER (ORDER BY s$2.\"g$0\" ASC NULLS FIRST, s$2.\"a$1\" ASC NULLS FIRST) AS r$6, s$2.\"g$0\" AS u$3, s$2.\"a$1\" AS u$4 FROM s$2) UNION ALL (SELECT $3::integer AS h$5, row_number() OVER (ORDER BY s$3.\"a$2\" ASC NULLS FIRST) AS r$6, (NULL)::text AS u$3, s$3.\"a$2\" AS u$4 FROM s$3)) SELECT s$4.\"u$3\" AS c0, s$4.\"u$4\" AS c1, s$4.\"h$5\" AS sh FROM s$4 ORDER BY s$4.\"h$5\" ASC NULLS FIRST, s$4.\"r$6\" ASC NULLS FIRST, s$4.\"u$3\" ASC NULLS FIRST, s$4.\"u$4\" ASC NULLS FIRST LIMIT $4::bigint",
    [["p1"], 0, 1, 1001],
  ],
  [
    "Analytics",
    "$apply=groupby((userType,rollup(channel,intent)),aggregate($count as n))",
    "WITH s$1 AS (SELECT t0.\"user_type\" AS g$4, t0.\"channel\" AS g$5, t0.\"intent\" AS g$6 FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($1::text[])), s$2 AS (SELECT s$1.\"g$4\" AS g$0, s$1.\"g$5\" AS g$1, s$1.\"g$6\" AS g$2, (count(*))::bigint AS a$3, GROUPING(s$1.\"g$5\", s$1.\"g$6\") AS h$7 FROM s$1 GROUP BY GROUPING SETS ((s$1.\"g$4\", s$1.\"g$5\", s$1.\"g$6\"), (s$1.\"g$4\", s$1.\"g$5\"))) SELECT s$2.\"g$0\" AS c0, s$2.\"g$1\" AS c1, s$2.\"g$2\" AS c2, s$2.\"a$3\" AS c3, s$2.\"h$7\" AS sh FROM s$2 ORDER BY s$2.\"g$0\" ASC NULLS FIRST, s$2.\"g$1\" ASC NULLS FIRST, s$2.\"g$2\" ASC NULLS FIRST, s$2.\"a$3\" ASC NULLS FIRST, s$2.\"h$7\" ASC NULLS FIRST LIMIT $2::bigint",
    [["p1"], 1001],
  ],
  [
    "Analytics",
    "$apply=groupby((channel),topcount(1,executionTime))&$select=id",
    "WITH s$1 AS (SELECT t0.*, t0.\"channel\" AS k$0 FROM \"analytics\" AS t0 WHERE t0.\"project_id\" = ANY($1::text[])), s$2 AS (SELECT s$1.*, row_number() OVER (PARTITION BY s$1.\"k$0\" ORDER BY s$1.\"execution_time\" DESC NULLS LAST, s$1.\"id\" ASC) AS w$1 FROM s$1) SELECT s$2.\"id\" AS c0 FROM s$2 WHERE (s$2.\"w$1\" <= $2::bigint) ORDER BY s$2.\"execution_time\" DESC NULLS LAST, s$2.\"id\" ASC LIMIT $3::bigint",
    [["p1"], "1", 1001],
  ],
  ])('%s?%s', (set, query, text, values) => {
    const compiled = compileApplyPage(plan(set, query), { limit: 1001, offset: 0 }, P1);
    expect(compiled.text).toBe(text);
    expect(compiled.values).toEqual(values);
  });

  it('pages with OFFSET and reads every project without a restriction', () => {
    const compiled = compileApplyPage(plan('Analytics', '$apply=groupby((intent))'), { limit: 3, offset: 4 }, { projects: 'all' });
    expect(compiled.text).toBe(
      'WITH s$1 AS (SELECT t0."intent" AS g$0 FROM "analytics" AS t0 GROUP BY 1) SELECT s$1."g$0" AS c0 FROM s$1 ORDER BY s$1."g$0" ASC NULLS FIRST LIMIT $1::bigint OFFSET $2::bigint',
    );
    expect(compiled.values).toEqual([3, 4]);
  });
});

describe('compileApplyCount', () => {
  it('counts the rows after $filter, ignoring the order', () => {
    const compiled = compileApplyCount(plan('Analytics', '$apply=groupby((intent),aggregate($count as n))&$filter=n gt 1&$orderby=n desc'), P1);
    expect(compiled.text).toBe(
      'WITH s$1 AS (SELECT t0."intent" AS g$0, (count(*))::bigint AS a$1 FROM "analytics" AS t0 WHERE t0."project_id" = ANY($1::text[]) GROUP BY 1) SELECT count(*) AS count FROM (SELECT s$1."g$0" AS c0, s$1."a$1" AS c1 FROM s$1 WHERE (s$1."a$1" > $2::integer)) AS r',
    );
    expect(compiled.values).toEqual([['p1'], 1]);
  });
});

describe('bindApply', () => {
  it('types aggregates as dynamic properties', () => {
    const p = plan('Analytics', '$apply=groupby((session/channel),aggregate(executionTime with sum as s,executionTime with average as m,intentScore with sum as d,executionTime with min as lo,$count as n))');
    expect(p.output.map((c) => [c.name, c.type, c.path ?? [], c.dynamic === true])).toEqual([
      ['channel', 'Edm.String', ['session'], false],
      ['s', 'Edm.Int64', [], true],
      ['m', 'Edm.Decimal', [], true],
      ['d', 'Edm.Double', [], true],
      ['lo', 'Edm.Int32', [], true],
      ['n', 'Edm.Int64', [], true],
    ]);
    expect(applyContext('h', 'Analytics', p.contextColumns)).toBe('h/$metadata#Analytics(session(channel),s,m,d,lo,n)');
  });

  it('never puts an alias from the request into the SQL text', () => {
    const compiled = compileApplyPage(plan('Analytics', '$apply=groupby((intent),aggregate($count as Robert_DROP_TABLE))/compute(Robert_DROP_TABLE add 1 as x_select)'), { limit: 2, offset: 0 }, P1);
    expect(compiled.text).not.toMatch(/Robert|x_select/);
  });

  it('describes each shape of a concat result', () => {
    const p = plan('Analytics', '$apply=concat(groupby((channel),aggregate($count as n)),aggregate($count as n))');
    expect(p.output.map((c) => c.name)).toEqual(['channel', 'n']);
    expect(p.shapes).toEqual({ column: 'sh', members: [[0, 1], [1]] });
    expect(applyContext('h', 'Analytics', p.contextColumns)).toBe('h/$metadata#Analytics(n)');
  });
});
