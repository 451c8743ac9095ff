// GET /odata/<set>?$expand=… → related entities inline, with nested $filter/$select/$orderby/$top/$skip/$count/$search/$expand.
import request from 'supertest';
import { taskfeedModel } from '../../src/model/entity-model';
import { READ_KEY } from '../helpers/test-app';
import { SERVICE, useReadApp } from '../helpers/read-app';

const fixture = useReadApp();
const get = fixture.get;

describe('$expand of a collection-valued navigation property', () => {
  it('applies nested $select, $orderby, $top and $count', async () => {
    const res = await get('/odata/Sessions?$select=id&$orderby=id&$expand=analytics($select=id,intent;$orderby=timestamp desc;$top=2;$count=true)');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      '@odata.context': `${SERVICE}/$metadata#Sessions(id,analytics(id,intent))`,
      value: [
        {
          id: 'p1:s1',
          'analytics@odata.count': 3,
          analytics: [
            { id: 'a3', intent: null },
            { id: 'a2', intent: 'account.register' },
          ],
        },
        { id: 'p1:s2', 'analytics@odata.count': 1, analytics: [{ id: 'a4', intent: 'order.food' }] },
        { id: 'p2:s3', 'analytics@odata.count': 1, analytics: [{ id: 'a5', intent: 'greeting' }] },
      ],
    });
  });

  it('writes the nested count before the collection', async () => {
    const res = await get("/odata/Sessions?$select=id&$filter=id eq 'p1:s1'&$expand=analytics($select=id;$count=true)");
    expect(Object.keys(res.body.value[0])).toEqual(['id', 'analytics@odata.count', 'analytics']);
  });

  it.each([
    ['$filter=intent ne null', { 'p1:s1': ['a1', 'a2'], 'p1:s2': ['a4'], 'p2:s3': ['a5'] }],
    ["$filter=contains(inputText,'a')", { 'p1:s1': ['a1', 'a3'], 'p1:s2': ['a4'], 'p2:s3': ['a5'] }],
    ['$orderby=executionTime', { 'p1:s1': ['a3', 'a2', 'a1'], 'p1:s2': ['a4'], 'p2:s3': ['a5'] }],
    ['$orderby=executionTime desc;$skip=1', { 'p1:s1': ['a2', 'a3'], 'p1:s2': [], 'p2:s3': [] }],
    ['$orderby=executionTime desc;$skip=1;$top=1', { 'p1:s1': ['a2'], 'p1:s2': [], 'p2:s3': [] }],
    ['$top=0', { 'p1:s1': [], 'p1:s2': [], 'p2:s3': [] }],
    ['$search=pizza OR human', { 'p1:s1': ['a1', 'a3'], 'p1:s2': ['a4'], 'p2:s3': [] }],
    ["$filter=session/channel eq 'voice'", { 'p1:s1': [], 'p1:s2': ['a4'], 'p2:s3': [] }],
    ['$orderby=intent desc,id', { 'p1:s1': ['a1', 'a2', 'a3'], 'p1:s2': ['a4'], 'p2:s3': ['a5'] }],
  ])('analytics(%s)', async (options, expected) => {
    const res = await get(`/odata/Sessions?$select=id&$orderby=id&$expand=analytics(${options};$select=id)`);
    expect(res.status).toBe(200);
    const got = Object.fromEntries(
      (res.body.value as { id: string; analytics: { id: string }[] }[]).map((s) => [s.id, s.analytics.map((a) => a.id)]),
    );
    expect(got).toEqual(expected);
  });

  it('counts the filtered collection, not the page of it', async () => {
    const res = await get(
      "/odata/Sessions?$select=id&$filter=id eq 'p1:s1'&$expand=analytics($filter=intent ne null;$select=id;$orderby=timestamp desc;$skip=1;$top=1;$count=true)",
    );
    expect(res.body.value).toEqual([{ id: 'p1:s1', 'analytics@odata.count': 2, analytics: [{ id: 'a1' }] }]);
  });

  it('returns every property of an expanded entity when no nested $select is given, nulls included', async () => {
    const res = await get("/odata/Sessions?$select=id&$filter=id eq 'p1:s1'&$expand=escalations");
    expect(res.body.value[0].escalations).toEqual([
      expect.objectContaining({ id: 'h1', projectId: 'p1', status: 'resolved', agentName: null, teamName: null, labels: 'vip,pizza' }),
    ]);
    const properties = taskfeedModel.entitySets.find((s) => s.name === 'LiveAgentEscalations')?.properties.map((p) => p.name);
    expect(Object.keys(res.body.value[0].escalations[0])).toEqual(properties);
  });

  it('expands several navigation properties side by side and from a composite-key set', async () => {
    const res = await get("/odata/ContactProfiles?$select=contactId&$filter=projectId eq 'p1'&$orderby=contactId&$expand=tasks($select=task;$orderby=task),sessions($select=id),completedTasks($select=id;$orderby=id)");
    expect(res.body).toEqual({
      '@odata.context': `${SERVICE}/$metadata#ContactProfiles(contactId,tasks(task),sessions(id),completedTasks(id))`,
      value: [
        {
          contactId: 'c1',
          tasks: [{ task: 'Account Registration' }, { task: 'Order Placement' }],
          completedTasks: [{ id: 't1' }, { id: 't2' }],
          sessions: [{ id: 'p1:s1' }],
        },
        { contactId: 'c2', tasks: [{ task: 'Order Placement' }], completedTasks: [{ id: 't3' }], sessions: [{ id: 'p1:s2' }] },
      ],
    });
  });
});

