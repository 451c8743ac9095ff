import { ingestEvents } from '../../src/ingest/ingest';
import { saveSettings, SettingsBodySchema } from '../../src/ingest/settings';
import { validateEvents } from '../../src/ingest/validate';
import { purgeExpired } from '../../src/retention';
import { createHarness, handover, input, message, profileUpdated, stepExecuted, taskCompleted, type IngestHarness } from './ingest-support';

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/** A session of every kind of data for `contactId`, `days` ago. */
function sessionOf(projectId: string, contactId: string, days: number) {
  const common = { projectId, contactId, sessionId: `${contactId}-s`, timestamp: daysAgo(days) };
  return validateEvents([
    input(`${contactId}-in`, 0, { ...common, inputId: `${contactId}-i` }),
    message(`${contactId}-msg`, 0, common),
    stepExecuted(`${contactId}-step`, 0, { ...common, entityReferenceId: `${contactId}-node` }),
    taskCompleted(`${contactId}-task`, 0, common),
    handover(`${contactId}-ho`, 0, { projectId, userId: contactId, sessionId: `${contactId}-s`, escalationId: `${contactId}-esc`, timestamp: daysAgo(days) }),
    profileUpdated(`${contactId}-prof`, 0, { projectId, contactId, firstname: contactId, timestamp: daysAgo(days) }),
  ]);
}

describe('purgeExpired', () => {
  let h: IngestHarness;
  beforeAll(async () => {
    h = await createHarness();
    await ingestEvents(h.db, [...sessionOf('short', 'old', 40), ...sessionOf('short', 'new', 2), ...sessionOf('forever', 'ancient', 400)]);
    const thirty = { events: 30, analytics: 30, conversations: 30, steps: 30, sessions: 30, escalations: 30, tasks: 30, profiles: 30 };
    await saveSettings(h.db, 'short', SettingsBodySchema.parse({ retention: thirty }));
  });
  afterAll(() => h.close());

  it('deletes exactly the rows older than their project’s period and reports them per table', async () => {
    expect(await purgeExpired(h.db)).toEqual({
      // 6 events of the old session: 5 by the events period, its profile.updated with the profile.
      events: 6,
      analytics: 1,
      conversations: 1,
      executed_steps: 1,
      steps: 1,
      sessions: 1,
      live_agent_escalations: 1,
      completed_tasks: 1,
      contact_profiles: 1,
      contact_tasks: 1,
      goal_events: 0,
      goal_cycles: 0,
    });
    const remaining = async (table: string, column: string) =>
      (await h.db.query(`SELECT ${column} AS v FROM ${table} ORDER BY 1`)).rows.map((r) => r.v);
    expect(await remaining('contact_profiles', 'contact_id')).toEqual(['ancient', 'new']);
    expect(await remaining('sessions', 'session_id')).toEqual(['ancient-s', 'new-s']);
    expect(await remaining('analytics', 'contact_id')).toEqual(['ancient', 'new']);
    expect(await remaining('steps', 'entity_reference_id')).toEqual(['ancient-node', 'new-node']);
    expect(await remaining("events WHERE event_id LIKE 'old-%'", 'event_id')).toEqual([]);
  });

  it('a second run finds nothing', async () => {
    const second = await purgeExpired(h.db);
    expect(Object.values(second).every((n) => n === 0)).toBe(true);
    expect(Object.keys(second)).toHaveLength(12);
  });
});
