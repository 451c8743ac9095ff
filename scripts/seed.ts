// npm run seed -- --contacts N --days D → deterministic, realistic conversation traffic stored through ingestEvents, in batches.
import cliProgress from 'cli-progress';
import { ConfigError, loadConfig } from '../src/config';
import { openDatabase } from '../src/db';
import { ingestEvents } from '../src/ingest/ingest';
import { validateEvents } from '../src/ingest/validate';
import { runMigrations } from '../src/migrate';
import { contactTraffic, type Event, type TrafficOptions } from './traffic';
import { seedGoals } from './seed-goals';

const HELP = `Usage: npm run seed -- [options]

Generates realistic conversation traffic (sessions, inputs, messages, executed steps, completed tasks,
live-agent handovers, ratings and profile updates) and stores it through the same ingestion function
the HTTP API uses, in batches. Uses DATABASE_URL, or the embedded database in DATA_DIR.

The output is deterministic: the same options give the same events with the same ids, so running the
seed twice stores nothing new the second time (every event is a duplicate).

Options:
  --contacts N   contacts (end users) to simulate                    (default 1000)
  --days D       days of traffic, ending at --end                    (default 30)
  --end DATE     last day of traffic, YYYY-MM-DD (UTC)               (default: today)
  --project P    project id                                          (default demo)
  --seed S       seed of the pseudo-random generator                 (default 42)
  --batch B      events per ingestion transaction                    (default 1000)
  --help         show this help
`;

interface Options extends TrafficOptions {
  readonly contacts: number;
  readonly batch: number;
}

function parseArgs(argv: readonly string[]): Options | 'help' {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    if (!['--contacts', '--days', '--end', '--project', '--seed', '--batch'].includes(flag)) throw new Error(`Unknown option ${arg}; see --help`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    values.set(flag, value);
  }
  const int = (flag: string, fallback: number, min: number) => {
    const raw = values.get(flag);
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer ≥ ${min}`);
    return n;
  };
  const endText = values.get('--end') ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(endText) || Number.isNaN(Date.parse(`${endText}T00:00:00Z`))) throw new Error('--end must be YYYY-MM-DD');
  const project = values.get('--project') ?? 'demo';
  if (!/^[A-Za-z0-9._~-]{1,128}$/.test(project)) throw new Error('--project may use A–Z, a–z, 0–9, ".", "_", "~" and "-"');
  return {
    contacts: int('--contacts', 1000, 1),
    days: int('--days', 30, 1),
    end: new Date(Date.parse(`${endText}T00:00:00Z`) + 86_400_000),
    project,
    seed: int('--seed', 42, 0),
    batch: int('--batch', 1000, 1),
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const config = loadConfig(process.env);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2, statementTimeoutMs: config.statementTimeoutMs });
  const totals = { events: 0, accepted: 0, duplicates: 0, dropped: 0, sessions: 0, tasks: 0 };
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    { format: 'seeding [{bar}] {percentage}% | {value}/{total} contacts | {events} events | {rate} events/s | ETA {eta_formatted}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  try {
    await runMigrations(db);
    process.stdout.write(
      `Seeding project ${options.project}: ${options.contacts} contacts over ${options.days} days up to ${new Date(options.end.getTime() - 1).toISOString().slice(0, 10)} ` +
        `(seed ${options.seed}, ${options.batch} events per batch) into ${db.kind === 'pglite' ? `the embedded database (${config.dataDir})` : 'PostgreSQL'}\n`,
    );
    bar.start(options.contacts, 0, { events: 0, rate: 0 });
    let pending: Event[] = [];
    const flush = async (all: boolean) => {
      while (pending.length >= options.batch || (all && pending.length > 0)) {
        const batch = pending.slice(0, options.batch);
        pending = pending.slice(batch.length);
        const result = await ingestEvents(db, validateEvents(batch));
        totals.events += batch.length;
        totals.accepted += result.accepted;
        totals.duplicates += result.duplicates;
        totals.dropped += result.dropped;
      }
    };
    for (let i = 0; i < options.contacts; i++) {
      const traffic = contactTraffic(options, i);
      pending.push(...traffic.events);
      totals.sessions += traffic.sessions;
      totals.tasks += traffic.tasks;
      await flush(false);
      const seconds = (Date.now() - started) / 1000;
      bar.update(i + 1, { events: totals.events, rate: Math.round(totals.events / Math.max(seconds, 0.001)) });
    }
    await flush(true);
    bar.update(options.contacts, { events: totals.events });
    bar.stop();
    const seconds = (Date.now() - started) / 1000;
    const line = (label: string, value: string | number) => process.stdout.write(`  ${label.padEnd(12)} ${value}\n`);
    process.stdout.write('Done.\n');
    line('events', `${totals.events} (${totals.accepted} stored, ${totals.duplicates} duplicates, ${totals.dropped} dropped)`);
    line('contacts', options.contacts);
    line('sessions', totals.sessions);
    line('tasks', totals.tasks);
    line('goal steps', JSON.stringify(await seedGoals(db, options.project, options.seed)));
    line('elapsed', `${seconds.toFixed(1)} s`);
    line('events/s', Math.round(totals.events / Math.max(seconds, 0.001)));
  } finally {
    bar.stop();
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`seed failed: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
