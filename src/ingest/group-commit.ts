// validated batches of concurrent requests → one shared transaction (group commit); each request is answered after that COMMIT.
import type { Database } from '../db';
import type { IngestEvent } from './events';
import { ingestRequests, type IngestOptions, type IngestResult } from './ingest';

export interface GroupCommitOptions {
  /** Longest a request waits for company while another group is being written (ms). */
  readonly windowMs: number;
  /** A group is written as soon as it holds this many events. */
  readonly maxEvents: number;
}

interface Waiting {
  readonly events: readonly IngestEvent[];
  readonly resolve: (result: IngestResult) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Requests that arrive while a transaction is being written wait for it to finish (at most `windowMs`, or until
 * `maxEvents` are waiting) and are then written together in one transaction. A request arriving while nothing is being
 * written goes at once, so a lone client never waits for company.
 */
export class GroupCommitter {
  private waiting: Waiting[] = [];
  private waitingEvents = 0;
  private writing = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly options: GroupCommitOptions,
    private readonly ingestOptions: IngestOptions = {},
  ) {}

  /** Resolves after the COMMIT of the transaction that holds these events. */
  ingest(events: readonly IngestEvent[]): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      this.waitingEvents += events.length;
      if (this.writing === 0 || this.waitingEvents >= this.options.maxEvents) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.windowMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const group = this.waiting;
    if (group.length === 0) return;
    this.waiting = [];
    this.waitingEvents = 0;
    this.writing++;
    void this.write(group).finally(() => {
      this.writing--;
      this.flush();
    });
  }

  private async write(group: readonly Waiting[]): Promise<void> {
    try {
      const results = await ingestRequests(
        this.db,
        group.map((w) => w.events),
        this.ingestOptions,
      );
      group.forEach((w, i) => w.resolve(results[i] as IngestResult));
    } catch (err) {
      if (group.length === 1) {
        group[0]?.reject(err);
        return;
      }
      // Nothing of the group was stored; each request is written again on its own, so one request's fault fails only it.
      await Promise.all(group.map((w) => this.writeAlone(w)));
    }
  }

  private async writeAlone(w: Waiting): Promise<void> {
    try {
      const [result] = await ingestRequests(this.db, [w.events], this.ingestOptions);
      w.resolve(result as IngestResult);
    } catch (err) {
      w.reject(err);
    }
  }
}
