// unknown JSON value → GoalStepEvent (the Track Goal node's event), and the check of its goal and steps against the definitions.
import { z } from 'zod';
import type { Queryable } from '../db';
import { ingestInvalid, type ErrorDetail } from '../errors';
import { GOAL_ID } from '../goals/definition';
import { identifier, name, projectId, sessionContext, timestamp } from './event-fields';

const goalIdentifier = z.string().regex(GOAL_ID, 'must be 1–128 characters of A–Z, a–z, 0–9, ".", "_", "~" or "-"');

/** Steps one goal.step event may name: more than any goal can have (see GOAL_MAX_STEPS). */
const MAX_STEP_IDS = 100;

// The fields every session event shares (src/ingest/events.ts), plus endpointType, which GoalEvents exports.
export const GoalStepEventSchema = z.strictObject({
  id: identifier,
  projectId,
  timestamp,
  type: z.literal('goal.step'),
  ...sessionContext,
  endpointType: name.nullish(),
  sessionId: identifier,
  contactId: identifier.nullish(),
  goalId: goalIdentifier,
  /** The steps hit, in the order the node lists them; the start step opens a cycle. */
  stepIds: z
    .array(goalIdentifier)
    .min(1, 'must name at least one step')
    .max(MAX_STEP_IDS, `must name at most ${MAX_STEP_IDS} steps`)
    .refine((ids) => new Set(ids).size === ids.length, 'must not name a step twice'),
  /** The cycle the steps belong to; when absent, the session's open cycle of the goal (or the one a start step opens). */
  goalCycleId: identifier.nullish(),
});

export type GoalStepEvent = z.infer<typeof GoalStepEventSchema>;

// Current step ids of every goal of the referenced projects.
const DEFINED_STEPS_SQL = `SELECT g.project_id, g.goal_id, array_agg(s.step_id ORDER BY s.step_order, s.step_id) AS steps
FROM goals g JOIN goal_steps s ON s.version = g.version
WHERE g.project_id IN (SELECT json_array_elements_text($1::json))
GROUP BY g.project_id, g.goal_id`;

const LISTED = 50;

/** Where a problem is, as validate.ts reports it: the event's position in the batch and its id. */
const at = (index: number, id: string) => ({ code: 'INGEST_INVALID', index, id });

function listing(ids: readonly string[]): string {
  if (ids.length === 0) return 'none are defined';
  const shown = ids.slice(0, LISTED).join(', ');
  return ids.length > LISTED ? `${shown}, … (${ids.length} in all)` : shown;
}

/**
 * Every goal.step event must name a defined goal and steps of its current version; one 400 lists every unknown
 * goal or step with the valid ids. Events of other types pass unchecked.
 * checkGoalReferences(db, [{ type: 'goal.step', goalId: 'refnd', … }])
 *   → throws with details [{ index: 0, target: 'goalId', message: 'unknown goal "refnd"; valid goal ids: refund' }]
 */
export async function checkGoalReferences(db: Queryable, events: readonly { readonly type: string }[]): Promise<void> {
  const goalSteps = events
    .map((event, index) => ({ event, index }))
    .filter((x): x is { event: GoalStepEvent; index: number } => x.event.type === 'goal.step');
  if (goalSteps.length === 0) return;
  const projects = [...new Set(goalSteps.map((x) => x.event.projectId))];
  const r = await db.query<{ project_id: string; goal_id: string; steps: string[] }>(DEFINED_STEPS_SQL, [JSON.stringify(projects)]);
  const defined = new Map<string, Map<string, string[]>>();
  for (const row of r.rows) {
    const goals = defined.get(row.project_id) ?? new Map<string, string[]>();
    goals.set(row.goal_id, row.steps);
    defined.set(row.project_id, goals);
  }
  const problems: (ErrorDetail & { index: number; id: string })[] = [];
  for (const { event, index } of goalSteps) {
    const goals = defined.get(event.projectId) ?? new Map<string, string[]>();
    const steps = goals.get(event.goalId);
    if (steps === undefined) {
      const valid = [...goals.keys()].sort();
      problems.push({ ...at(index, event.id), target: 'goalId', message: `unknown goal ${JSON.stringify(event.goalId)}; valid goal ids: ${listing(valid)}` });
      continue;
    }
    event.stepIds.forEach((stepId, j) => {
      if (!steps.includes(stepId)) {
        problems.push({
          ...at(index, event.id),
          target: `stepIds[${j}]`,
          message: `unknown step ${JSON.stringify(stepId)} of goal ${JSON.stringify(event.goalId)}; valid step ids: ${listing(steps)}`,
        });
      }
    });
  }
  if (problems.length > 0) throw ingestInvalid('The batch names unknown goals or steps; nothing was stored', { details: problems });
}
