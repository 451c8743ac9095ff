// npm run purge → deletes every row past its project's retention period (DATABASE_URL or the embedded database) and prints the counts.
import { ConfigError, loadConfig } from '../src/config';
import { openDatabase } from '../src/db';
import { runMigrations } from '../src/migrate';
import { purgeExpired } from '../src/retention';

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(
      'Usage: npm run purge\n\n' +
        'Deletes rows older than the retention periods set per project (PUT /api/v1/projects/:id/settings),\n' +
        'on DATABASE_URL or the embedded database in DATA_DIR, and prints the number of rows deleted per table.\n',
    );
    return;
  }
  const config = loadConfig(process.env);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1, statementTimeoutMs: config.statementTimeoutMs });
  try {
    await runMigrations(db);
    const started = Date.now();
    const deleted = await purgeExpired(db);
    const width = Math.max(...Object.keys(deleted).map((t) => t.length));
    for (const [table, count] of Object.entries(deleted)) process.stdout.write(`${table.padEnd(width)}  ${String(count).padStart(10)}\n`);
    const total = Object.values(deleted).reduce((a, b) => a + b, 0);
    process.stdout.write(`${'total'.padEnd(width)}  ${String(total).padStart(10)}   (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`purge failed: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
