// GET /odata/<set> with $select, $orderby, $top, $skip, $count, /$count, $search and $compute → exact rows, order and shape.
import { taskfeedModel } from '../../src/model/entity-model';
import { SERVICE, useReadApp } from '../helpers/read-app';

// Analytics (test/fixtures/odata-seed.sql):
//   id  intent            score  exec  channel  session  timestamp             inputText
//   a1  order.food        0.91   120   webchat  s1       2024-01-15T09:00:10Z  'I want to order a pizza'
//   a2  account.register  0.75    80   webchat  s1       2024-01-15T09:01:00Z  'Sign me up: 100% sure_'
//   a3  null              null    45   webchat  s1       2024-01-15T09:02:00Z  'talk to a human'
//   a4  order.food        0.88   200   voice    s2       2024-01-16T10:00:30Z  'Pizza again'
//   a5  greeting          0.99    30   webchat  s3       2024-01-17T11:00:05Z  'Hello from another project'
const fixture = useReadApp();
const get = fixture.get;

async function idsOf(url: string): Promise<{ status: number; ids: unknown }> {
  const res = await get(url);
  if (res.status !== 200) return { status: res.status, ids: res.body };
  return { status: 200, ids: (res.body.value as { id: string }[]).map((r) => r.id) };
}

describe('$select', () => {
  it('returns exactly the selected properties and names them in the context URL', async () => {
    const res = await get("/odata/Analytics?$select=intent,id&$filter=id in ('a1','a3')&$orderby=id");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      '@odata.context': `${SERVICE}/$metadata#Analytics(id,intent)`,
      value: [
        { id: 'a1', intent: 'order.food' },
        { id: 'a3', intent: null },
      ],
    });
  });

  it('does not add the key when it is not selected', async () => {
    const res = await get('/odata/Analytics?$select=intentScore&$orderby=id&$top=2');
    expect(res.body.value).toEqual([{ intentScore: 0.91 }, { intentScore: 0.75 }]);
  });

  it('$select=* and no $select return every property of the entity type, in $metadata order', async () => {
    const names = taskfeedModel.entitySets.find((s) => s.name === 'Analytics')?.properties.map((p) => p.name);
    for (const url of ['/odata/Analytics?$select=*&$top=1', '/odata/Analytics?$top=1']) {
      const res = await get(url);
      expect(Object.keys(res.body.value[0])).toEqual(names);
      expect(res.body['@odata.context']).toBe(`${SERVICE}/$metadata#Analytics`);
    }
  });

  it('works with composite keys and on every entity set', async () => {
    const res = await get("/odata/ContactProfiles?$select=firstname,lastname,age&$filter=projectId eq 'p1'&$orderby=contactId");
    expect(res.body.value).toEqual([
      { firstname: 'Ada', lastname: "O'Brien", age: 36 },
      { firstname: 'Bo', lastname: null, age: null },
    ]);
  });

  it.each([
    ['unknown property', '/odata/Analytics?$select=id,nope', 'ODATA_MODEL_UNKNOWN_PROPERTY'],
    ['case matters for property names', '/odata/Analytics?$select=ID', 'ODATA_MODEL_UNKNOWN_PROPERTY'],
    ['empty item', '/odata/Analytics?$select=id,', 'ODATA_PARSE_SYNTAX'],
  ])('rejects %s with 400', async (_name, url, code) => {
    const res = await get(url);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code });
  });
});

