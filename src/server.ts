// AppContext → listening HTTP server with a graceful stop: no new connections, requests in flight finish, then the pools close.
import http from 'node:http';
import { createApp } from './app';
import type { AppContext } from './context';
import { createClientErrorHandler, limitBodySilence } from './http/socket-errors';

export interface RunningServer {
  readonly server: http.Server;
  readonly port: number;
  /** Stops accepting, lets requests in flight finish (closing them after the timeout), then closes the databases. */
  stop(reason: string): Promise<void>;
}

/**
 * startServer(ctx) → listens on ctx.config.host:port. Every 2xx of the ingestion API is sent after COMMIT,
 * so a stop never loses an acknowledged event: requests in flight either commit and answer, or never answered.
 */
export function startServer(ctx: AppContext): Promise<RunningServer> {
  const app = createApp(ctx);
  const { sockets } = ctx.config;
  const server = http.createServer(
    {
      // Long OData URLs (Power BI filters) need a larger request-line limit than Node's 16 KiB default.
      maxHeaderSize: ctx.config.maxUrlLength + 16 * 1024,
      headersTimeout: sockets.headersTimeoutMs,
      requestTimeout: sockets.requestTimeoutMs,
      // Node checks the two timeouts above on this interval (30 s by default, which would stretch them).
      connectionsCheckingInterval: Math.min(1000, sockets.headersTimeoutMs),
    },
    (req, res) => {
      limitBodySilence(req, res, sockets.bodyTimeoutMs);
      app(req, res);
    },
  );
  server.keepAliveTimeout = sockets.keepAliveTimeoutMs;
  server.maxConnections = sockets.maxConnections;
  server.on('clientError', createClientErrorHandler(ctx.config.maxUrlLength, ctx.logger));
  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      ctx.lifecycle.shuttingDown = true;
      ctx.logger.info({ reason }, 'shutting down: no new connections, finishing requests in flight');
      const force = setTimeout(() => {
        ctx.logger.warn('shutdown timeout reached; closing remaining connections');
        server.closeAllConnections();
      }, ctx.config.shutdownTimeoutMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        void (async () => {
          await ctx.db.close();
          if (ctx.readDb !== ctx.db) await ctx.readDb.close();
          ctx.logger.info('stopped');
          resolve();
        })();
      });
      server.closeIdleConnections();
    });
    return stopping;
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(ctx.config.port, ctx.config.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : ctx.config.port;
      resolve({ server, port, stop });
    });
  });
}
