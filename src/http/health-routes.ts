// GET /healthz, /readyz → liveness (process up) and readiness (database reachable).
import { Router } from 'express';
import type { Database } from '../db';

export function createHealthRouter(databases: readonly Database[], isShuttingDown: () => boolean): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (isShuttingDown()) {
      res.status(503).setHeader('Retry-After', '5').json({ status: 'shutting down' });
      return;
    }
    try {
      await Promise.all(databases.map((db) => db.ping()));
      res.json({ status: 'ready' });
    } catch {
      res.status(503).setHeader('Retry-After', '5').json({ status: 'database unreachable' });
    }
  });
  return router;
}
