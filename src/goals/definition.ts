// PUT body (unknown JSON) → GoalDefinition: the goal contract as a zod schema; one error lists every problem.
import { z } from 'zod';
import { ingestInvalid, type ErrorDetail } from '../errors';

/** Goal, step and metric ids: they travel in URLs and in composite ids, so no ':' and no '/'. */
export const GOAL_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const ID_MESSAGE = 'must be 1–128 characters of A–Z, a–z, 0–9, ".", "_", "~" or "-"';

const id = z.string().regex(GOAL_ID, ID_MESSAGE);
const name = z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters');
const optionalText = (max: number) => z.string().max(max, `must be at most ${max} characters`).nullish();

const MAX_METRIC_VALUE = 2_147_483_647;

const MetricSchema = z.strictObject({
  metricId: id,
  name,
  description: optionalText(10_000),
  /** 'duration': seconds of time saved; 'currency': an amount in the project's currency. */
  type: z.enum(['duration', 'currency'], { error: "must be 'duration' or 'currency'" }),
  /** For currency metrics: cost savings (default) or revenue earned. Duration metrics are always time saved. */
  benefit: z.enum(['costSavings', 'revenue'], { error: "must be 'costSavings' or 'revenue'" }).nullish(),
  value: z.int('must be an integer').min(0, 'must not be negative').max(MAX_METRIC_VALUE, `must be at most ${MAX_METRIC_VALUE}`),
});

const StepSchema = z.strictObject({
  stepId: id,
  name,
  description: optionalText(10_000),
  order: z.int('must be an integer').min(0, 'must not be negative').max(1_000_000, 'must be at most 1000000'),
  text: optionalText(10_000),
  type: z.enum(['start', 'completion'], { error: "must be 'start', 'completion' or null" }).nullish(),
  metrics: z.array(MetricSchema).max(20, 'at most 20 metrics per step').default([]),
});

const GoalBodySchema = z.strictObject({
  name,
  description: optionalText(10_000),
  referenceId: id.nullish(),
  organisationId: id.nullish(),
  /** Who makes this change: createdBy of a new goal, lastChangedBy of every version. */
  changedBy: z.string().min(1).max(256, 'must be at most 256 characters').nullish(),
  steps: z.array(StepSchema),
});

export interface GoalMetric {
  readonly metricId: string;
  readonly name: string;
  readonly description: string | null;
  readonly type: 'duration' | 'currency';
  readonly benefit: 'timeSaved' | 'costSavings' | 'revenue';
  readonly value: number;
}

export interface GoalStep {
  readonly stepId: string;
  readonly name: string;
  readonly description: string | null;
  readonly order: number;
  readonly text: string | null;
  readonly type: 'start' | 'completion' | null;
  readonly metrics: readonly GoalMetric[];
}

/** A validated goal definition; `steps` sorted by order. Everything but changedBy makes up a version. */
export interface GoalDefinition {
  readonly name: string;
  readonly description: string | null;
  readonly referenceId: string | null;
  readonly organisationId: string | null;
  readonly steps: readonly GoalStep[];
}

export interface ParsedGoal {
  readonly definition: GoalDefinition;
  readonly changedBy: string | null;
}

type Body = z.infer<typeof GoalBodySchema>;

/** The rules zod's shapes cannot say: one start, a completion, unique ids and orders, the step limit. */
function ruleProblems(body: Body, maxSteps: number): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const add = (target: string, message: string) => problems.push({ code: 'INGEST_INVALID', target, message });
  const { steps } = body;
  if (steps.length > maxSteps) add('steps', `a goal has at most ${maxSteps} steps (GOAL_MAX_STEPS); this one has ${steps.length}`);
  const starts = steps.filter((s) => s.type === 'start');
  if (starts.length !== 1) add('steps', `a goal has exactly one start step (type 'start'); this one has ${starts.length}`);
  if (!steps.some((s) => s.type === 'completion')) add('steps', "a goal has at least one completion step (type 'completion')");
  const seen = (values: readonly (string | number)[], target: (i: number) => string, what: string) => {
    const first = new Map<string | number, number>();
    values.forEach((v, i) => {
      const earlier = first.get(v);
      if (earlier === undefined) first.set(v, i);
      else add(target(i), `${what} ${JSON.stringify(v)} is also used by ${target(earlier)}`);
    });
  };
  seen(steps.map((s) => s.stepId), (i) => `steps[${i}].stepId`, 'step id');
  seen(steps.map((s) => s.order), (i) => `steps[${i}].order`, 'order');
  const metrics = steps.flatMap((s, i) => s.metrics.map((m, j) => ({ m, target: `steps[${i}].metrics[${j}]` })));
  seen(metrics.map((x) => x.m.metricId), (i) => `${metrics[i]?.target}.metricId`, 'metric id');
  for (const { m, target } of metrics) {
    if (m.type === 'duration' && m.benefit !== undefined && m.benefit !== null) add(`${target}.benefit`, 'only currency metrics have a benefit');
  }
  return problems;
}

function zodProblems(error: z.ZodError): ErrorDetail[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ code: 'INGEST_INVALID', target: [...issue.path, key].join('.'), message: 'unknown field' }))
      : [{ code: 'INGEST_INVALID', target: issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '['), message: issue.message }],
  );
}

const orNull = <T>(v: T | null | undefined): T | null => (v === undefined ? null : v);

/**
 * parseGoal({ name: 'Refund', steps: [{ stepId: 'asked', type: 'start', … }, { stepId: 'paid', type: 'completion', … }] }, 10)
 *   → { definition: { name: 'Refund', steps: [asked, paid], … }, changedBy: null }; throws a 400 naming every problem.
 */
export function parseGoal(value: unknown, maxSteps: number): ParsedGoal {
  const parsed = GoalBodySchema.safeParse(value);
  if (!parsed.success) throw ingestInvalid('The goal is invalid; nothing was changed', { details: zodProblems(parsed.error) });
  const problems = ruleProblems(parsed.data, maxSteps);
  if (problems.length > 0) throw ingestInvalid('The goal is invalid; nothing was changed', { details: problems });
  const body = parsed.data;
  const steps = [...body.steps]
    .sort((a, b) => a.order - b.order)
    .map(
      (s): GoalStep => ({
        stepId: s.stepId,
        name: s.name,
        description: orNull(s.description),
        order: s.order,
        text: orNull(s.text),
        type: orNull(s.type),
        metrics: s.metrics.map((m) => ({
          metricId: m.metricId,
          name: m.name,
          description: orNull(m.description),
          type: m.type,
          benefit: m.type === 'duration' ? 'timeSaved' : (m.benefit ?? 'costSavings'),
          value: m.value,
        })),
      }),
    );
  return {
    definition: {
      name: body.name,
      description: orNull(body.description),
      referenceId: orNull(body.referenceId),
      organisationId: orNull(body.organisationId),
      steps,
    },
    changedBy: orNull(body.changedBy),
  };
}