describe('$orderby', () => {
  it.each([
    ['executionTime', ['a5', 'a3', 'a2', 'a1', 'a4']],
    ['executionTime desc', ['a4', 'a1', 'a2', 'a3', 'a5']],
    ['executionTime asc', ['a5', 'a3', 'a2', 'a1', 'a4']],
    // 4.01: asc/desc are case-insensitive.
    ['executionTime DESC', ['a4', 'a1', 'a2', 'a3', 'a5']],
    ['channel,timestamp desc', ['a4', 'a5', 'a3', 'a2', 'a1']],
    ['channel desc,executionTime', ['a5', 'a3', 'a2', 'a1', 'a4']],
    ['timestamp desc', ['a5', 'a4', 'a3', 'a2', 'a1']],
    ['length(inputText) desc', ['a5', 'a1', 'a2', 'a3', 'a4']],
    ['executionTime mod 7,id', ['a1', 'a5', 'a2', 'a3', 'a4']],
    // Through a single-valued navigation property.
    ['session/startedAt desc,id', ['a5', 'a4', 'a1', 'a2', 'a3']],
    ['session/channel,id desc', ['a4', 'a5', 'a3', 'a2', 'a1']],
  ])('%s', async (orderby, expected) => {
    expect(await idsOf(`/odata/Analytics?$select=id&$orderby=${orderby}`)).toEqual({ status: 200, ids: expected });
  });

  // OData 4.01 Part 1 §11.2.6.2: null values come before non-null values ascending, after them descending.
  it.each([
    ['intentScore', ['a3', 'a2', 'a4', 'a1', 'a5']],
    ['intentScore asc', ['a3', 'a2', 'a4', 'a1', 'a5']],
    ['intentScore desc', ['a5', 'a1', 'a4', 'a2', 'a3']],
    ['intent,id', ['a3', 'a2', 'a5', 'a1', 'a4']],
    ['intent desc,id desc', ['a4', 'a1', 'a5', 'a2', 'a3']],
    ['userType,intentScore desc', ['a4', 'a5', 'a1', 'a2', 'a3']],
  ])('nulls: %s', async (orderby, expected) => {
    expect(await idsOf(`/odata/Analytics?$select=id&$orderby=${orderby}`)).toEqual({ status: 200, ids: expected });
  });

  // 'id in ()' is false for every row: a valid order key (an OASIS ABNF vector) that orders nothing.
  it.each([
    ['id in ()', ['a1', 'a2', 'a3', 'a4', 'a5']],
    ['id in (),id desc', ['a5', 'a4', 'a3', 'a2', 'a1']],
    ['null gt 1,id', ['a1', 'a2', 'a3', 'a4', 'a5']],
  ])('a constant key: %s', async (orderby, expected) => {
    const res = await idsOf(`/odata/Analytics?$select=id&$orderby=${orderby}`);
    expect(res.status).toBe(200);
    if (orderby !== 'id in ()') expect(res.ids).toEqual(expected);
  });

  it('orders Sessions by a navigation count', async () => {
    expect(await idsOf('/odata/Sessions?$select=id&$orderby=analytics/$count desc,id')).toEqual({ status: 200, ids: ['p1:s1', 'p1:s2', 'p2:s3'] });
  });

  it.each([
    ['unknown property', '/odata/Analytics?$orderby=nope', 400],
    ['a collection', '/odata/Sessions?$orderby=analytics', 400],
    ['a bad direction', '/odata/Analytics?$orderby=id sideways', 400],
  ])('rejects %s', async (_name, url, status) => {
    expect((await get(url)).status).toBe(status);
  });
});

describe('$top, $skip and $count=true', () => {
  it.each([
    ['$top=2', ['a5', 'a3'], undefined],
    ['$skip=3', ['a1', 'a4'], undefined],
    ['$top=2&$skip=2', ['a2', 'a1'], undefined],
    ['$skip=2&$top=2', ['a2', 'a1'], undefined],
    ['$top=0', [], undefined],
    ['$skip=10', [], undefined],
    ['$count=true', ['a5', 'a3', 'a2', 'a1', 'a4'], 5],
    ['$count=true&$top=1&$skip=1', ['a3'], 5],
    ["$count=true&$filter=channel eq 'webchat'&$top=2", ['a5', 'a3'], 4],
    ['$count=true&$search=pizza', ['a1', 'a4'], 2],
    ['$count=false', ['a5', 'a3', 'a2', 'a1', 'a4'], undefined],
    ['$count=true&$filter=executionTime gt 1000', [], 0],
  ])('%s', async (options, expected, count) => {
    const res = await get(`/odata/Analytics?$select=id&$orderby=executionTime&${options}`);
    expect(res.status).toBe(200);
    expect(res.body.value.map((r: { id: string }) => r.id)).toEqual(expected);
    expect(res.body['@odata.count']).toBe(count);
  });

  it('puts @odata.count after the context and before the value', async () => {
    const res = await get('/odata/Analytics?$select=id&$count=true&$top=1');
    expect(Object.keys(res.body)).toEqual(['@odata.context', '@odata.count', 'value']);
  });

  it.each([
    ['$top=-1'],
    ['$top=x'],
    ['$skip=1.5'],
    ['$count=yes'],
  ])('%s → 400', async (options) => {
    const res = await get(`/odata/Analytics?${options}`);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'ODATA_PARSE_OPTION_VALUE' });
  });
});

describe('/$count', () => {
  it.each([
    ['/odata/Analytics/$count', '5'],
    ["/odata/Analytics/$count?$filter=intent eq 'order.food'", '2'],
    ['/odata/Analytics/$count?$search=pizza OR human', '3'],
    ['/odata/Analytics/$count?$filter=intent eq null', '1'],
    ["/odata/Sessions('p1:s1')/analytics/$count", '3'],
    ["/odata/Sessions('p1:s1')/analytics/$count?$filter=intent ne null", '2'],
    ['/odata/ContactTasks/$count', '4'],
    ['/odata/LiveAgentEscalations/$count', '1'],
  ])('%s → %s as text/plain', async (url, expected) => {
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe(expected);
  });
});

