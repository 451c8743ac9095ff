// IngestEvent[] → IngestResult: one transaction per batch — lock, read settings and tombstones, store, erase, recompute.
import type { Database, Queryable } from '../db';
import { prepared } from '../sql/fragment';
import { endUserOf, isSessionEvent, type IngestEvent } from './events';
import { recordGoalSteps } from './goal-cycles';
import {
  applyErasures,
  contactKey,
  erasuresOf,
  findAffectedContacts,
  findErasedSessions,
  sessionKey,
  toErasedContacts,
  tombstonesInForce,
  type ContactRef,
  type Erasure,
  type TimedEvent,
} from './erasure';
import { lockKeysOf, type SessionRef } from './locks';
import { hashId, linkKey, planEvent, toEventRow, tombstoneKey, type PlannedEvent, type Tombstones } from './privacy';
import { recomputeQuery, type ContactKey, type EscalationKey, type InputKey, type RecomputeInput } from './derive-sql';
import { lockAndStateQuery } from './state-sql';
import { storeQuery, type StoreOutcome } from './store-sql';
import { toAnalyticsRow, toCompletedTaskRow, toConversationRow, toExecutedStepRow, toStepRow } from './rows';
import { defaultSettings, settingsFromRow, type ProjectSettings } from './settings';
import { instantOf, parseTimestamp, type Instant } from './time';

export interface IngestResult {
  /** New events that were stored. */
  readonly accepted: number;
  /** Events whose id had been seen before (earlier, or earlier in the same batch); nothing changed for them. */
  readonly duplicates: number;
  /** New events acknowledged but not stored: analytics or profiles switched off, the contact erased, or past retention. */
  readonly dropped: number;
}

export interface IngestOptions {
  /** Clock for the events-retention cut-off (tests). */
  readonly now?: () => Date;
}

/** Locks beyond the batch's own keys: sessions and contacts an erasure reaches. */
interface ExtraLocks {
  readonly sessions: readonly SessionRef[];
  readonly contacts: readonly ContactRef[];
}

const MAX_ATTEMPTS = 5;

/** Raised inside the transaction when an erasure reaches rows it has not locked; the batch is retried with them locked. */
class MoreLocksNeeded extends Error {
  constructor(readonly locks: ExtraLocks) {
    super('an erasure needs more locks');
  }
}

// Our own lock order rules out deadlocks, but a retry keeps a rare one (e.g. with an operator's session) harmless.
function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '40P01' || code === '40001';
}

function instantOfEvent(event: IngestEvent): Instant {
  const parsed = parseTimestamp(event.timestamp);
  if (typeof parsed === 'string') throw new Error(`event ${event.id}: timestamp ${parsed} (validate events before ingesting them)`);
  return parsed;
}

/**
 * Stores a validated batch atomically; a redelivered id changes nothing. The stored result does not depend on the order
 * or concurrency in which batches arrive.
 * ingestEvents(db, [taskCompleted('e1'), taskCompleted('e1')]) → { accepted: 1, duplicates: 1, dropped: 0 }
 */
export async function ingestEvents(db: Database, events: readonly IngestEvent[], options: IngestOptions = {}): Promise<IngestResult> {
  const [result] = await ingestRequests(db, [events], options);
  return result as IngestResult;
}

/** What became of one new event: stored, or acknowledged and dropped. An event absent from the outcome was a duplicate. */
type Outcome = Map<string, 'accepted' | 'dropped'>;

/**
 * Several requests' batches in one transaction (group commit), each with its own result. An id that appears in more
 * than one of them counts for the first; later copies are duplicates. Atomic over all of them: when it throws, nothing
 * of any request was stored.
 * ingestRequests(db, [[e1], [e1, e2]]) → [{ accepted: 1, … }, { accepted: 1, duplicates: 1, … }]
 */
export async function ingestRequests(db: Database, requests: readonly (readonly IngestEvent[])[], options: IngestOptions = {}): Promise<IngestResult[]> {
  const seen = new Set<string>();
  const timed: TimedEvent[] = [];
  // Per request, the ids it brought first; its other events are repeats.
  const owned = requests.map((events) => {
    const ids: string[] = [];
    for (const event of events) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      ids.push(event.id);
      timed.push({ event, at: instantOfEvent(event) });
    }
    return ids;
  });
  const outcome = timed.length === 0 ? new Map() : await ingestWithRetries(db, timed, options);
  return requests.map((events, i) => {
    let accepted = 0;
    let dropped = 0;
    for (const id of owned[i] ?? []) {
      const o = outcome.get(id);
      if (o === 'accepted') accepted++;
      else if (o === 'dropped') dropped++;
    }
    return { accepted, duplicates: events.length - accepted - dropped, dropped };
  });
}

