// IngestEvent[] → sorted advisory-lock keys: every derived row a batch may write is covered by one key, taken in one global order.
import crypto from 'node:crypto';
import type { IngestEvent } from './events';

export interface SessionRef {
  readonly projectId: string;
  readonly sessionId: string;
}

/** 64-bit signed key of a lock name (first 8 bytes of its SHA-256), as decimal text for a bigint parameter. */
export function lockKey(name: string): string {
  return crypto.hash('sha256', name, 'buffer').readBigInt64BE(0).toString();
}

const key = (kind: string, projectId: string, id: string) => `${kind}\n${projectId}\n${id}`;

/** Lock names of one event: its session, end user, input, escalation and step (whichever it has). */
export function lockNamesOf(event: IngestEvent): string[] {
  const p = event.projectId;
  switch (event.type) {
    case 'task.completed':
      return [key('session', p, event.sessionId), key('contact', p, event.contactId), ...(event.inputId ? [key('input', p, event.inputId)] : [])];
    case 'input':
      return [key('session', p, event.sessionId), key('contact', p, event.contactId), key('input', p, event.inputId)];
    case 'message':
      return [key('session', p, event.sessionId), key('contact', p, event.contactId)];
    case 'step.executed':
      return [key('session', p, event.sessionId), key('contact', p, event.contactId), key('step', p, event.entityReferenceId)];
    case 'handover':
      return [key('session', p, event.sessionId), key('escalation', p, event.escalationId), ...(event.userId ? [key('contact', p, event.userId)] : [])];
    case 'goal.step':
      return [key('session', p, event.sessionId), ...(event.contactId ? [key('contact', p, event.contactId)] : [])];
    case 'profile.updated':
    case 'profile.deleted':
      return [key('contact', p, event.contactId)];
  }
}

export function sessionLockName(ref: SessionRef): string {
  return key('session', ref.projectId, ref.sessionId);
}

/**
 * Distinct keys in ascending numeric order. Every transaction takes all its keys at its start in this one order,
 * so two transactions can wait for each other only one way: no deadlocks.
 * lockKeysOf([taskCompleted]) → ['-8220071398283405731', '1766431201484386512', …]
 */
export function lockKeysOf(
  events: readonly IngestEvent[],
  extraSessions: readonly SessionRef[] = [],
  extraContacts: readonly { readonly projectId: string; readonly contactId: string }[] = [],
): string[] {
  const names = new Set<string>();
  for (const event of events) for (const name of lockNamesOf(event)) names.add(name);
  for (const ref of extraSessions) names.add(sessionLockName(ref));
  for (const ref of extraContacts) names.add(key('contact', ref.projectId, ref.contactId));
  const keys = [...new Set([...names].map(lockKey))].map(BigInt);
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.map(String);
}
