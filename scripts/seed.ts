// npm run seed -- --contacts N --days D → deterministic, realistic conversation traffic stored through ingestEvents, in batches.
import cliProgress from 'cli-progress';
import { ConfigError, loadConfig } from '../src/config';
import { openDatabase } from '../src/db';
import { ingestEvents } from '../src/ingest/ingest';
import { validateEvents } from '../src/ingest/validate';
import { runMigrations } from '../src/migrate';
import { prng, type Random } from './prng';
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

interface Options {
  readonly contacts: number;
  readonly days: number;
  readonly end: Date;
  readonly project: string;
  readonly seed: number;
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

// ------------------------------------------------------------------------------------------------
// Deterministic randomness


/** A generator per contact, so a contact's traffic does not depend on the batch size or on other contacts. */
function contactRandom(seed: number, contact: number): Random {
  return prng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(contact + 1, 0xc2b2ae35));
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const between = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));

/** Zipf-like popularity: the k-th item is chosen with weight 1/k^s. */
function zipf<T>(items: readonly T[], s = 1.1): (random: Random) => T {
  const weights = items.map((_, k) => 1 / (k + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  weights.reduce((acc, w) => {
    cumulative.push((acc + w) / total);
    return acc + w;
  }, 0);
  return (random) => {
    const r = random();
    const i = cumulative.findIndex((c) => r <= c);
    return items[i < 0 ? items.length - 1 : i] as T;
  };
}

function weighted<T>(pairs: readonly (readonly [T, number])[]): (random: Random) => T {
  const total = pairs.reduce((a, [, w]) => a + w, 0);
  return (random) => {
    let r = random() * total;
    for (const [value, w] of pairs) {
      r -= w;
      if (r <= 0) return value;
    }
    return (pairs[pairs.length - 1] as readonly [T, number])[0];
  };
}

// ------------------------------------------------------------------------------------------------
// The simulated bot

const TASKS = [
  'Order Placement',
  'Information Retrieval',
  'Account Registration',
  'Appointment Booking',
  'Order Tracking',
  'Password Reset',
  'Successful AI Agent Conversation',
  'Payment Update',
  'Address Change',
  'Refund Request',
  'Subscription Cancellation',
  'Feedback Submission',
];
const pickTask = zipf(TASKS);

const INTENTS: readonly { intent: string; text: readonly string[]; task?: string }[] = [
  { intent: 'orderFood', text: ['I want to order a pizza', 'Can I order two burgers?', 'order a large pepperoni'], task: 'Order Placement' },
  { intent: 'openingHours', text: ['When are you open?', 'opening hours on sunday', 'are you open tonight'], task: 'Information Retrieval' },
  { intent: 'trackOrder', text: ['Where is my order?', 'track order 4711', 'my delivery is late'], task: 'Order Tracking' },
  { intent: 'bookAppointment', text: ['I need an appointment next week', 'book a table for 4', 'can I come in tomorrow at 3'], task: 'Appointment Booking' },
  { intent: 'signUp', text: ['I want to create an account', 'sign me up', 'register please'], task: 'Account Registration' },
  { intent: 'resetPassword', text: ['I forgot my password', 'reset password', 'cannot log in'], task: 'Password Reset' },
  { intent: 'smalltalk', text: ['hi', 'hello there', 'thanks!', 'ok'] },
  { intent: 'agent', text: ['talk to a human', 'I want an agent', 'real person please'] },
];
const pickIntent = zipf(INTENTS, 0.9);

const NODES = [
  ['node-welcome', 'Welcome'],
  ['node-ask-intent', 'Ask what the user needs'],
  ['node-order-size', 'Ask size'],
  ['node-order-confirm', 'Confirm order'],
  ['node-lookup-order', 'Look up order'],
  ['node-faq', 'Answer FAQ'],
  ['node-calendar', 'Check calendar'],
  ['node-register', 'Create account'],
  ['node-reset', 'Send reset link'],
  ['node-handover', 'Hand over to agent'],
  ['node-goodbye', 'Goodbye'],
] as const;
const pickNode = zipf(NODES.slice(1), 0.8);

const CHANNELS = weighted([
  ['webchat3', 60],
  ['whatsapp', 15],
  ['voiceGateway2', 15],
  ['msteams', 10],
] as const);
const LOCALES = weighted([
  [['loc-en', 'en'] as const, 70],
  [['loc-de', 'de'] as const, 20],
  [['loc-fr', 'fr'] as const, 10],
] as const);
const FIRST_NAMES = ['Ada', 'Ben', 'Chloe', 'David', 'Emma', 'Felix', 'Greta', 'Hugo', 'Ines', 'Jonas', 'Kira', 'Luca', 'Mia', 'Noah'];
const LAST_NAMES = ['Meyer', 'Schmidt', 'Dubois', 'Rossi', 'Smith', 'Novak', 'Jensen', 'Garcia', 'Kowalski', 'Weber'];
const CITIES = ['Berlin', 'Düsseldorf', 'Paris', 'Lyon', 'London', 'Vienna', 'Zurich', 'Madrid'];

type Event = Record<string, unknown>;

interface ContactTraffic {
  readonly events: Event[];
  readonly sessions: number;
  readonly tasks: number;
}

// Traffic peaks in the afternoon; nights are quiet.
const HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 9, 9, 10, 10, 10, 9, 9, 8, 7, 6, 5, 4, 3, 2];
const pickHour = weighted(HOUR_WEIGHTS.map((w, h) => [h, w] as const));

function contactTraffic(o: Options, index: number): ContactTraffic {
  const random = contactRandom(o.seed, index);
  const contactId = `${o.project}-user-${o.seed}-${index}`;
  const events: Event[] = [];
  let n = 0;
  const nextId = () => `${o.project}-s${o.seed}-c${index}-e${n++}`;
  const windowStart = o.end.getTime() - o.days * 86_400_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const base = { projectId: o.project };

  const sessionCount = Math.min(8, 1 + Math.floor(-Math.log(1 - random()) * 1.2));
  const starts = Array.from({ length: sessionCount }, () => {
    const day = Math.floor(random() * o.days);
    return windowStart + day * 86_400_000 + pickHour(random) * 3_600_000 + Math.floor(random() * 3_600_000);
  }).sort((a, b) => a - b);

  const channel = CHANNELS(random);
  const [localeReferenceId, localeName] = LOCALES(random);
  const userType = random() < 0.03 ? 'admin' : 'external';
  const context = {
    organisationId: 'org-demo',
    projectName: 'Pizza Shop Assistant',
    channel,
    userType,
    localeReferenceId,
    localeName,
    endpointReferenceId: `ep-${channel}`,
    endpointName: `${channel} endpoint`,
    endpointUrlToken: `tok-${channel}`,
    snapshotId: random() < 0.8 ? 'snap-12' : 'snap-13',
    snapshotName: random() < 0.8 ? 'Release 12' : 'Release 13',
  };

  if (random() < 0.4) {
    events.push({
      ...base,
      id: nextId(),
      type: 'profile.updated',
      timestamp: iso((starts[0] as number) + 1000),
      contactId,
      firstname: pick(random, FIRST_NAMES),
      lastname: pick(random, LAST_NAMES),
      email: `user${index}@example.test`,
      gender: pick(random, ['female', 'male', 'diverse']),
      age: between(random, 18, 80),
      location: pick(random, CITIES),
      accepted_gdpr: true,
      privacy_policy: { accepted: true, acceptedAt: iso(starts[0] as number) },
      custom: { loyalty_tier: pick(random, ['bronze', 'silver', 'gold']), newsletter: random() < 0.5 },
    });
  }

  let tasks = 0;
  starts.forEach((start, s) => {
    const sessionId = `${o.project}-sess-${o.seed}-${index}-${s}`;
    const session = { ...base, ...context, contactId, sessionId };
    let t = start;
    let previousStep: string | undefined;
    const inputs = Math.min(15, 1 + Math.floor(-Math.log(1 - random()) * 3));
    let wantsAgent = random() < 0.03;
    for (let i = 0; i < inputs; i++) {
      const spec = pickIntent(random);
      if (spec.intent === 'agent' && random() < 0.4) wantsAgent = true;
      const inputId = `${sessionId}-in${i}`;
      const text = pick(random, spec.text);
      const last = i === inputs - 1;
      const rating = last && random() < 0.12 ? (random() < 0.7 ? 1 : -1) : undefined;
      events.push({
        ...session,
        id: nextId(),
        type: 'input',
        timestamp: iso(t),
        inputId,
        inputText: text,
        inputData: random() < 0.2 ? { payload: { quickReply: spec.intent } } : undefined,
        intent: spec.intent === 'smalltalk' && random() < 0.3 ? null : spec.intent,
        intentFlow: 'Main',
        intentScore: Math.round((0.55 + random() * 0.45) * 1000) / 1000,
        understood: random() < 0.9,
        state: 'default',
        mode: 'TextOnly',
        flowLanguage: localeName,
        flowReferenceId: 'flow-main',
        flowName: 'Main',
        entrypoint: context.snapshotId,
        ip: `198.51.100.${between(random, 1, 254)}`,
        executionTime: between(random, 40, 450),
        execution: i + 1,
        custom1: random() < 0.3 ? 'campaign-spring' : undefined,
        rating,
        ratingComment: rating === undefined || random() < 0.5 ? undefined : rating > 0 ? 'Quick and helpful' : 'Did not understand me',
      });
      events.push({ ...session, id: nextId(), type: 'message', timestamp: iso(t), source: 'user', inputId, text });
      const steps = between(random, 1, 3);
      for (let k = 0; k < steps; k++) {
        const [entityReferenceId, stepLabel] = k === 0 && i === 0 ? NODES[0] : pickNode(random);
        events.push({
          ...session,
          id: nextId(),
          type: 'step.executed',
          timestamp: iso(t + 20 + k * 15),
          inputId,
          entityReferenceId,
          stepType: random() < 0.15 ? 'intent' : 'node',
          stepLabel,
          parentStep: previousStep,
          flowReferenceId: 'flow-main',
          flowName: 'Main',
        });
        previousStep = entityReferenceId;
      }
      const completes = spec.task !== undefined ? random() < 0.55 : random() < 0.05;
      if (completes) {
        tasks++;
        events.push({
          ...base,
          ...session,
          id: nextId(),
          type: 'task.completed',
          timestamp: iso(t + 80),
          task: spec.task !== undefined && random() < 0.8 ? spec.task : pickTask(random),
          inputId,
          flowId: 'flow-main',
          flowName: 'Main',
          nodeId: `node-complete-${(spec.task ?? 'misc').toLowerCase().replace(/\W+/g, '-')}`,
        });
      }
      t += between(random, 400, 2500);
      events.push({ ...session, id: nextId(), type: 'message', timestamp: iso(t), source: 'bot', inputId, outputId: `${inputId}-out`, text: 'Sure, let me help you with that.' });
      t += between(random, 4000, 60000);
    }
    if (wantsAgent) {
      const escalationId = `${sessionId}-esc`;
      const handover = { ...base, sessionId, userId: contactId, escalationId, channel, localeName, localeReferenceId, snapshotId: context.snapshotId, endpointName: context.endpointName };
      const team = pick(random, [['team-1', 'Orders'], ['team-2', 'Support']] as const);
      events.push({ ...handover, id: nextId(), type: 'handover', timestamp: iso(t), status: 'opened', inboxId: 'inbox-1', inboxName: 'Customer care', labels: ['bot-handover'] });
      t += between(random, 20_000, 300_000);
      events.push({ ...handover, id: nextId(), type: 'handover', timestamp: iso(t), status: 'assigned', teamId: team[0], teamName: team[1], agentId: `agent-${between(random, 1, 12)}`, agentName: pick(random, FIRST_NAMES) });
      t += between(random, 60_000, 900_000);
      events.push({ ...handover, id: nextId(), type: 'handover', timestamp: iso(t), status: random() < 0.85 ? 'resolved' : 'abandoned' });
      events.push({ ...session, id: nextId(), type: 'message', timestamp: iso(t - 1000), source: 'agent', text: 'Glad I could help!', inHandoverConversation: true });
      if (random() < 0.5) {
        tasks++;
        events.push({ ...session, id: nextId(), type: 'task.completed', timestamp: iso(t), task: 'Successful AI Agent Conversation' });
      }
    }
  });

  if (random() < 0.1 && starts.length > 0) {
    events.push({ ...base, id: nextId(), type: 'profile.updated', timestamp: iso((starts[starts.length - 1] as number) + 5000), contactId, location: pick(random, CITIES) });
  }
  return { events, sessions: sessionCount, tasks };
}

// ------------------------------------------------------------------------------------------------

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
