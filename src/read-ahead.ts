// compiled statement of a feed's next page → its rows, computed while the current page is still being written.
import { approximateBytes, type Row } from './db';
import type { CompiledQuery } from './sql/fragment';

export interface ReadAheadOptions {
  /** Rows held for pages nobody has asked for yet, all clients together (approximate bytes); 0 turns read-ahead off. */
  readonly maxBytes: number;
  /** A page not asked for within this time is dropped. */
  readonly ttlMs: number;
  /** Pages being computed at once, all clients together. */
  readonly maxRunning: number;
  readonly observe?: (outcome: ReadAheadOutcome) => void;
}

/**
 * hit: a request was answered from a page computed ahead; stale: rows were written into the page's range after it
 * was computed, so the request read it afresh; expired: nobody asked in time; over-budget: the page was larger than
 * the room left; failed: its statement failed (the request then runs it itself); skipped: not started because too
 * many pages were being computed.
 */
export type ReadAheadOutcome = 'hit' | 'stale' | 'expired' | 'over-budget' | 'failed' | 'skipped';

export interface ReadAhead {
  /**
   * The rows computed ahead for exactly this statement (each page is handed out once), or undefined. With
   * `stillCurrent`, held rows are only handed out when it confirms that the statement would return them now.
   */
  take(statement: CompiledQuery, stillCurrent?: (rows: readonly Row[]) => Promise<boolean>): Promise<readonly Row[] | undefined>;
  /** Computes the statement's rows in the background, unless they are already held or the limits are reached. */
  start(statement: CompiledQuery, run: () => Promise<readonly Row[]>): void;
  /** Pages held or being computed, and the bytes held. */
  stats(): { readonly pages: number; readonly bytes: number };
}

interface HeldPage {
  readonly rows: Promise<readonly Row[] | undefined>;
  bytes: number;
  readonly timer: NodeJS.Timeout;
}

/**
 * The key is the statement itself, text and values: the values carry the read key's project scope, so a page is
 * only ever handed to a request that would have run the very same statement.
 */
function keyOf(statement: CompiledQuery): string {
  return `${statement.text}\u0000${JSON.stringify(statement.values)}`;
}

export function createReadAhead(options: ReadAheadOptions): ReadAhead {
  const held = new Map<string, HeldPage>();
  let bytes = 0;
  let running = 0;
  const observe = options.observe ?? (() => undefined);

  const release = (key: string, page: HeldPage) => {
    if (held.get(key) !== page) return;
    held.delete(key);
    clearTimeout(page.timer);
    bytes -= page.bytes;
    page.bytes = 0;
  };

  return {
    async take(statement, stillCurrent) {
      if (held.size === 0) return undefined;
      const key = keyOf(statement);
      const page = held.get(key);
      if (page === undefined) return undefined;
      release(key, page);
      const rows = await page.rows;
      if (rows === undefined) return undefined;
      if (stillCurrent !== undefined && !(await stillCurrent(rows))) {
        observe('stale');
        return undefined;
      }
      observe('hit');
      return rows;
    },

    start(statement, run) {
      if (options.maxBytes <= 0) return;
      const key = keyOf(statement);
      if (held.has(key)) return;
      if (running >= options.maxRunning || bytes >= options.maxBytes) {
        observe('skipped');
        return;
      }
      running += 1;
      const timer = setTimeout(() => {
        const page = held.get(key);
        if (page === undefined) return;
        release(key, page);
        observe('expired');
      }, options.ttlMs);
      timer.unref();
      const page: HeldPage = {
        rows: run().then(
          (rows) => {
            const size = rows.reduce((sum, row) => sum + approximateBytes(row), 0);
            if (held.get(key) === page) {
              if (bytes + size > options.maxBytes) {
                release(key, page);
                observe('over-budget');
                return undefined;
              }
              page.bytes = size;
              bytes += size;
            }
            return rows;
          },
          () => {
            // The request that asks for this page runs the statement itself and reports its own error.
            release(key, page);
            observe('failed');
            return undefined;
          },
        ).finally(() => {
          running -= 1;
        }),
        bytes: 0,
        timer,
      };
      held.set(key, page);
    },

    stats: () => ({ pages: held.size, bytes }),
  };
}
