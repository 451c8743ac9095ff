// process entry: loadConfig → openDatabase → runMigrations → startServer; SIGTERM drains requests, then closes the pool.
import type { AppContext } from './context';
import { ConfigError, DEVELOPMENT_READ_KEY, DEVELOPMENT_WRITE_KEY, loadConfig, type Config } from './config';
import { openDatabases } from './db';
import { createLogger } from './logger';
import { runMigrations } from './migrate';
import { taskfeedModel } from './model/entity-model';
import { loadModelDir, mergeModel, verifyModelColumns } from './model/model-dir';
import { purgeExpired } from './retention';
import { startServer } from './server';

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  const { db, readDb } = await openDatabases(config);
  const applied = await runMigrations(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  if (config.usingDevelopmentKeys) {
    logger.warn(
      { writeKey: DEVELOPMENT_WRITE_KEY, readKey: DEVELOPMENT_READ_KEY },
      'WRITE_KEYS/READ_KEYS not set: the development keys are active; set your own before exposing this server',
    );
  }

  const model = config.modelDir === undefined ? taskfeedModel : mergeModel(taskfeedModel, loadModelDir(config.modelDir));
  if (config.modelDir !== undefined) {
    // A model file naming a missing table or column fails here rather than on the first query.
    const problems = await verifyModelColumns(readDb, model);
    if (problems.length > 0) throw new Error(`MODEL_DIR does not match the database: ${problems.join('; ')}`);
    logger.info({ modelDir: config.modelDir, entitySets: model.entitySets.length - taskfeedModel.entitySets.length }, 'model files loaded');
  }
  const ctx: AppContext = { config, db, readDb, logger, lifecycle: { shuttingDown: false }, model };
  const running = await startServer(ctx);
  logger.info(
    { url: `http://${config.host}:${running.port}/`, database: db.kind === 'pglite' ? `embedded (${config.dataDir})` : 'postgresql' },
    'taskfeed listening',
  );

  let purgeTimer: NodeJS.Timeout | undefined;
  if (config.purgeIntervalMinutes !== undefined) {
    purgeTimer = setInterval(() => {
      purgeExpired(db)
        .then((deleted) => logger.info({ deleted }, 'retention purge'))
        .catch((err: unknown) => logger.error({ err }, 'retention purge failed'));
    }, config.purgeIntervalMinutes * 60_000);
    purgeTimer.unref();
  }

  const shutdown = (signal: string) => {
    if (purgeTimer !== undefined) clearInterval(purgeTimer);
    void running.stop(signal).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`taskfeed failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
