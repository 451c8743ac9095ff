// GET /metrics → Prometheus text for the metrics key; without METRICS_KEY the route does not exist (404).
import { Router } from 'express';
import { unauthorized } from '../errors';
import type { Metrics } from '../metrics';
import { keyFromHeaders, matchKey } from './auth';

export function createMetricsRouter(metricsKey: string | undefined, metrics: Metrics): Router {
  const router = Router();
  if (metricsKey === undefined) return router;
  router.get('/metrics', async (req, res) => {
    if (!matchKey(keyFromHeaders(req), [metricsKey])) {
      throw unauthorized('The metrics key is required (Authorization: Bearer <key>)', { headers: { 'WWW-Authenticate': 'Bearer' } });
    }
    const text = await metrics.registry.metrics();
    res.setHeader('Cache-Control', 'no-store');
    res.type(metrics.registry.contentType).send(text);
  });
  return router;
}
