// seeded sessions → goal definitions and goal.step traffic: most cycles complete, some stay partial, some never start.
import crypto from 'node:crypto';
import type { Database } from '../src/db';
import { parseGoal } from '../src/goals/definition';
import { putGoal } from '../src/goals/store';
import { ingestEvents } from '../src/ingest/ingest';
import { validateEvents } from '../src/ingest/validate';
import { prng } from './prng';

interface SeedStep {
  readonly stepId: string;
  readonly name: string;
  readonly type?: 'start' | 'completion';
  readonly metrics?: readonly { metricId: string; name: string; type: 'duration' | 'currency'; benefit?: 'costSavings' | 'revenue'; value: number }[];
}

interface SeedGoal {
  readonly goalId: string;
  readonly name: string;
  readonly description: string;
  /** The path of a complete cycle, start first; a partial cycle stops before the completion step. */
  readonly steps: readonly SeedStep[];
  /** Steps hit instead of completing (partial cycles), if any. */
  readonly detour?: SeedStep;
}

const minutes = (n: number) => n * 60;

// Currency values are whole units of the project's currency.
const GOALS: readonly SeedGoal[] = [
  {
    goalId: 'online-order',
    name: 'Online Order Completion',
    description: 'Orders placed with the assistant instead of by phone',
    steps: [
      { stepId: 'order-started', name: 'Order Started', type: 'start' },
      { stepId: 'menu-browsed', name: 'Menu Browsed', metrics: [{ metricId: 'menu-time', name: 'Time saved', type: 'duration', value: 30 }] },
      { stepId: 'address-confirmed', name: 'Address Confirmed', metrics: [{ metricId: 'address-time', name: 'Time saved', type: 'duration', value: 45 }] },
      {
        stepId: 'order-placed',
        name: 'Order Placed',
        type: 'completion',
        metrics: [
          { metricId: 'order-time', name: 'Phone call avoided', type: 'duration', value: minutes(2) },
          { metricId: 'order-cost', name: 'Call-centre cost', type: 'currency', benefit: 'costSavings', value: 3 },
          { metricId: 'order-revenue', name: 'Average basket', type: 'currency', benefit: 'revenue', value: 24 },
        ],
      },
    ],
  },
  {
    goalId: 'support-request',
    name: 'Reduce Support Request Time',
    description: 'Requests the bot resolves without a human agent',
    steps: [
      { stepId: 'request-received', name: 'Request Received', type: 'start' },
      { stepId: 'answer-proposed', name: 'Answer Proposed', metrics: [{ metricId: 'answer-time', name: 'Time saved', type: 'duration', value: 60 }] },
      {
        stepId: 'resolved-by-bot',
        name: 'Resolved by Bot',
        type: 'completion',
        metrics: [
          { metricId: 'resolved-time', name: 'Agent time saved', type: 'duration', value: minutes(5) },
          { metricId: 'resolved-cost', name: 'Agent cost', type: 'currency', benefit: 'costSavings', value: 4 },
        ],
      },
    ],
    detour: { stepId: 'escalated', name: 'Escalated to an Agent' },
  },
  {
    goalId: 'refund',
    name: 'Self-service Refund',
    description: 'Refunds issued without a call',
    steps: [
      { stepId: 'refund-requested', name: 'Refund Requested', type: 'start' },
      { stepId: 'order-verified', name: 'Order Verified', metrics: [{ metricId: 'verify-time', name: 'Lookup saved', type: 'duration', value: minutes(2) }] },
      { stepId: 'refund-issued', name: 'Refund Issued', type: 'completion', metrics: [{ metricId: 'refund-cost', name: 'Agent cost', type: 'currency', value: 10 }] },
    ],
  },
  {
    goalId: 'table-booking',
    name: 'Table Reservation',
    description: 'Tables booked in the chat',
    steps: [
      { stepId: 'booking-started', name: 'Booking Started', type: 'start' },
      { stepId: 'date-chosen', name: 'Date Chosen', metrics: [{ metricId: 'date-time', name: 'Time saved', type: 'duration', value: 20 }] },
      {
        stepId: 'booking-confirmed',
        name: 'Booking Confirmed',
        type: 'completion',
        metrics: [
          { metricId: 'booking-time', name: 'Phone call avoided', type: 'duration', value: minutes(3) },
          { metricId: 'booking-cost', name: 'Host time', type: 'currency', benefit: 'costSavings', value: 2 },
          { metricId: 'booking-revenue', name: 'Average table', type: 'currency', benefit: 'revenue', value: 40 },
        ],
      },
    ],
  },
];

