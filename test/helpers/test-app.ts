// test → an express app on a fresh database, with known keys; the same createApp the server uses.
import express, { type Express } from 'express';
import { createApp } from '../../src/app';
import type { AppContext } from '../../src/context';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import type { EntityModel } from '../../src/model/edm';
import { taskfeedModel } from '../../src/model/entity-model';
import { createTestDatabase, type TestDatabase } from './test-db';

export const WRITE_KEY = 'test-write-key';
export const READ_KEY = 'test-read-key';
/** Reads only project 'p1'. */
export const P1_KEY = 'test-p1-key';

export interface TestApp {
  readonly app: Express;
  readonly ctx: AppContext;
  readonly database: TestDatabase;
  close(): Promise<void>;
}

export async function createTestApp(
  options: { env?: Record<string, string>; model?: EntityModel; database?: TestDatabase } = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const readDb = database.readDb ?? database.db;
  const config = loadConfig({
    WRITE_KEYS: WRITE_KEY,
    READ_KEYS: `${READ_KEY},${P1_KEY}:p1`,
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'http://taskfeed.test',
    ...(database.readUrl !== undefined ? { DATABASE_URL: database.url as string, DATABASE_READ_URL: database.readUrl } : {}),
    ...options.env,
  });
  const ctx: AppContext = {
    config,
    db: database.db,
    readDb,
    logger: createLogger('silent'),
    lifecycle: { shuttingDown: false },
    model: options.model ?? taskfeedModel,
  };
  const app = createApp(ctx);
  const replayed = database.replayed;
  if (replayed === undefined) return { app, ctx, database, close: () => database.drop() };
  // Behind a standby, a read waits until everything the test wrote before it has been replayed.
  const waitingApp = express();
  waitingApp.disable('x-powered-by');
  waitingApp.use((req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') replayed().then(() => next(), next);
    else next();
  });
  waitingApp.use(app);
  return { app: waitingApp, ctx, database, close: () => database.drop() };
}