describe('$expand of a single-valued navigation property', () => {
  it('writes the related entity as an object', async () => {
    const res = await get("/odata/Analytics?$select=id&$orderby=id&$filter=id in ('a1','a4')&$expand=session($select=id,channel)");
    expect(res.body).toEqual({
      '@odata.context': `${SERVICE}/$metadata#Analytics(id,session(id,channel))`,
      value: [
        { id: 'a1', session: { id: 'p1:s1', channel: 'webchat' } },
        { id: 'a4', session: { id: 'p1:s2', channel: 'voice' } },
      ],
    });
  });

  it('writes null when a nested $filter excludes the related entity', async () => {
    const res = await get("/odata/Analytics?$select=id&$orderby=id&$filter=id in ('a1','a4')&$expand=session($select=id;$filter=channel eq 'voice')");
    expect(res.body.value).toEqual([
      { id: 'a1', session: null },
      { id: 'a4', session: { id: 'p1:s2' } },
    ]);
  });

  it.each([
    ['ExecutedSteps', "$select=id&$filter=id eq 'x2'&$expand=step($select=label)", { id: 'x2', step: { label: 'Confirm order' } }],
    ['CompletedTasks', "$select=id&$filter=id eq 't4'&$expand=contactProfile($select=firstname,age)", { id: 't4', contactProfile: { firstname: 'Cy', age: 51 } }],
    ['ContactTasks', "$select=task&$filter=contactId eq 'c2'&$expand=contactProfile($select=firstname)", { task: 'Order Placement', contactProfile: { firstname: 'Bo' } }],
    ['Conversations', "$select=id&$filter=id eq 'm2'&$expand=session($select=stepsCount)", { id: 'm2', session: { stepsCount: 2 } }],
    ['LiveAgentEscalations', '$select=id&$expand=session($select=sessionId)', { id: 'h1', session: { sessionId: 's1' } }],
  ])('%s?%s', async (set, options, expected) => {
    const res = await get(`/odata/${set}?${options}`);
    expect(res.status).toBe(200);
    expect(res.body.value).toEqual([expected]);
  });
});

