// profile.deleted events + stored tombstones → the tombstones in force, the sessions they take, and the erasure itself.
//
// An erasure of contact C at time T removes everything of C dated ≤ T and every session that held C's data by T
// (with all rows of those sessions dated ≤ T). Events that arrive later and are dated ≤ T are dropped, and a late
// event of C that reveals one more session of C erases that session too, so the stored result is the one that
// processing every event in timestamp order would give.
import type { Queryable } from '../db';
import { endUserOf, isSessionEvent, type IngestEvent } from './events';
import { eraseGoalHits } from './goal-cycles';
import type { SessionRef } from './locks';
import { hashId, linkKey, tombstoneKey, type Tombstones } from './privacy';
import type { ContactKey, EscalationKey, InputKey, RecomputeInput } from './derive-sql';
import { eraseQuery, erasureContactsQuery, erasureRebuildQuery, erasureSessionsQuery, type ErasedContact, type ErasedSession } from './erasure-sql';
import { formatMicros, type Instant } from './time';

export interface TimedEvent {
  readonly event: IngestEvent;
  readonly at: Instant;
}

/** One contact to erase: everything of it dated at or before `at` goes. */
export interface Erasure {
  readonly projectId: string;
  readonly contactId: string;
  readonly at: Instant;
  /** Ids of the batch's profile.deleted events for this contact. */
  readonly eventIds: readonly string[];
}

export interface ContactRef {
  readonly projectId: string;
  readonly contactId: string;
}

export interface ErasedSessionRef extends SessionRef {
  readonly contactId: string;
}

export const contactKey = (projectId: string, contactId: string) => `${projectId}\n${contactId}`;
export const sessionKey = (projectId: string, sessionId: string) => `${projectId}\n${sessionId}`;

/** The batch's erasures, one per contact with the latest erasure time. */
export function erasuresOf(events: readonly TimedEvent[]): Erasure[] {
  const byContact = new Map<string, Erasure>();
  for (const { event, at } of events) {
    if (event.type !== 'profile.deleted') continue;
    const k = contactKey(event.projectId, event.contactId);
    const known = byContact.get(k);
    byContact.set(k, {
      projectId: event.projectId,
      contactId: event.contactId,
      at: known === undefined || at.micros > known.at.micros ? at : known.at,
      eventIds: [...(known?.eventIds ?? []), event.id],
    });
  }
  return [...byContact.values()];
}

/** Sessions that already hold data of the contacts to erase (dated at or before each erasure). */
export async function findErasedSessions(db: Queryable, erasures: readonly Erasure[]): Promise<ErasedSessionRef[]> {
  const r = await db.query<{ project_id: string; contact_id: string; session_id: string }>(
    erasureSessionsQuery(erasures.map((e) => ({ p: e.projectId, c: e.contactId, h: hashId(e.contactId), t: e.at.iso }))),
  );
  return r.rows.map((row) => ({ projectId: row.project_id, contactId: row.contact_id, sessionId: row.session_id }));
}

export function toErasedContacts(erasures: readonly Erasure[]): ErasedContact[] {
  return erasures.map((e) => ({ project_id: e.projectId, contact_id: e.contactId, contact_hash: hashId(e.contactId), erased_at: e.at.iso }));
}

/** Contacts whose events the erasure would remove; their profile rows are rebuilt, so they must be locked too. */
export async function findAffectedContacts(db: Queryable, contacts: readonly ErasedContact[], sessions: readonly ErasedSession[]): Promise<ContactRef[]> {
  const r = await db.query<{ project_id: string; contact_id: string }>(erasureContactsQuery(contacts, sessions));
  return r.rows.map((row) => ({ projectId: row.project_id, contactId: row.contact_id }));
}

/**
 * The tombstones in force for this batch — the stored ones raised by the batch's erasures — and the sessions this
 * batch takes (or takes again, later). A contact's erasure takes every session that held the contact's data dated at
 * or before it (stored data, `storedSessions`, or an event of this batch) and every session an earlier erasure of the
 * contact took; a late event of an erased contact takes its session at the contact's erasure time.
 */
export function tombstonesInForce(
  stored: Tombstones,
  erasures: readonly Erasure[],
  storedSessions: readonly ErasedSessionRef[],
  events: readonly TimedEvent[],
): { tombstones: Tombstones; sessionErasures: ErasedSession[] } {
  const contacts = new Map(stored.contacts);
  const sessions = new Map(stored.sessions);
  const links = new Map(stored.links);
  const taken = new Map<string, ErasedSession>();
  const raise = (map: Map<string, bigint>, key: string, micros: bigint) => {
    const known = map.get(key);
    if (known === undefined || micros > known) map.set(key, micros);
  };
  const take = (projectId: string, sessionId: string, contactHash: string, micros: bigint) => {
    const link = linkKey(projectId, sessionId, contactHash);
    const known = links.get(link);
    if (known !== undefined && known >= micros) return;
    links.set(link, micros);
    raise(sessions, tombstoneKey(projectId, sessionId), micros);
    taken.set(link, { project_id: projectId, session_id: sessionId, contact_hash: contactHash, erased_at: formatMicros(micros) });
  };

  const erasureOf = new Map(erasures.map((e) => [contactKey(e.projectId, e.contactId), e]));
  for (const e of erasures) raise(contacts, tombstoneKey(e.projectId, hashId(e.contactId)), e.at.micros);
  for (const s of storedSessions) {
    const erasure = erasureOf.get(contactKey(s.projectId, s.contactId));
    if (erasure !== undefined) take(s.projectId, s.sessionId, hashId(s.contactId), erasure.at.micros);
  }
  for (const { event, at } of events) {
    const user = endUserOf(event);
    if (!isSessionEvent(event) || user === undefined) continue;
    const hash = hashId(user);
    const erasedAt = contacts.get(tombstoneKey(event.projectId, hash));
    if (erasedAt !== undefined && at.micros <= erasedAt) take(event.projectId, event.sessionId, hash, erasedAt);
  }
  return { tombstones: { contacts, sessions, links }, sessionErasures: [...taken.values()] };
}

/**
 * Erases the contacts and sessions, then rebuilds the profile rows and task aggregates of every contact that lost
 * events from what remains. Returns the derived rows the recompute step must rebuild.
 */
export async function applyErasures(tx: Queryable, contacts: readonly ErasedContact[], sessions: readonly ErasedSession[]): Promise<RecomputeInput> {
  const erased = await tx.query<{ contacts: ContactKey[] }>(eraseQuery(contacts, sessions));
  const affected = erased.rows[0]?.contacts ?? [];
  await eraseGoalHits(tx, contacts, sessions);
  const sessionKeys = sessions.map((s) => ({ project_id: s.project_id, session_id: s.session_id }));
  const rebuilt = await tx.query<{ escalations: EscalationKey[]; inputs: InputKey[] }>(erasureRebuildQuery(affected, sessionKeys));
  const row = rebuilt.rows[0];
  return {
    sessions: sessionKeys,
    inputs: row?.inputs ?? [],
    escalations: (row?.escalations ?? []).filter((k) => k.escalation_id !== null),
    profiles: affected,
  };
}
