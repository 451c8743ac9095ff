// AppContext → express app: routers and error handling; no I/O of its own and no listen (see main.ts).
import crypto from 'node:crypto';
import express from 'express';
import type { AppContext } from './context';
import { uriTooLong } from './errors';
import { createErrorHandler, notFoundHandler } from './http/error-handler';
import { createHealthRouter } from './http/health-routes';
import { createGoalRouter } from './http/goal-routes';
import { createIngestRouter } from './http/ingest-routes';
import { createLandingRouter } from './http/landing-routes';
import { createMetricsRouter } from './http/metrics-routes';
import { createODataRouter } from './http/odata-routes';
import { redactUrl } from './logger';
import { createMetrics, routeFamily } from './metrics';
import { createReadAhead } from './read-ahead';
import { withCognigyKeyNames } from './model/cognigy-compat';

export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.trustProxy);
  app.set('query parser', false);
  const metrics = createMetrics({
    pools: new Map(ctx.readDb === ctx.db ? [['write', ctx.db]] : [['write', ctx.db], ['read', ctx.readDb]]),
    replica: ctx.config.databaseReadUrl !== undefined ? ctx.readDb : undefined,
    readAhead: () => readAhead.stats(),
  });
  // One budget for every mount: feed pages computed ahead are shared by /odata, /v2.3 and /v2.4.
  const readAhead = createReadAhead({
    maxBytes: ctx.config.reads.readAheadBytes,
    ttlMs: ctx.config.reads.readAheadTtlMs,
    maxRunning: Math.max(1, Math.floor(ctx.config.reads.poolSize / 2)),
    observe: (outcome) => metrics.observeReadAhead(outcome),
  });

  app.use((req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : crypto.randomUUID();
    res.locals.requestId = requestId;
    // While stopping, answered connections close instead of idling in keep-alive until the shutdown timeout.
    if (ctx.lifecycle.shuttingDown) res.setHeader('Connection', 'close');
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    const family = routeFamily(req.originalUrl);
    res.on('close', () => {
      if (res.writableFinished) return;
      if (res.locals.cutByServer === true) metrics.observeCutResponse(family, res.locals.errorCode as string);
      else metrics.observeClientGone(family);
    });
    res.on('finish', () => {
      const errorCode = res.locals.errorCode as string | undefined;
      metrics.observeResponse(family, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9, errorCode);
      ctx.logger.info(
        {
          requestId,
          method: req.method,
          url: redactUrl(req.originalUrl),
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    });
    if (req.originalUrl.length > ctx.config.maxUrlLength) {
      next(uriTooLong(`Request URL is longer than ${ctx.config.maxUrlLength} characters`));
      return;
    }
    next();
  });

  app.use(createHealthRouter([ctx.db, ctx.readDb], () => ctx.lifecycle.shuttingDown));
  app.use(createMetricsRouter(ctx.config.metricsKey, metrics));
  app.use('/api/v1', createIngestRouter(ctx, metrics));
  app.use('/api/v1', createGoalRouter(ctx));
  app.use('/odata', createODataRouter(ctx, { model: ctx.model, mountPath: '/odata', readAhead }));
  // Cognigy-compatible prefix: same entity sets, the key named _id as in Cognigy's v2.3 endpoint.
  app.use('/v2.3', createODataRouter(ctx, { model: withCognigyKeyNames(ctx.model), mountPath: '/v2.3', readAhead }));
  // Cognigy's current version path: the /odata model unchanged, so a v2.4 report works by changing only the host.
  app.use('/v2.4', createODataRouter(ctx, { model: ctx.model, mountPath: '/v2.4', readAhead }));
  app.use(createLandingRouter(ctx));
  app.use(notFoundHandler);
  app.use(createErrorHandler(ctx.logger));
  return app;
}
