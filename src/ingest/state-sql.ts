// batch's lock keys, projects, contacts and sessions → the one statement that locks and reads the state (schema/002).
import { render, sql, type CompiledQuery } from '../sql/fragment';
import { json } from './sql-parts';

export interface LockAndStateInput {
  /** Advisory-lock keys in ascending order (see locks.ts). */
  readonly lockKeys: readonly string[];
  readonly projects: readonly string[];
  /** Hashed contact ids whose erasure tombstones matter. */
  readonly contacts: readonly { readonly p: string; readonly h: string }[];
  readonly sessions: readonly { readonly p: string; readonly s: string }[];
}

/**
 * One round trip: takes the locks, then reads the settings and erasure tombstones after them (schema/002,
 * ingest_lock_and_read_state), so an erasure committed by a transaction we waited for is seen.
 */
export function lockAndStateQuery(input: LockAndStateInput): CompiledQuery {
  return render(
    sql`SELECT ingest_lock_and_read_state(${json(input.lockKeys)}, ${json(input.projects)}, ${json(input.contacts)}, ${json(input.sessions)}) AS state`,
  );
}
