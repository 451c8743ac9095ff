// test → an express app on a fresh database, with known keys; the same createApp the server uses.
import type { Express } from 'express';
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
  const config = loadConfig({
    WRITE_KEYS: WRITE_KEY,
    READ_KEYS: `${READ_KEY},${P1_KEY}:p1`,
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'http://taskfeed.test',
    ...options.env,
  });
  const ctx: AppContext = {
    config,
    db: database.db,
    readDb: database.db,
    logger: createLogger('silent'),
    lifecycle: { shuttingDown: false },
    model: options.model ?? taskfeedModel,
  };
  return { app: createApp(ctx), ctx, database, close: () => database.drop() };
}
