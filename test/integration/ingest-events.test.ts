import request from 'supertest';
import {
  at,
  countRows,
  createHarness,
  handover,
  input,
  message,
  profileUpdated,
  stepExecuted,
  tableRows,
  taskCompleted,
  WRITE_KEY,
  type IngestHarness,
} from './ingest-support';

const post = (h: IngestHarness, body: unknown) =>
  request(h.app).post('/api/v1/events').set('Authorization', `Bearer ${WRITE_KEY}`).set('Content-Type', 'application/json').send(JSON.stringify(body));

// How PostgreSQL prints a whole-second timestamptz in UTC.
const iso = (seconds: number) => at(seconds).replace('T', ' ').replace('.000Z', '+00');

describe('POST /api/v1/events: every event type and its derived rows', () => {
  let h: IngestHarness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  it('task.completed: event, completed task, contact task, profile row and session goals', async () => {
    const res = await post(h, taskCompleted('t-1', 0, { contactId: 'alice', sessionId: 'sa', inputId: 'ia', flowId: 'f1', flowName: 'Main', nodeId: 'n1', channel: 'webchat3', userType: 'external', organisationId: 'org' }));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, dropped: 0 });

    const [task] = await h.db.query('SELECT * FROM completed_tasks WHERE id = $1', ['t-1']).then((r) => r.rows);
    expect(task).toEqual({
      id: 't-1',
      project_id: 'p1',
      organisation_id: 'org',
      contact_id: 'alice',
      session_id: 'sa',
      input_id: 'ia',
      task: 'Order Placement',
      flow_id: 'f1',
      flow_name: 'Main',
      node_id: 'n1',
      channel: 'webchat3',
      user_type: 'external',
      occurred_at: iso(0),
    });
    const contactTasks = await h.db.query("SELECT * FROM contact_tasks WHERE contact_id = 'alice'").then((r) => r.rows);
    expect(contactTasks).toEqual([
      {
        project_id: 'p1',
        contact_id: 'alice',
        task: 'Order Placement',
        first_completed_at: iso(0),
        last_completed_at: iso(0),
        completion_count: 1,
        last_session_id: 'sa',
        last_event_id: 't-1',
      },
    ]);
    const profile = await h.db.query("SELECT first_seen_at, last_seen_at, firstname FROM contact_profiles WHERE contact_id = 'alice'").then((r) => r.rows);
    expect(profile).toEqual([{ first_seen_at: iso(0), last_seen_at: iso(0), firstname: null }]);
    const session = await h.db.query("SELECT id, goals, user_id, channel, organisation_id, user_type, started_at FROM sessions WHERE session_id = 'sa'").then((r) => r.rows);
    expect(session).toEqual([{ id: 'p1:sa', goals: 'Order Placement', user_id: 'alice', channel: 'webchat3', organisation_id: 'org', user_type: 'external', started_at: iso(0) }]);
  });

  it('a whole conversation: analytics, conversations, steps, escalation and the session row', async () => {
    const s = { contactId: 'bob', sessionId: 'sb' };
    const ctx = { localeReferenceId: 'loc1', localeName: 'en', endpointReferenceId: 'ep1', endpointName: 'Web', endpointUrlToken: 'tok', snapshotId: 'snap1', snapshotName: 'v1', projectName: 'Shop', organisationId: 'org' };
    const events = [
      input('b-in-1', 10, {
        ...s,
        ...ctx,
        inputId: 'bi1',
        inputText: 'I want pizza',
        inputData: { size: 'L', toppings: ['cheese'] },
        intent: 'order',
        intentFlow: 'Main',
        intentScore: 0.93,
        understood: true,
        state: 'default',
        mode: 'TextOnly',
        flowLanguage: 'en',
        flowReferenceId: 'flow1',
        flowName: 'Main',
        entrypoint: 'snap1',
        ip: '10.1.2.3',
        executionTime: 120,
        execution: 1,
        foundSlots: ['DATE'],
        foundSlotDetails: { DATE: [{ keyphrase: 'today' }] },
        custom1: 'gold',
        custom10: 'x',
        userType: 'external',
        channel: 'webchat3',
      }),
      message('b-msg-1', 10, { ...s, ...ctx, inputId: 'bi1', text: 'I want pizza', data: { a: 1 }, channel: 'webchat3' }),
      stepExecuted('b-step-1', 11, { ...s, ...ctx, inputId: 'bi1', entityReferenceId: 'node-a', stepLabel: 'Ask size', flowReferenceId: 'flow1', flowName: 'Main' }),
      stepExecuted('b-step-2', 12, { ...s, ...ctx, inputId: 'bi1', entityReferenceId: 'intent-order', stepType: 'intent', stepLabel: 'order', parentStep: 'node-a' }),
      taskCompleted('b-task-1', 13, { ...s, inputId: 'bi1', task: 'Order Placement' }),
      taskCompleted('b-task-2', 14, { ...s, inputId: 'bi1', task: 'Account Registration' }),
      taskCompleted('b-task-3', 15, { ...s, inputId: 'bi1', task: 'Order Placement' }),
      message('b-msg-2', 16, {
        ...s,
        source: 'bot',
        inputId: 'bi1',
        outputId: 'o1',
        text: 'Sure!',
        attachments: [{ url: 'https://x.test/menu.pdf', name: 'menu.pdf', type: 'application/pdf' }],
        inHandoverRequest: false,
        rating: 1,
        ratingComment: 'great',
      }),
      handover('b-h-1', 17, { ...s, userId: 'bob', escalationId: 'e-b', status: 'opened', inboxId: 'ib1', inboxName: 'Support', channel: 'webchat3', labels: ['vip', 'pizza'] }),
      handover('b-h-2', 18, { sessionId: 'sb', userId: undefined, escalationId: 'e-b', status: 'assigned', agentId: 'ag1', agentName: 'Ann', contactId: 'la-77', teamId: 't1', teamName: 'Team' }),
      stepExecuted('b-step-3', 19, { ...s, entityReferenceId: 'node-a', stepLabel: 'Ask size (renamed)' }),
    ];
    const res = await post(h, events);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ accepted: 11, duplicates: 0, dropped: 0 });

    const analytics = await h.db.query("SELECT * FROM analytics WHERE input_id = 'bi1'").then((r) => r.rows);
    expect(analytics).toEqual([
      expect.objectContaining({
        id: 'p1:bi1',
        event_id: 'b-in-1',
        organisation: 'org',
        contact_id: 'bob',
        session_id: 'sb',
        input_text: 'I want pizza',
        input_data: '{"size":"L","toppings":["cheese"]}',
        intent: 'order',
        intent_score: 0.93,
        understood: true,
        ip: '10.1.2.3',
        execution_time: 120,
        execution: 1,
        found_slots: '["DATE"]',
        found_slot_details: '{"DATE":[{"keyphrase":"today"}]}',
        custom1: 'gold',
        custom2: null,
        custom10: 'x',
        completed_goals_list: 'Order Placement, Account Registration',
        locale_reference_id: 'loc1',
        endpoint_name: 'Web',
        snapshot_name: 'v1',
        occurred_at: iso(10),
      }),
    ]);

    const conversations = await h.db.query("SELECT id, type, source, input_text, input_data, input_attachments, rating, rating_comment, output_id FROM conversations WHERE session_id = 'sb' ORDER BY occurred_at").then((r) => r.rows);
    expect(conversations).toEqual([
      { id: 'b-msg-1', type: 'input', source: 'user', input_text: 'I want pizza', input_data: '{"a":1}', input_attachments: null, rating: null, rating_comment: null, output_id: null },
      {
        id: 'b-msg-2',
        type: 'output',
        source: 'bot',
        input_text: 'Sure!',
        input_data: null,
        input_attachments: '[{"url":"https://x.test/menu.pdf","name":"menu.pdf","type":"application/pdf"}]',
        rating: 1,
        rating_comment: 'great',
        output_id: 'o1',
      },
    ]);

    const executed = await h.db.query("SELECT id, user_id, type, entity_reference_id, step_label, parent_step FROM executed_steps WHERE session_id = 'sb' ORDER BY occurred_at").then((r) => r.rows);
    expect(executed).toEqual([
      { id: 'b-step-1', user_id: 'bob', type: 'node', entity_reference_id: 'node-a', step_label: 'Ask size', parent_step: null },
      { id: 'b-step-2', user_id: 'bob', type: 'intent', entity_reference_id: 'intent-order', step_label: 'order', parent_step: 'node-a' },
      { id: 'b-step-3', user_id: 'bob', type: 'node', entity_reference_id: 'node-a', step_label: 'Ask size (renamed)', parent_step: null },
    ]);
    const steps = await h.db.query("SELECT id, label, type, flow_reference_id, last_event_id FROM steps WHERE entity_reference_id IN ('node-a', 'intent-order') ORDER BY id").then((r) => r.rows);
    expect(steps).toEqual([
      { id: 'p1:intent-order', label: 'order', type: 'intent', flow_reference_id: null, last_event_id: 'b-step-2' },
      // The latest event names the step, even though it carries no flow.
      { id: 'p1:node-a', label: 'Ask size (renamed)', type: 'node', flow_reference_id: null, last_event_id: 'b-step-3' },
    ]);

    const [escalation] = await h.db.query("SELECT * FROM live_agent_escalations WHERE id = 'e-b'").then((r) => r.rows);
    expect(escalation).toEqual({
      id: 'e-b',
      project_id: 'p1',
      organisation_id: null,
      session_id: 'sb',
      occurred_at: iso(17),
      updated_at: iso(18),
      status: 'assigned',
      inbox_id: 'ib1',
      inbox_name: 'Support',
      team_id: 't1',
      team_name: 'Team',
      labels: 'vip,pizza',
      agent_id: 'ag1',
      agent_name: 'Ann',
      contact_id: 'la-77',
      user_id: 'bob',
      endpoint_name: null,
      endpoint_type: null,
      endpoint_url_token: null,
      channel: 'webchat3',
      locale_name: null,
      locale_reference_id: null,
      snapshot_id: null,
      snapshot_name: null,
    });

    // fold is the session's merge state (schema/002), not a published column.
    const [session] = await h.db.query("SELECT * FROM sessions WHERE session_id = 'sb'").then((r) => r.rows.map(({ fold: _fold, ...row }) => row));
    expect(session).toEqual({
      id: 'p1:sb',
      project_id: 'p1',
      session_id: 'sb',
      organisation_id: 'org',
      user_id: 'bob',
      user_type: 'external',
      channel: 'webchat3',
      started_at: iso(10),
      last_activity_at: iso(19),
      goals: 'Order Placement, Account Registration',
      step_path: 'node-a,intent-order,node-a',
      steps_count: 3,
      handover_escalations: 1,
      locale_reference_id: 'loc1',
      locale_name: 'en',
      endpoint_reference_id: 'ep1',
      endpoint_name: 'Web',
      endpoint_url_token: 'tok',
      project_name: 'Shop',
      snapshot_id: 'snap1',
      snapshot_name: 'v1',
      rating: 1,
      rating_comment: 'great',
    });

    const contactTasks = await h.db.query("SELECT task, completion_count, first_completed_at, last_completed_at, last_session_id FROM contact_tasks WHERE contact_id = 'bob' ORDER BY task").then((r) => r.rows);
    expect(contactTasks).toEqual([
      { task: 'Account Registration', completion_count: 1, first_completed_at: iso(14), last_completed_at: iso(14), last_session_id: 'sb' },
      { task: 'Order Placement', completion_count: 2, first_completed_at: iso(13), last_completed_at: iso(15), last_session_id: 'sb' },
    ]);
    const profile = await h.db.query("SELECT first_seen_at, last_seen_at FROM contact_profiles WHERE contact_id = 'bob'").then((r) => r.rows);
    expect(profile).toEqual([{ first_seen_at: iso(10), last_seen_at: iso(19) }]);
  });

  it('a task that arrives before its input still lands in completedGoalsList', async () => {
    expect((await post(h, taskCompleted('late-t', 31, { contactId: 'cara', sessionId: 'sc', inputId: 'ci1', task: 'Appointment Booking' }))).status).toBe(201);
    expect((await post(h, input('late-in', 30, { contactId: 'cara', sessionId: 'sc', inputId: 'ci1' }))).status).toBe(201);
    const rows = await h.db.query("SELECT completed_goals_list FROM analytics WHERE input_id = 'ci1'").then((r) => r.rows);
    expect(rows).toEqual([{ completed_goals_list: 'Appointment Booking' }]);
    const session = await h.db.query("SELECT started_at, goals FROM sessions WHERE session_id = 'sc'").then((r) => r.rows);
    expect(session).toEqual([{ started_at: iso(30), goals: 'Appointment Booking' }]);
  });

  it('a second input event for the same input replaces the record only when it is newer', async () => {
    await post(h, input('ov-2', 41, { contactId: 'dan', sessionId: 'sd', inputId: 'di1', inputText: 'overwritten' }));
    const res = await post(h, input('ov-1', 40, { contactId: 'dan', sessionId: 'sd', inputId: 'di1', inputText: 'original' }));
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, dropped: 0 });
    const rows = await h.db.query("SELECT id, event_id, input_text FROM analytics WHERE input_id = 'di1'").then((r) => r.rows);
    expect(rows).toEqual([{ id: 'p1:di1', event_id: 'ov-2', input_text: 'overwritten' }]);
  });

  it('profile.updated: the newest event carrying a field wins; null clears; custom fields merge', async () => {
    const events = [
      profileUpdated('pu-1', 50, { contactId: 'erin', firstname: 'Erin', lastname: 'Old', email: 'e@x.test', age: 30, custom: { Tier: 'gold', color: 'red' } }),
      profileUpdated('pu-2', 52, { contactId: 'erin', lastname: 'New', birthday: '1994-02-28', accepted_gdpr: true, privacy_policy: { accepted: true, acceptedAt: '2025-03-01T10:00:00+01:00' }, custom: { color: null, size: 42 } }),
      profileUpdated('pu-3', 51, { contactId: 'erin', lastname: 'Middle', email: null, location: 'Berlin', gender: 'female' }),
    ];
    // Newest first, to show that arrival order does not matter.
    for (const e of [...events].reverse()) expect((await post(h, e)).status).toBe(201);
    const [profile] = await h.db.query("SELECT * FROM contact_profiles WHERE contact_id = 'erin'").then((r) => r.rows);
    expect(profile).toEqual({
      project_id: 'p1',
      contact_id: 'erin',
      firstname: 'Erin',
      lastname: 'New',
      email: null,
      gender: 'female',
      age: 30,
      birthday: '1994-02-28',
      location: 'Berlin',
      accepted_gdpr: true,
      privacy_policy_accepted: true,
      privacy_policy_accepted_at: '2025-03-01 09:00:00+00',
      custom: { tier: 'gold', size: 42 },
      first_seen_at: iso(50),
      last_seen_at: iso(52),
      updated_at: iso(52),
    });
    expect(await countRows(h.db, 'sessions')).toBe(4);
  });

  it('stores a boolean privacy_policy and leaves other tables alone', async () => {
    await post(h, profileUpdated('pp-1', 60, { contactId: 'finn', privacy_policy: false }));
    const rows = await h.db.query("SELECT privacy_policy_accepted, privacy_policy_accepted_at FROM contact_profiles WHERE contact_id = 'finn'").then((r) => r.rows);
    expect(rows).toEqual([{ privacy_policy_accepted: false, privacy_policy_accepted_at: null }]);
    const events = await tableRows(h.db, 'events');
    expect(events.find((e) => e.event_id === 'pp-1')).toEqual(
      expect.objectContaining({ type: 'profile.updated', contact_id: 'finn', session_id: null, for_analytics: false, for_profile: true }),
    );
  });
});