async function ingestWithRetries(db: Database, timed: readonly TimedEvent[], options: IngestOptions): Promise<Outcome> {
  const erasures = erasuresOf(timed);
  // A first look without locks, so that the usual erasure gets all its locks on the first attempt.
  let extra: ExtraLocks = { sessions: erasures.length > 0 ? await findErasedSessions(db, erasures) : [], contacts: [] };
  const nowMicros = instantOf(options.now?.() ?? new Date()).micros;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction((tx) => ingestInTransaction(tx, timed, erasures, extra, nowMicros));
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS) throw err;
      if (err instanceof MoreLocksNeeded) extra = err.locks;
      else if (!isRetryable(err)) throw err;
    }
  }
}

interface State {
  readonly settings: Map<string, ProjectSettings>;
  readonly tombstones: Tombstones;
}

async function lockAndReadState(tx: Queryable, timed: readonly TimedEvent[], extra: ExtraLocks): Promise<State> {
  const events = timed.map((t) => t.event);
  const projects = [...new Set(events.map((e) => e.projectId))];
  const contactHashes = new Map<string, { p: string; h: string }>();
  const sessionIds = new Map<string, { p: string; s: string }>();
  for (const e of events) {
    const user = endUserOf(e);
    if (user !== undefined) contactHashes.set(contactKey(e.projectId, user), { p: e.projectId, h: hashId(user) });
    if (isSessionEvent(e)) sessionIds.set(sessionKey(e.projectId, e.sessionId), { p: e.projectId, s: e.sessionId });
  }
  const r = await tx.query<{
    state: { settings: Record<string, unknown>[]; contacts: [string, string, string][]; sessions: [string, string, string, string][] };
  }>(
    prepared(
      lockAndStateQuery({
        lockKeys: lockKeysOf(events, extra.sessions, extra.contacts),
        projects,
        contacts: [...contactHashes.values()],
        sessions: [...sessionIds.values()],
      }),
    ),
  );
  const row = r.rows[0]?.state ?? { settings: [], contacts: [], sessions: [] };
  const settings = new Map(row.settings.map((s) => settingsFromRow(s)).map((s) => [s.projectId, s]));
  const contacts = new Map(row.contacts.map(([p, h, at]) => [tombstoneKey(p, h), BigInt(at)]));
  const sessions = new Map<string, bigint>();
  const links = new Map<string, bigint>();
  for (const [p, sessionId, contactHash, at] of row.sessions) {
    const micros = BigInt(at);
    links.set(linkKey(p, sessionId, contactHash), micros);
    const key = tombstoneKey(p, sessionId);
    if ((sessions.get(key) ?? -1n) < micros) sessions.set(key, micros);
  }
  return { settings, tombstones: { contacts, sessions, links } };
}

/** Throws MoreLocksNeeded unless every session and contact the erasure reaches is locked by this transaction. */
function requireLocked(timed: readonly TimedEvent[], extra: ExtraLocks, sessions: readonly SessionRef[], contacts: readonly ContactRef[]): void {
  const lockedSessions = new Set(extra.sessions.map((s) => sessionKey(s.projectId, s.sessionId)));
  const lockedContacts = new Set(extra.contacts.map((c) => contactKey(c.projectId, c.contactId)));
  for (const { event } of timed) {
    if (isSessionEvent(event)) lockedSessions.add(sessionKey(event.projectId, event.sessionId));
    const user = endUserOf(event);
    if (user !== undefined) lockedContacts.add(contactKey(event.projectId, user));
  }
  const missingSessions = sessions.filter((s) => !lockedSessions.has(sessionKey(s.projectId, s.sessionId)));
  const missingContacts = contacts.filter((c) => !lockedContacts.has(contactKey(c.projectId, c.contactId)));
  if (missingSessions.length > 0 || missingContacts.length > 0) {
    throw new MoreLocksNeeded({ sessions: [...extra.sessions, ...missingSessions], contacts: [...extra.contacts, ...missingContacts] });
  }
}

