// POST /api/v1/events, GET|PUT /api/v1/projects/:projectId/settings → write key, body, signature, validation, one transaction.
import express, { Router, type RequestHandler } from 'express';
import type { AppContext } from '../context';
import { ingestInvalid, unauthorized, unsupportedMediaType } from '../errors';
import { parseBody, parseContentType, parseJsonDocument } from '../ingest/body';
import { GroupCommitter } from '../ingest/group-commit';
import { checkGoalReferences } from '../ingest/goal-events';
import { ingestEvents } from '../ingest/ingest';
import { loadSettings, saveSettings, SettingsBodySchema } from '../ingest/settings';
import { SIGNATURE_HEADER, verifySignature } from '../ingest/signature';
import { validateEvents } from '../ingest/validate';
import type { Metrics } from '../metrics';
import { keyFromHeaders, matchKey } from './auth';

const PROJECT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const SETTINGS_BODY_LIMIT = 16 * 1024;

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * POST /api/v1/events with `[{ "id": "e1", "type": "task.completed", … }]`
 *   → 201 { accepted: 1, duplicates: 0, dropped: 0 } (200 when nothing new was stored).
 */
export function createIngestRouter(ctx: AppContext, metrics: Metrics): Router {
  const router = Router();
  const { config } = ctx;
  const groupCommitter = config.ingestGroupCommit.enabled ? new GroupCommitter(ctx.db, config.ingestGroupCommit) : undefined;

  // Read keys never write: only WRITE_KEYS are consulted.
  const requireWriteKey: RequestHandler = (req, _res, next) => {
    if (!matchKey(keyFromHeaders(req), config.writeKeys)) {
      next(unauthorized('A write key is required (Authorization: Bearer <key> or X-Api-Key: <key>)', { headers: { 'WWW-Authenticate': 'Bearer' } }));
      return;
    }
    next();
  };

  // Checked before the body is read, so a wrong type is refused without receiving the body.
  const requireContentType =
    (accepted: 'json' | 'any'): RequestHandler =>
    (req, _res, next) => {
      const format = parseContentType(req.headers['content-type']);
      if (accepted === 'json' && format !== 'json') throw unsupportedMediaType('Content-Type must be application/json');
      next();
    };

  // The raw bytes are needed for the signature and for NDJSON; over the limit body-parser raises a 413.
  const rawBody = (limit: number) => express.raw({ type: () => true, limit });

  router.post('/events', requireWriteKey, requireContentType('any'), rawBody(config.maxBodyBytes), async (req, res) => {
    const body: Uint8Array = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (config.webhookSecret !== undefined) verifySignature(config.webhookSecret, body, header(req.headers[SIGNATURE_HEADER]));
    const items = parseBody(body, parseContentType(req.headers['content-type']), config.maxBatchEvents);
    if (items.length === 0) throw ingestInvalid('The batch contains no events');
    // Validated before grouping: an invalid event rejects only its own request.
    const events = validateEvents(items);
    await checkGoalReferences(ctx.db, events);
    const result = groupCommitter !== undefined ? await groupCommitter.ingest(events) : await ingestEvents(ctx.db, events);
    metrics.observeIngested(result);
    res.status(result.accepted > 0 ? 201 : 200).json(result);
  });

  const projectIdOf = (raw: unknown): string => {
    const projectId = String(raw);
    if (!PROJECT_ID.test(projectId)) {
      throw ingestInvalid('Invalid project id', {
        details: [{ code: 'INGEST_INVALID', target: 'projectId', message: 'must be 1–128 characters of A–Z, a–z, 0–9, ".", "_", "~" or "-"' }],
      });
    }
    return projectId;
  };

  router.get('/projects/:projectId/settings', requireWriteKey, async (req, res) => {
    res.json(await loadSettings(ctx.db, projectIdOf(req.params.projectId)));
  });

  router.put('/projects/:projectId/settings', requireWriteKey, requireContentType('json'), rawBody(SETTINGS_BODY_LIMIT), async (req, res) => {
    const projectId = projectIdOf(req.params.projectId);
    const value = parseJsonDocument(req.body);
    const parsed = SettingsBodySchema.safeParse(value);
    if (!parsed.success) {
      throw ingestInvalid('The settings are invalid; nothing was changed', {
        details: parsed.error.issues.flatMap((issue) =>
          issue.code === 'unrecognized_keys'
            ? issue.keys.map((key) => ({ code: 'INGEST_INVALID', target: [...issue.path, key].join('.'), message: 'unknown field' }))
            : [{ code: 'INGEST_INVALID', target: issue.path.join('.'), message: issue.message }],
        ),
      });
    }
    res.json(await saveSettings(ctx.db, projectId, parsed.data));
  });

  return router;
}