describe('$search', () => {
  it.each([
    ['pizza', ['a1', 'a4']],
    ['PIZZA', ['a1', 'a4']],
    ['pizza OR human', ['a1', 'a3', 'a4']],
    ['pizza AND again', ['a4']],
    ['pizza again', ['a4']],
    ['NOT pizza', ['a2', 'a3', 'a5']],
    ['pizza AND NOT again', ['a1']],
    ['(pizza OR human) AND NOT again', ['a1', 'a3']],
    ['"a pizza"', ['a1']],
    ['"to a"', ['a3']],
    ['"pizza again"', ['a4']],
    // Searchable properties: inputText, intent, completedGoalsList, ratingComment, flowName.
    ['register', ['a2']],
    ['placement', ['a1', 'a4']],
    ['100%25', ['a2']],
    ['sure_', ['a2']],
    ['%25a', []],
  ])('%s', async (search, expected) => {
    expect(await idsOf(`/odata/Analytics?$select=id&$orderby=id&$search=${search}`)).toEqual({ status: 200, ids: expected });
  });

  it('combines with $filter', async () => {
    expect(await idsOf("/odata/Analytics?$select=id&$orderby=id&$search=pizza OR human&$filter=channel eq 'webchat'")).toEqual({
      status: 200,
      ids: ['a1', 'a3'],
    });
  });
});

describe('$compute', () => {
  it('is usable in $filter, $orderby and $select', async () => {
    const res = await get('/odata/Analytics?$compute=executionTime mul 2 as dbl&$filter=dbl gt 200&$orderby=dbl desc&$select=id,dbl');
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe(`${SERVICE}/$metadata#Analytics(id,dbl)`);
    expect(res.body.value.map((r: Record<string, unknown>) => [r.id, r.dbl])).toEqual([
      ['a4', 400],
      ['a1', 240],
    ]);
  });

  it('computes strings, dates and several aliases', async () => {
    const res = await get(
      "/odata/Analytics?$compute=concat(intent,'!') as shout,year(timestamp) as y,date(timestamp) as d&$filter=shout eq 'greeting!'&$select=id,shout,y,d",
    );
    expect(res.status).toBe(200);
    expect(res.body.value).toHaveLength(1);
    expect(res.body.value[0]).toMatchObject({ id: 'a5', shout: 'greeting!', y: 2024, d: '2024-01-17' });
  });

  it('is not returned unless selected', async () => {
    const res = await get("/odata/Analytics?$compute=executionTime mul 2 as dbl&$select=id&$filter=id eq 'a1'");
    expect(res.body.value).toEqual([{ id: 'a1' }]);
  });

  it('rejects an alias that is already a property', async () => {
    expect((await get('/odata/Analytics?$compute=executionTime mul 2 as intent')).status).toBe(400);
  });

  it('rejects an alias that names a navigation property', async () => {
    expect((await get('/odata/Analytics?$compute=executionTime as session&$select=id')).status).toBe(400);
  });

  it('adds a duration to a date as an instant in UTC', async () => {
    const res = await get("/odata/Analytics?$filter=id eq 'a1'&$compute=2024-01-01 add duration'PT1H' as x&$select=x");
    expect(res.body.value).toEqual([{ 'x@odata.type': '#DateTimeOffset', x: '2024-01-01T01:00:00Z' }]);
  });
});

describe('expressions PostgreSQL cannot evaluate as written answer 400, not 500', () => {
  it.each([
    ['a cast PostgreSQL cannot perform', '$filter=cast(timestamp,Edm.Int32) eq 1', 400],
    ['a double cast to Boolean', '$filter=cast(intentScore,Edm.Boolean)', 400],
    ['an Int64 substring position', "$filter=substring('abc',9223372036854775807) eq ''", 200],
    ['a Guid expression compared with text (the values are no uuids)', '$filter=cast(intent,Edm.Guid) eq intent', 400],
    ['an edited skiptoken of the wrong type', '$orderby=understood&$skiptoken=eyJrIjpbInp6IiwieCJdfQ', 400],
  ])('%s', async (_name, query, status) => {
    expect((await get(`/odata/Analytics?$select=id&${query}`)).status).toBe(status);
  });

  it('matches a number list of mixed types', async () => {
    const res = await get('/odata/Analytics?$select=id&$filter=executionTime in (120,2.5,9223372036854775807)');
    expect(res.body.value).toEqual([{ id: 'a1' }]);
  });

  it('reads an unreadable q in Accept as 1', async () => {
    const res = await get('/odata/Analytics?$select=id&$top=1').set('Accept', '*/*;q=abc');
    expect(res.status).toBe(200);
  });
});
