// IngestEvent × ProjectSettings × erasure tombstones → PlannedEvent: masked before storage, and kept, partly kept or dropped.
import crypto from 'node:crypto';
import { assertNever } from '../errors';
import { endUserOf, isSessionEvent, type IngestEvent } from './events';
import type { EventRow } from './rows';
import type { ProjectSettings } from './settings';
import type { Instant } from './time';

export const MASK = '****';

/** Why an event was acknowledged but not stored. */
export type DropReason = 'analytics-disabled' | 'profiles-disabled' | 'erased' | 'expired';

export interface PlannedEvent {
  /** The event as it will be stored: sensitive fields already masked. */
  readonly event: IngestEvent;
  readonly at: Instant;
  /** Feeds the analytics tables (Analytics, Conversations, ExecutedSteps, Steps, Sessions, CompletedTasks, escalations). */
  readonly forAnalytics: boolean;
  /** Feeds the contact profile (profile row, profile fields, per-contact task aggregate). */
  readonly forProfile: boolean;
  /**
   * Proposes a Steps catalog entry. The catalog is flow metadata, not personal data, so an erased contact's late
   * step still names its step, exactly as if it had arrived before the erasure.
   */
  readonly forCatalog: boolean;
  readonly dropped?: DropReason;
}

/** Erasure tombstones, erased_at in microseconds. */
export interface Tombstones {
  /** By tombstoneKey(projectId, hashId(contactId)). */
  readonly contacts: ReadonlyMap<string, bigint>;
  /** By tombstoneKey(projectId, sessionId): the latest erasure that took the session. */
  readonly sessions: ReadonlyMap<string, bigint>;
  /** By linkKey(projectId, sessionId, contactHash): when that contact's erasure took the session. */
  readonly links: ReadonlyMap<string, bigint>;
}

const recentHashes = new Map<string, string>();

/** Only this hash of an erased contact's id is ever stored (hex SHA-256; recent ones are remembered). */
export function hashId(id: string): string {
  let hash = recentHashes.get(id);
  if (hash === undefined) {
    hash = crypto.hash('sha256', id);
    if (recentHashes.size >= 10_000) recentHashes.clear();
    recentHashes.set(id, hash);
  }
  return hash;
}

export function tombstoneKey(projectId: string, id: string): string {
  return `${projectId}\n${id}`;
}

export function linkKey(projectId: string, sessionId: string, contactHash: string): string {
  return `${projectId}\n${sessionId}\n${contactHash}`;
}

const MICROS_PER_DAY = 86_400_000_000n;

const masked = <T>(value: T | null | undefined): T | typeof MASK | null | undefined =>
  value === undefined || value === null ? value : MASK;

/**
 * maskEvent({ type: 'input', inputText: 'my card is 4111…', ip: '10.0.0.1', … }, { maskSensitive: true, … })
 *   → { type: 'input', inputText: '****', ip: '****', … }
 */
export function maskEvent(event: IngestEvent, settings: Pick<ProjectSettings, 'maskSensitive' | 'maskIp'>): IngestEvent {
  if (event.type === 'input' && (settings.maskSensitive || settings.maskIp)) {
    const copy = { ...event, ip: masked(event.ip) };
    if (!settings.maskSensitive) return copy;
    return { ...copy, inputText: masked(event.inputText), inputData: masked(event.inputData) };
  }
  if (event.type === 'message' && settings.maskSensitive) {
    return { ...event, text: masked(event.text), data: masked(event.data) };
  }
  return event;
}

function erased(event: IngestEvent, at: Instant, tombstones: Tombstones): boolean {
  const user = endUserOf(event);
  if (user !== undefined) {
    const contactErasedAt = tombstones.contacts.get(tombstoneKey(event.projectId, hashId(user)));
    if (contactErasedAt !== undefined && at.micros <= contactErasedAt) return true;
  }
  if (isSessionEvent(event)) {
    const sessionErasedAt = tombstones.sessions.get(tombstoneKey(event.projectId, event.sessionId));
    if (sessionErasedAt !== undefined && at.micros <= sessionErasedAt) return true;
  }
  return false;
}

/**
 * Decides what happens to one new event. Tasks still reach the contact profile when analytics are off,
 * because the profile is its own feature; everything else of an analytics event is dropped.
 * planEvent(taskCompleted, at, { collectAnalytics: false, contactProfiles: true, … }, none, now)
 *   → { forAnalytics: false, forProfile: true }
 */
export function planEvent(event: IngestEvent, at: Instant, settings: ProjectSettings, tombstones: Tombstones, nowMicros: bigint): PlannedEvent {
  const none = { forAnalytics: false, forProfile: false, forCatalog: false };
  if (event.type === 'profile.deleted') return { event, at, ...none };
  const drop = (reason: DropReason): PlannedEvent => ({ event, at, ...none, dropped: reason });
  if (erased(event, at, tombstones)) {
    return { ...drop('erased'), forCatalog: event.type === 'step.executed' && settings.collectAnalytics };
  }
  const keepDays = settings.retention.events;
  if (keepDays !== null && at.micros < nowMicros - BigInt(keepDays) * MICROS_PER_DAY) return drop('expired');
  const stored = maskEvent(event, settings);
  const { collectAnalytics, contactProfiles } = settings;
  switch (stored.type) {
    case 'profile.updated':
      return contactProfiles ? { event: stored, at, ...none, forProfile: true } : drop('profiles-disabled');
    case 'task.completed':
      if (!collectAnalytics && !contactProfiles) return drop('analytics-disabled');
      return { event: stored, at, ...none, forAnalytics: collectAnalytics, forProfile: contactProfiles };
    case 'input':
    case 'message':
    case 'step.executed':
    case 'goal.step':
      if (!collectAnalytics) return drop('analytics-disabled');
      return { event: stored, at, forAnalytics: true, forProfile: contactProfiles, forCatalog: stored.type === 'step.executed' };
    case 'handover':
      if (!collectAnalytics) return drop('analytics-disabled');
      return { event: stored, at, ...none, forAnalytics: true };
    case 'profile.deleted':
      return { event: stored, at, ...none };
    default:
      return assertNever(stored);
  }
}

/**
 * The events-table row of a planned event. A dropped event keeps only its id (for idempotency), type, project and
 * time; an erasure keeps no contact id at all.
 */
export function toEventRow(planned: PlannedEvent): EventRow {
  const { event, at } = planned;
  const keepsData = planned.dropped === undefined && event.type !== 'profile.deleted';
  return {
    event_id: event.id,
    type: event.type,
    project_id: event.projectId,
    contact_id: keepsData ? (endUserOf(event) ?? null) : null,
    session_id: keepsData && isSessionEvent(event) ? event.sessionId : null,
    occurred_at: at.iso,
    payload: keepsData ? event : null,
    for_analytics: planned.forAnalytics,
    for_profile: planned.forProfile,
  };
}
