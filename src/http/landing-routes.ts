// GET / → the landing page (how to connect, and the data read through our own OData $apply); /assets/* → its files.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type Response } from 'express';
import type { AppContext } from '../context';
import { projectRoot } from '../paths';

/** Everything the page loads comes from this server; no inline script or style, no framing. */
export const LANDING_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the page finds the charting library (served from the installed npm package). */
export const CHART_LIBRARY_PATH = '/assets/vendor/chart.umd.min.js';

function chartLibraryFile(): string {
  // The package exports no subpaths for its UMD build: find it beside the CommonJS entry point.
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
}

function securityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', LANDING_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

export function createLandingRouter(ctx: AppContext): Router {
  const publicDir = path.join(projectRoot(), 'public');
  let template: string;
  try {
    template = fs.readFileSync(path.join(publicDir, 'index.html'), 'utf8');
  } catch (err) {
    // An install without public/ still serves the API and the feed; only the page is missing.
    ctx.logger.warn({ err, publicDir }, 'landing page not served: public/index.html is missing');
    return Router();
  }
  // The development keys are documented in the README; the page names them only while they are in force.
  const html = template.replace('data-dev-keys="false"', `data-dev-keys="${ctx.config.usingDevelopmentKeys ? 'true' : 'false'}"`);
  const etag = `"${crypto.createHash('sha256').update(html).digest('base64url').slice(0, 27)}"`;
  const chartFile = chartLibraryFile();

  const router = Router();

  router.get('/', (_req, res) => {
    securityHeaders(res);
    res.setHeader('Cache-Control', 'no-cache');
    // send() answers 304 when If-None-Match matches this ETag.
    res.setHeader('ETag', etag);
    res.type('html').send(html);
  });

  router.get(CHART_LIBRARY_PATH, (_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.sendFile(chartFile, { maxAge: '1d', headers: { 'Content-Type': 'text/javascript; charset=utf-8' } }, (err) => {
      if (err !== undefined && !res.headersSent) next(err);
    });
  });

  // The page's own files: revalidated on every load (ETag), never a directory listing or an index file.
  const assetName = /^\/[a-z0-9][a-z0-9-]*\.(?:js|css|svg)$/;
  router.use(
    '/assets',
    (req, _res, next) => {
      if (assetName.test(req.path)) next();
      else next('router');
    },
    express.static(publicDir, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      fallthrough: true,
      cacheControl: true,
      maxAge: 0,
      setHeaders(res) {
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Cache-Control', 'no-cache');
      },
    }),
  );

  return router;
}
