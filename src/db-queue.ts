// (key, signal) → a statement slot: at most `perKey` statements per key and `total` overall; waiting keys are served in turn.
import { DatabaseError } from './db-error';

export interface QueueLimits {
  /** Statements running at once, all keys together. */
  readonly total: number;
  /** Statements running at once for one key. */
  readonly perKey: number;
  /** How long a statement may wait for a slot before it fails as busy. */
  readonly timeoutMs: number;
}

/** In use, free and waiting: the same shape as a pool's statistics. */
export interface SlotStats {
  readonly inUse: number;
  readonly idle: number;
  readonly waiting: number;
}

export type ReleaseSlot = () => void;

interface Waiter {
  readonly key: string;
  readonly since: number;
  grant(): void;
  fail(err: DatabaseError): void;
}

export interface FairQueue {
  /** Resolves with the slot's release function once `key` may run a statement; rejects busy after the timeout, cancelled on abort. */
  acquire(key: string, signal?: AbortSignal): Promise<ReleaseSlot>;
  stats(): SlotStats;
}

/**
 * createFairQueue({ total: 2, perKey: 1, timeoutMs: 1000 }): a key with 50 queued statements and a key with 1 take turns,
 * so the second key waits for one statement of the first at most, not for all fifty.
 */
export function createFairQueue(limits: QueueLimits): FairQueue {
  let running = 0;
  const runningByKey = new Map<string, number>();
  // Insertion order is the turn order: a key that was served moves to the back.
  const waiting = new Map<string, Waiter[]>();
  let waitingCount = 0;

  const mayRun = (key: string) => running < limits.total && (runningByKey.get(key) ?? 0) < limits.perKey;

  const take = (key: string): ReleaseSlot => {
    running += 1;
    runningByKey.set(key, (runningByKey.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      running -= 1;
      const left = (runningByKey.get(key) ?? 1) - 1;
      if (left === 0) runningByKey.delete(key);
      else runningByKey.set(key, left);
      dispatch();
    };
  };

  const remove = (waiter: Waiter) => {
    const list = waiting.get(waiter.key);
    const at = list?.indexOf(waiter) ?? -1;
    if (list === undefined || at < 0) return false;
    list.splice(at, 1);
    waitingCount -= 1;
    if (list.length === 0) waiting.delete(waiter.key);
    return true;
  };

  function dispatch(): void {
    while (running < limits.total) {
      let served: Waiter | undefined;
      for (const [key, list] of waiting) {
        if (!mayRun(key)) continue;
        served = list[0];
        break;
      }
      if (served === undefined) return;
      const list = waiting.get(served.key) as Waiter[];
      remove(served);
      if (list.length > 0) {
        waiting.delete(served.key);
        waiting.set(served.key, list);
      }
      served.grant();
    }
  }

  return {
    acquire(key, signal) {
      if (signal?.aborted) return Promise.reject(new DatabaseError('cancelled'));
      if (mayRun(key) && !waiting.has(key)) return Promise.resolve(take(key));
      return new Promise<ReleaseSlot>((resolve, reject) => {
        const onAbort = () => {
          if (remove(waiter)) waiter.fail(new DatabaseError('cancelled'));
        };
        const timer = setTimeout(() => {
          if (!remove(waiter)) return;
          const perKeyFull = (runningByKey.get(key) ?? 0) >= limits.perKey;
          waiter.fail(
            new DatabaseError('busy', {
              busy: { limit: perKeyFull ? 'per-key' : 'total', value: perKeyFull ? limits.perKey : limits.total, waitedMs: Date.now() - waiter.since },
            }),
          );
        }, limits.timeoutMs);
        // The waiting request's socket keeps the process alive, not its timer.
        timer.unref();
        const settle = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        };
        const waiter: Waiter = {
          key,
          since: Date.now(),
          grant: () => {
            settle();
            resolve(take(key));
          },
          fail: (err) => {
            settle();
            reject(err);
          },
        };
        const list = waiting.get(key);
        if (list === undefined) waiting.set(key, [waiter]);
        else list.push(waiter);
        waitingCount += 1;
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    stats: () => ({ inUse: running, idle: Math.max(limits.total - running, 0), waiting: waitingCount }),
  };
}