function definitionOf(goal: SeedGoal) {
  const steps = goal.detour === undefined ? goal.steps : [...goal.steps, goal.detour];
  return {
    name: goal.name,
    description: goal.description,
    organisationId: 'org-demo',
    changedBy: 'seed',
    steps: steps.map((s, i) => ({ stepId: s.stepId, name: s.name, order: i + 1, type: s.type ?? null, metrics: s.metrics ?? [] })),
  };
}

interface SessionRow {
  session_id: string;
  user_id: string | null;
  started_at: string;
  channel: string | null;
  locale_name: string | null;
  locale_reference_id: string | null;
  endpoint_name: string | null;
  endpoint_url_token: string | null;
  snapshot_id: string | null;
  snapshot_name: string | null;
}

type Outcome = 'completed' | 'partial' | 'incomplete' | 'never-started';

// Most cycles complete, some stay partial, some only start, and some steps come without a start (not tracked).
function outcomeOf(r: number): Outcome {
  if (r < 0.62) return 'completed';
  if (r < 0.84) return 'partial';
  if (r < 0.95) return 'incomplete';
  return 'never-started';
}

function stepsFor(goal: SeedGoal, outcome: Outcome, random: () => number): string[] {
  const [start, ...rest] = goal.steps.map((s) => s.stepId);
  const middle = rest.slice(0, -1);
  switch (outcome) {
    case 'completed':
      return goal.steps.map((s) => s.stepId);
    case 'partial':
      return goal.detour !== undefined && random() < 0.5
        ? [start as string, goal.detour.stepId]
        : [start as string, ...middle.slice(0, Math.max(1, Math.floor(random() * middle.length) + 1))];
    case 'incomplete':
      return [start as string];
    case 'never-started':
      return middle.slice(0, 1);
  }
}

/**
 * Defines the demo goals in `projectId` (an identical definition keeps its version) and emits goal.step events for
 * its seeded sessions, one event per step. Deterministic: a second run stores nothing new.
 * seedGoals(db, 'demo', 42) → { goals: 4, events: 2310, accepted: 2241, dropped: 69 }
 */
export async function seedGoals(db: Database, projectId: string, seed: number): Promise<{ goals: number; events: number; accepted: number; dropped: number }> {
  for (const goal of GOALS) {
    // The demo goals have at most 4 steps, within any GOAL_MAX_STEPS.
    const { definition, changedBy } = parseGoal(definitionOf(goal), 4);
    await putGoal(db, projectId, goal.goalId, definition, changedBy);
  }
  const sessions = await db.query<SessionRow>(
    `SELECT session_id, user_id, started_at, channel, locale_name, locale_reference_id, endpoint_name, endpoint_url_token, snapshot_id, snapshot_name
     FROM sessions WHERE project_id = $1 ORDER BY session_id COLLATE "C"`,
    [projectId],
  );
  const events: Record<string, unknown>[] = [];
  for (const s of sessions.rows) {
    const random = prng(crypto.hash('sha256', `${seed}\n${s.session_id}`, 'buffer').readInt32BE(0));
    // About two sessions in three pursue a goal; a few pursue two.
    const pursued = GOALS.filter(() => random() < 0.3);
    let t = Date.parse(s.started_at);
    for (const goal of pursued) {
      const outcome = outcomeOf(random());
      for (const stepId of stepsFor(goal, outcome, random)) {
        t += 5_000 + Math.floor(random() * 40_000);
        events.push({
          id: `goal-${s.session_id}-${goal.goalId}-${stepId}`,
          type: 'goal.step',
          projectId,
          timestamp: new Date(t).toISOString(),
          sessionId: s.session_id,
          ...(s.user_id !== null ? { contactId: s.user_id } : {}),
          goalId: goal.goalId,
          stepIds: [stepId],
          organisationId: 'org-demo',
          channel: s.channel,
          localeName: s.locale_name,
          localeReferenceId: s.locale_reference_id,
          endpointName: s.endpoint_name,
          endpointType: s.channel,
          endpointUrlToken: s.endpoint_url_token,
          snapshotId: s.snapshot_id,
          snapshotName: s.snapshot_name,
        });
      }
    }
  }
  const totals = { goals: GOALS.length, events: events.length, accepted: 0, dropped: 0 };
  for (let i = 0; i < events.length; i += 1000) {
    const result = await ingestEvents(db, validateEvents(events.slice(i, i + 1000)));
    totals.accepted += result.accepted;
    totals.dropped += result.dropped;
  }
  return totals;
}