describe('two levels of $expand', () => {
  it('collection → single', async () => {
    const res = await get("/odata/Sessions?$select=id&$filter=id eq 'p1:s2'&$expand=analytics($select=id;$orderby=id;$expand=session($select=channel))");
    expect(res.body).toEqual({
      '@odata.context': `${SERVICE}/$metadata#Sessions(id,analytics(id,session(channel)))`,
      value: [{ id: 'p1:s2', analytics: [{ id: 'a4', session: { channel: 'voice' } }] }],
    });
  });

  it('single → collection, with nested options on the second level', async () => {
    const res = await get(
      "/odata/Analytics?$select=id&$filter=id eq 'a2'&$expand=session($select=id;$expand=completedTasks($select=id,task;$orderby=id desc;$top=1;$count=true))",
    );
    expect(res.body.value).toEqual([
      { id: 'a2', session: { id: 'p1:s1', 'completedTasks@odata.count': 2, completedTasks: [{ id: 't2', task: 'Account Registration' }] } },
    ]);
  });

  it('collection → collection', async () => {
    const res = await get(
      "/odata/ContactProfiles?$select=contactId&$filter=contactId eq 'c1'&$expand=sessions($select=id;$expand=analytics($select=id;$filter=executionTime gt 50;$orderby=id))",
    );
    expect(res.body.value).toEqual([{ contactId: 'c1', sessions: [{ id: 'p1:s1', analytics: [{ id: 'a1' }, { id: 'a2' }] }] }]);
  });
});

describe('$expand elsewhere', () => {
  it('on a single entity addressed by key', async () => {
    const res = await get("/odata/Sessions('p1:s2')?$select=id&$expand=analytics($select=id)");
    expect(res.body).toEqual({
      '@odata.context': `${SERVICE}/$metadata#Sessions(id,analytics(id))/$entity`,
      id: 'p1:s2',
      analytics: [{ id: 'a4' }],
    });
  });

  it('on a navigation result', async () => {
    const res = await get("/odata/Sessions('p1:s1')/analytics?$select=id&$orderby=id&$top=1&$expand=session($select=goals)");
    expect(res.body.value).toEqual([{ id: 'a1', session: { goals: 'Order Placement, Account Registration' } }]);
  });

  it('$expand=* expands every navigation property', async () => {
    const res = await get("/odata/Sessions?$select=id&$filter=id eq 'p2:s3'&$expand=*");
    expect(res.status).toBe(200);
    const row = res.body.value[0];
    expect(Object.keys(row)).toEqual(['id', 'analytics', 'conversations', 'executedSteps', 'completedTasks', 'escalations', 'goalEvents', 'goalCycles']);
    expect(row.analytics.map((a: { id: string }) => a.id)).toEqual(['a5']);
    expect(row.conversations.map((a: { id: string }) => a.id)).toEqual(['m3']);
    expect(row.escalations).toEqual([]);
  });

  it('keeps the expansion shape identical on every page', async () => {
    const first = await get('/odata/Sessions?$select=id&$expand=analytics($select=id;$top=1)').set('Prefer', 'odata.maxpagesize=1');
    expect(first.body.value).toEqual([{ id: 'p1:s1', analytics: [{ id: 'a1' }] }]);
    const next = (first.body['@odata.nextLink'] as string).replace(/^https?:\/\/[^/]+/, '');
    const second = await request(fixture.t.app).get(next).set('x-api-key', READ_KEY).set('Prefer', 'odata.maxpagesize=1');
    expect(second.body.value).toEqual([{ id: 'p1:s2', analytics: [{ id: 'a4' }] }]);
  });
});

describe('$expand errors', () => {
  it.each([
    ['an unknown navigation property', '/odata/Sessions?$expand=nope', 400],
    ['a primitive property', '/odata/Sessions?$expand=goals', 400],
    ['the same navigation twice', '/odata/Sessions?$expand=analytics,analytics', 400],
    ['$top on a single-valued navigation', '/odata/Analytics?$expand=session($top=1)', 400],
    ['an unknown property inside', '/odata/Sessions?$expand=analytics($select=nope)', 400],
    ['a type mismatch inside', '/odata/Sessions?$expand=analytics($filter=intent eq 1)', 400],
    ['an unknown nested option', '/odata/Sessions?$expand=analytics($foo=1)', 400],
    ['$levels on a non-recursive navigation', '/odata/Sessions?$expand=analytics($levels=2)', 501],
    ['/$ref', '/odata/Sessions?$expand=analytics/$ref', 501],
  ])('%s → %i', async (_name, url, status) => {
    const res = await get(url);
    expect(res.status).toBe(status);
    expect(typeof res.body.error?.code).toBe('string');
  });
});
