// Goal events under the privacy switches: collectAnalytics, masking, contact profiles, the goalEvents retention bucket,
// and a contact's erasure.
import request from 'supertest';
import { purgeExpired } from '../../src/retention';
import { createHarness, profileDeleted, profileUpdated, WRITE_KEY, type IngestHarness } from './ingest-support';
import { cycles, goalStep, postEvents, putGoal, SUPPORT_GOAL } from './goals-support';

let h: IngestHarness;
beforeAll(async () => {
  h = await createHarness();
  for (const project of ['p1', 'off', 'masked', 'noprofiles', 'short']) await putGoal(h.app, 'support', SUPPORT_GOAL, project);
});
afterAll(() => h.close());

const putSettings = (projectId: string, body: unknown) =>
  request(h.app).put(`/api/v1/projects/${projectId}/settings`).set('Authorization', `Bearer ${WRITE_KEY}`).send(body as object);

const hitsOf = async (projectId: string) =>
  (await h.db.query<Record<string, unknown>>('SELECT * FROM goal_events WHERE project_id = $1 ORDER BY id', [projectId])).rows;

it('collectAnalytics off: goal.step events are acknowledged and dropped', async () => {
  await putSettings('off', { collectAnalytics: false });
  const res = await postEvents(h.app, [goalStep('off-1', 0, ['received', 'resolved'], { projectId: 'off' })]);
  expect(res.body).toEqual({ accepted: 0, duplicates: 0, dropped: 1 });
  expect(await hitsOf('off')).toEqual([]);
});

it('masking: a goal hit carries no message text or IP, so it is stored as sent', async () => {
  await putSettings('masked', { maskSensitive: true, maskIp: true });
  await postEvents(h.app, [goalStep('masked-1', 0, ['received'], { projectId: 'masked' })]);
  expect(await hitsOf('masked')).toEqual([expect.objectContaining({ contact_id: 'c1', channel: 'webchat3', endpoint_name: 'Web' })]);
});

it('contact profiles off: the cycle is recorded, the profile gets no completed goal', async () => {
  await putSettings('noprofiles', { contactProfiles: false });
  await postEvents(h.app, [goalStep('np-1', 0, ['received', 'resolved'], { projectId: 'noprofiles' })]);
  expect((await cycles(h.db)).filter((c) => c.project_id === 'noprofiles').map((c) => c.status)).toEqual(['completed']);
  expect((await h.db.query("SELECT * FROM contact_goals WHERE project_id = 'noprofiles'")).rows).toEqual([]);
});

it('retention: the goalEvents period dates expiresAt and purges old hits and cycles', async () => {
  const settings = await putSettings('short', { retention: { goalEvents: 30 } });
  expect(settings.body.retention.goalEvents).toBe(30);
  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
  await postEvents(h.app, [
    { ...goalStep('short-old', 0, ['received', 'resolved'], { projectId: 'short', sessionId: 'old' }), timestamp: daysAgo(40) },
    { ...goalStep('short-new', 0, ['received', 'resolved'], { projectId: 'short', sessionId: 'new' }), timestamp: daysAgo(2) },
    { ...goalStep('p1-old', 0, ['received'], { sessionId: 'old' }), timestamp: daysAgo(400) },
  ]);
  const hits = await hitsOf('short');
  for (const hit of hits) {
    expect(new Date(String(hit.expires_at)).getTime() - new Date(String(hit.occurred_at)).getTime()).toBe(30 * 86_400_000);
  }
  const purged = await purgeExpired(h.db);
  expect(purged).toMatchObject({ goal_events: 2, goal_cycles: 1 });
  expect((await hitsOf('short')).map((hit) => hit.session_id)).toEqual(['new', 'new']);
  expect((await cycles(h.db)).filter((c) => c.session_id === 'old').map((c) => c.project_id)).toEqual(['p1']);
});

describe('erasure of a contact', () => {
  beforeAll(async () => {
    const s = { sessionId: 'er-1', contactId: 'c-erased' };
    await postEvents(h.app, [
      profileUpdated('er-prof', 0, { contactId: 'c-erased', firstname: 'Eve' }),
      goalStep('er-a', 10, ['received'], s),
      // A hit without a contact in the contact's session: the erasure takes the session.
      goalStep('er-b', 20, ['resolved'], { sessionId: 'er-1', contactId: undefined }),
      goalStep('er-c', 30, ['received', 'resolved'], { sessionId: 'er-2', contactId: 'c-erased' }),
      goalStep('keep-a', 10, ['received', 'answered'], { sessionId: 'keep', contactId: 'c-kept' }),
    ]);
    expect((await h.db.query("SELECT count(*)::integer AS n FROM contact_goals WHERE contact_id = 'c-erased'")).rows).toEqual([{ n: 1 }]);
    expect((await postEvents(h.app, [profileDeleted('er-del', 100, { contactId: 'c-erased' })])).status).toBe(201);
  });

  it('removes its cycles, the goal events of its sessions and its completed goals; others keep theirs', async () => {
    const left = (await cycles(h.db)).filter((c) => c.project_id === 'p1' && c.session_id !== 'old');
    expect(left.map((c) => [c.session_id, c.contact_id, c.status])).toEqual([['keep', 'c-kept', 'partially completed']]);
    const hits = await hitsOf('p1');
    expect(hits.filter((hit) => ['er-1', 'er-2'].includes(String(hit.session_id)))).toEqual([]);
    expect((await h.db.query("SELECT * FROM contact_goals WHERE contact_id = 'c-erased'")).rows).toEqual([]);
  });

  it('late goal steps dated before the erasure are dropped; later ones open new cycles', async () => {
    const late = await postEvents(h.app, [
      goalStep('er-late', 50, ['received'], { sessionId: 'er-1', contactId: undefined }),
      goalStep('er-later', 200, ['received'], { sessionId: 'er-3', contactId: 'c-erased' }),
    ]);
    expect(late.body).toEqual({ accepted: 1, duplicates: 0, dropped: 1 });
    expect((await cycles(h.db)).filter((c) => String(c.session_id).startsWith('er-')).map((c) => c.session_id)).toEqual(['er-3']);
  });
});
