// test fixtures → goal definitions, goal.step events and readers of the goal tables, shared by the goals tests.
import request from 'supertest';
import type express from 'express';
import type { Database } from '../../src/db';
import { at, PROJECT, WRITE_KEY } from './ingest-support';

type Fields = Record<string, unknown>;

/**
 * Reduce Support Request Time: received (start) → answered (60 s saved) → resolved (completion: 300 s and 4 cost
 * units saved), or → escalated (a step in between, 25 revenue units).
 */
export const SUPPORT_GOAL = {
  name: 'Reduce Support Request Time',
  description: 'Requests the bot resolves without an agent',
  referenceId: 'ref-support',
  changedBy: 'alice',
  steps: [
    { stepId: 'received', name: 'Request Received', order: 1, type: 'start', metrics: [] },
    {
      stepId: 'answered',
      name: 'Answer Proposed',
      order: 2,
      text: 'The bot proposes an answer',
      type: null,
      metrics: [{ metricId: 'answered-time', name: 'Time saved', type: 'duration', value: 60 }],
    },
    {
      stepId: 'resolved',
      name: 'Resolved by Bot',
      order: 3,
      type: 'completion',
      metrics: [
        { metricId: 'resolved-time', name: 'Time saved', type: 'duration', value: 300 },
        { metricId: 'resolved-cost', name: 'Cost savings', type: 'currency', benefit: 'costSavings', value: 4 },
      ],
    },
    {
      stepId: 'escalated',
      name: 'Escalated',
      order: 4,
      metrics: [{ metricId: 'escalated-revenue', name: 'Upsell', type: 'currency', benefit: 'revenue', value: 25 }],
    },
  ],
};

export function putGoal(app: express.Express, goalId: string, body: unknown, projectId = PROJECT) {
  return request(app).put(`/api/v1/projects/${projectId}/goals/${goalId}`).set('Authorization', `Bearer ${WRITE_KEY}`).send(body as object);
}

export function postEvents(app: express.Express, events: readonly unknown[]) {
  return request(app).post('/api/v1/events').set('Authorization', `Bearer ${WRITE_KEY}`).send(events as object[]);
}

export const goalStep = (id: string, seconds: number, stepIds: string[], fields: Fields = {}) => ({
  id,
  type: 'goal.step',
  projectId: PROJECT,
  timestamp: at(seconds),
  sessionId: 's1',
  contactId: 'c1',
  goalId: 'support',
  stepIds,
  channel: 'webchat3',
  localeName: 'en',
  endpointName: 'Web',
  endpointType: 'webchat3',
  ...fields,
});

/** The cycles, in a stable order, without the derived row id. */
export async function cycles(db: Database): Promise<Record<string, unknown>[]> {
  const r = await db.query<Record<string, unknown>>(
    `SELECT project_id, goal_id, session_id, goal_cycle_id, contact_id, status, started_at, last_step_at, completed_at, steps_reached,
       time_saved_seconds::integer AS time_saved_seconds, cost_savings::integer AS cost_savings, revenue::integer AS revenue, channel
     FROM goal_cycles ORDER BY project_id, session_id, goal_id, started_at, goal_cycle_id COLLATE "C"`,
  );
  return r.rows;
}

/** Every goal table's rows, for comparisons between databases; versions are random, so they are left out. */
export async function goalSnapshot(db: Database): Promise<Record<string, unknown>> {
  const withoutVersion = (rows: Record<string, unknown>[]) => rows.map(({ version: _version, ...rest }) => rest);
  const hits = await db.query<Record<string, unknown>>('SELECT * FROM goal_events ORDER BY id COLLATE "C"');
  const all = await db.query<Record<string, unknown>>('SELECT * FROM goal_cycles ORDER BY id COLLATE "C"');
  const contacts = await db.query('SELECT * FROM contact_goals ORDER BY project_id, contact_id, goal_id');
  return { goal_events: withoutVersion(hits.rows), goal_cycles: withoutVersion(all.rows), contact_goals: contacts.rows };
}
