// npm run migrate → applies pending schema/*.sql migrations to DATABASE_URL (or the embedded database) and exits.
import { ConfigError, loadConfig } from '../src/config';
import { openDatabase } from '../src/db';
import { runMigrations } from '../src/migrate';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1 });
  try {
    const applied = await runMigrations(db);
    process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
