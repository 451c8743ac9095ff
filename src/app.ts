// AppContext → express app: routers and error handling; no I/O of its own and no listen (see main.ts).
import crypto from 'node:crypto';
import express from 'express';
import type { AppContext } from './context';
import { uriTooLong } from './errors';
import { createErrorHandler, notFoundHandler } from './http/error-handler';
import { createHealthRouter } from './http/health-routes';
import { createIngestRouter } from './http/ingest-routes';
import { createLandingRouter } from './http/landing-routes';
import { createODataRouter } from './http/odata-routes';
import { redactUrl } from './logger';
import { withCognigyKeyNames } from './model/cognigy-compat';

export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.trustProxy);
  app.set('query parser', false);

  app.use((req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : crypto.randomUUID();
    res.locals.requestId = requestId;
    // While stopping, answered connections close instead of idling in keep-alive until the shutdown timeout.
    if (ctx.lifecycle.shuttingDown) res.setHeader('Connection', 'close');
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
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
  app.use('/api/v1', createIngestRouter(ctx));
  app.use('/odata', createODataRouter(ctx, { model: ctx.model, mountPath: '/odata' }));
  // Cognigy-compatible prefix: same entity sets, the key named _id as in Cognigy's v2.3 endpoint.
  app.use('/v2.3', createODataRouter(ctx, { model: withCognigyKeyNames(ctx.model), mountPath: '/v2.3' }));
  app.use(createLandingRouter(ctx));
  app.use(notFoundHandler);
  app.use(createErrorHandler(ctx.logger));
  return app;
}
