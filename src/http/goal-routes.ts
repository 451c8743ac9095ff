// PUT|GET|DELETE /api/v1/projects/:projectId/goals[/:goalId] → write key, JSON body, goal contract, one transaction.
import express, { Router, type RequestHandler } from 'express';
import type { AppContext } from '../context';
import { ingestInvalid, notFound, unauthorized, unsupportedMediaType } from '../errors';
import { GOAL_ID, parseGoal } from '../goals/definition';
import { deleteGoal, listGoals, putGoal, readGoal } from '../goals/store';
import { parseContentType, parseJsonDocument } from '../ingest/body';
import { keyFromHeaders, matchKey } from './auth';

const PROJECT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GOAL_BODY_LIMIT = 256 * 1024;

function checked(value: unknown, pattern: RegExp, target: string, message: string): string {
  const text = String(value);
  if (!pattern.test(text)) throw ingestInvalid(`Invalid ${target}`, { details: [{ code: 'INGEST_INVALID', target, message }] });
  return text;
}

const projectIdOf = (raw: unknown) => checked(raw, PROJECT_ID, 'projectId', 'must be 1–128 characters of A–Z, a–z, 0–9, ".", "_", "~" or "-"');
const goalIdOf = (raw: unknown) => checked(raw, GOAL_ID, 'goalId', 'must be 1–128 characters of A–Z, a–z, 0–9, ".", "_", "~" or "-"');

/**
 * PUT /api/v1/projects/p1/goals/refund with the whole goal → 201 (new goal) or 200 (changed, or identical: same version),
 * body: the stored goal with its `version`. GET one (optionally ?version=<uuid>), GET the list, DELETE → 204.
 */
export function createGoalRouter(ctx: AppContext): Router {
  const router = Router();
  const { config } = ctx;

  const requireWriteKey: RequestHandler = (req, _res, next) => {
    if (!matchKey(keyFromHeaders(req), config.writeKeys)) {
      next(unauthorized('A write key is required (Authorization: Bearer <key> or X-Api-Key: <key>)', { headers: { 'WWW-Authenticate': 'Bearer' } }));
      return;
    }
    next();
  };

  router.get('/projects/:projectId/goals', requireWriteKey, async (req, res) => {
    res.json({ value: await listGoals(ctx.db, projectIdOf(req.params.projectId)) });
  });

  router.get('/projects/:projectId/goals/:goalId', requireWriteKey, async (req, res) => {
    const projectId = projectIdOf(req.params.projectId);
    const goalId = goalIdOf(req.params.goalId);
    // The app parses no query strings (query parser off): read ?version= from the raw URL.
    const version = new URL(req.originalUrl, 'http://x').searchParams.get('version') ?? undefined;
    if (version !== undefined) checked(version, UUID, 'version', 'must be a version UUID in lower case');
    const goal = await readGoal(ctx.db, projectId, goalId, version);
    if (goal === undefined) throw notFound(version === undefined ? `No goal ${goalId} in project ${projectId}` : `Goal ${goalId} has no version ${version}`);
    res.json(goal);
  });

  router.put(
    '/projects/:projectId/goals/:goalId',
    requireWriteKey,
    (req, _res, next) => {
      if (parseContentType(req.headers['content-type']) !== 'json') throw unsupportedMediaType('Content-Type must be application/json');
      next();
    },
    express.raw({ type: () => true, limit: GOAL_BODY_LIMIT }),
    async (req, res) => {
      const projectId = projectIdOf(req.params.projectId);
      const goalId = goalIdOf(req.params.goalId);
      const value = parseJsonDocument(req.body);
      const { definition, changedBy } = parseGoal(value, config.goalMaxSteps);
      const { outcome, goal } = await putGoal(ctx.db, projectId, goalId, definition, changedBy);
      res.status(outcome === 'created' ? 201 : 200).json({ ...goal, outcome });
    },
  );

  router.delete('/projects/:projectId/goals/:goalId', requireWriteKey, async (req, res) => {
    const projectId = projectIdOf(req.params.projectId);
    const goalId = goalIdOf(req.params.goalId);
    const deleted = await deleteGoal(ctx.db, projectId, goalId);
    if (deleted === undefined) throw notFound(`No goal ${goalId} in project ${projectId}`);
    res.json({ deleted: goalId, ...deleted });
  });

  return router;
}
