import { recomputeQuery } from '../../../src/ingest/derive-sql';
import { lockAndStateQuery } from '../../../src/ingest/state-sql';
import { storeQuery, type StoreInput } from '../../../src/ingest/store-sql';
import type { EventRow, StepRow } from '../../../src/ingest/rows';

const event: EventRow = {
  event_id: 'e1',
  type: 'profile.deleted',
  project_id: 'p1',
  contact_id: null,
  session_id: null,
  occurred_at: '2025-03-01T09:00:00.000000Z',
  payload: null,
  for_analytics: false,
  for_profile: false,
};
const empty: StoreInput = { events: [event], completedTasks: [], analytics: [], conversations: [], executedSteps: [], steps: [], touchesProfiles: false, touchesSessions: false };

describe('ingestion SQL', () => {
  it('lockAndStateQuery: one call of the migration\'s function, every list as one JSON parameter', () => {
    const q = lockAndStateQuery({ lockKeys: ['-2', '7'], projects: ['p1'], contacts: [{ p: 'p1', h: 'ab' }], sessions: [{ p: 'p1', s: 's1' }] });
    expect(q).toEqual({
      text: 'SELECT ingest_lock_and_read_state($1::json, $2::json, $3::json, $4::json) AS state',
      values: ['["-2","7"]', '["p1"]', '[{"p":"p1","h":"ab"}]', '[{"p":"p1","s":"s1"}]'],
    });
  });

  it('storeQuery with events only: one recordset parameter, insert in event-id order, ids returned', () => {
    expect(storeQuery(empty)).toEqual({
      text:
        'WITH batch AS (SELECT * FROM json_to_recordset($1::json) AS b(event_id text, type text, project_id text, contact_id text, ' +
        'session_id text, occurred_at timestamptz, payload jsonb, for_analytics boolean, for_profile boolean)),\n' +
        'inserted AS (INSERT INTO events (event_id, type, project_id, contact_id, session_id, occurred_at, payload, for_analytics, for_profile) ' +
        'SELECT event_id, type, project_id, contact_id, session_id, occurred_at, payload, for_analytics, for_profile FROM batch ' +
        'ORDER BY event_id COLLATE "C" ON CONFLICT (event_id) DO NOTHING RETURNING event_id)\n' +
        'SELECT (SELECT json_agg(event_id) FROM inserted) AS inserted, NULL::json AS rebuild',
      values: [JSON.stringify([event])],
    });
  });

  it('storeQuery numbers one parameter per table and only joins per-event rows to inserted events', () => {
    const step: StepRow = {
      id: 'p1:n1',
      project_id: 'p1',
      entity_reference_id: 'n1',
      label: "O'Brien; DROP TABLE steps",
      type: 'node',
      flow_reference_id: null,
      flow_name: null,
      project_name: null,
      snapshot_id: null,
      snapshot_name: null,
      last_seen_at: '2025-03-01T09:00:00.000000Z',
      last_event_id: 'e1',
    };
    const q = storeQuery({ ...empty, steps: [step], touchesProfiles: true });
    expect(q.values).toEqual([JSON.stringify([event]), JSON.stringify([step])]);
    expect(q.text).toContain('steps_new AS (INSERT INTO steps AS st (id, project_id, entity_reference_id, label, type,');
    expect(q.text).toContain('FROM json_to_recordset($2::json) AS r(id text, project_id text, entity_reference_id text, label text,');
    expect(q.text).toContain('contact_tasks_new AS (');
    expect(q.text).toContain('profiles_seen AS (');
    expect(q.text).toContain('FROM batch b JOIN inserted i ON i.event_id = b.event_id');
    // Values never reach the text.
    expect(q.text).not.toContain("O'Brien");
    expect(q.text.match(/\$\d+/g)).toEqual(['$1', '$2']);
  });

  it('recomputeQuery: nothing to do → undefined; otherwise one CTE per kind with its own parameter', () => {
    expect(recomputeQuery({ sessions: [], inputs: [], escalations: [], profiles: [] })).toBeUndefined();
    const q = recomputeQuery({
      sessions: [{ project_id: 'p1', session_id: 's1' }],
      inputs: [],
      escalations: [{ project_id: 'p1', escalation_id: 'x' }],
      profiles: [],
    });
    expect(q?.values).toEqual([JSON.stringify([{ project_id: 'p1', session_id: 's1' }]), JSON.stringify([{ project_id: 'p1', escalation_id: 'x' }])]);
    expect(q?.text).toMatch(/^WITH session_keys AS \(SELECT DISTINCT \* FROM json_to_recordset\(\$1::json\)/);
    expect(q?.text).toContain('escalation_keys AS (SELECT DISTINCT * FROM json_to_recordset($2::json)');
    expect(q?.text).not.toContain('input_keys');
    expect(q?.text).not.toContain('profile_keys');
    expect(q?.text.endsWith('SELECT 1 AS done')).toBe(true);
  });
});
