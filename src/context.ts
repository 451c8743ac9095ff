// What every router needs: configuration, databases, logger, lifecycle and the entity model. Its own module so
// that app.ts can import the routers while they import this type.
import type { Config } from './config';
import type { Database } from './db';
import type { Logger } from './logger';
import type { EntityModel } from './model/edm';

export interface Lifecycle {
  shuttingDown: boolean;
}

export interface AppContext {
  readonly config: Config;
  /** Primary database: ingestion writes here. */
  readonly db: Database;
  /** Read side: a replica when DATABASE_READ_URL is set, otherwise the primary. */
  readonly readDb: Database;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  /** The built-in entity sets plus any from MODEL_DIR. */
  readonly model: EntityModel;
}