async function ingestInTransaction(
  tx: Queryable,
  timed: readonly TimedEvent[],
  erasures: readonly Erasure[],
  extra: ExtraLocks,
  nowMicros: bigint,
): Promise<Outcome> {
  const state = await lockAndReadState(tx, timed, extra);

  // Under the contact locks no new data of these contacts can appear; anything found now that is not locked appeared
  // between the first look and the locks: start again with it locked.
  const storedSessions = erasures.length > 0 ? await findErasedSessions(tx, erasures) : [];
  requireLocked(timed, extra, storedSessions, []);
  const { tombstones, sessionErasures } = tombstonesInForce(state.tombstones, erasures, storedSessions, timed);
  const erasedContacts = toErasedContacts(erasures);
  if (erasures.length > 0 || sessionErasures.length > 0) {
    requireLocked(timed, extra, [], await findAffectedContacts(tx, erasedContacts, sessionErasures));
  }

  const settingsOf = (projectId: string) => {
    let s = state.settings.get(projectId);
    if (s === undefined) {
      s = defaultSettings(projectId);
      state.settings.set(projectId, s);
    }
    return s;
  };
  const planned = timed.map(({ event, at }) => planEvent(event, at, settingsOf(event.projectId), tombstones, nowMicros));
  const stored = await storeEvents(tx, planned);
  const inserted = new Set(stored.inserted ?? []);

  const outcome: Outcome = new Map();
  const fresh: PlannedEvent[] = [];
  for (const p of planned) {
    if (!inserted.has(p.event.id)) continue;
    outcome.set(p.event.id, p.dropped !== undefined ? 'dropped' : 'accepted');
    if (p.dropped === undefined) fresh.push(p);
  }

  // A redelivered erasure has already been applied; a new one (or a newly found session of an erased contact) is applied now.
  const newErasures = erasedContacts.filter((_, i) => erasures[i]?.eventIds.some((id) => inserted.has(id)));
  const fromErasures =
    newErasures.length > 0 || sessionErasures.length > 0 ? await applyErasures(tx, newErasures, sessionErasures) : undefined;
  const rebuild: RecomputeInput = { sessions: stored.rebuild ?? [], inputs: [], escalations: [], profiles: [] };
  const recompute = recomputeQuery(mergeKeys(mergeKeys(affectedKeys(fresh), rebuild), fromErasures));
  if (recompute !== undefined) await tx.query(prepared(recompute));
  // Goals: goal.step hits with no open cycle are acknowledged as dropped (src/ingest/goal-cycles.ts).
  for (const id of await recordGoalSteps(tx, fresh)) outcome.set(id, 'dropped');
  return outcome;
}

async function storeEvents(tx: Queryable, planned: readonly PlannedEvent[]): Promise<StoreOutcome> {
  const input = {
    events: planned.map(toEventRow),
    completedTasks: [] as ReturnType<typeof toCompletedTaskRow>[],
    analytics: [] as ReturnType<typeof toAnalyticsRow>[],
    conversations: [] as ReturnType<typeof toConversationRow>[],
    executedSteps: [] as ReturnType<typeof toExecutedStepRow>[],
    steps: [] as ReturnType<typeof toStepRow>[],
    touchesProfiles: planned.some((p) => p.forProfile),
    touchesSessions: planned.some((p) => p.forAnalytics && isSessionEvent(p.event)),
  };
  for (const p of planned) {
    const { event, at } = p;
    if (event.type === 'step.executed' && p.forCatalog) input.steps.push(toStepRow(event, at));
    if (!p.forAnalytics) continue;
    if (event.type === 'task.completed') input.completedTasks.push(toCompletedTaskRow(event, at));
    else if (event.type === 'input') input.analytics.push(toAnalyticsRow(event, at));
    else if (event.type === 'message') input.conversations.push(toConversationRow(event, at));
    else if (event.type === 'step.executed') input.executedSteps.push(toExecutedStepRow(event, at));
  }
  const r = await tx.query<StoreOutcome>(prepared(storeQuery(input)));
  return r.rows[0] ?? { inserted: null, rebuild: null };
}

/** Derived rows that new events change and the store statement does not merge itself (sessions it does). */
export function affectedKeys(fresh: readonly PlannedEvent[]): RecomputeInput {
  const inputs = new Map<string, InputKey>();
  const escalations = new Map<string, EscalationKey>();
  const profiles = new Map<string, ContactKey>();
  for (const { event, forAnalytics, forProfile } of fresh) {
    const p = event.projectId;
    if (forAnalytics && (event.type === 'input' || event.type === 'task.completed') && event.inputId) {
      inputs.set(`${p}\n${event.inputId}`, { project_id: p, input_id: event.inputId });
    }
    if (forAnalytics && event.type === 'handover') escalations.set(`${p}\n${event.escalationId}`, { project_id: p, escalation_id: event.escalationId });
    if (forProfile && event.type === 'profile.updated') profiles.set(`${p}\n${event.contactId}`, { project_id: p, contact_id: event.contactId });
  }
  return { sessions: [], inputs: [...inputs.values()], escalations: [...escalations.values()], profiles: [...profiles.values()] };
}

function mergeKeys(a: RecomputeInput, b: RecomputeInput | undefined): RecomputeInput {
  if (b === undefined) return a;
  const unique = <T extends object>(list: readonly T[]) => [...new Map(list.map((k) => [JSON.stringify(Object.values(k)), k])).values()];
  return {
    sessions: unique([...a.sessions, ...b.sessions]),
    inputs: unique([...a.inputs, ...b.inputs]),
    escalations: unique([...a.escalations, ...b.escalations]),
    profiles: unique([...a.profiles, ...b.profiles]),
  };
}
