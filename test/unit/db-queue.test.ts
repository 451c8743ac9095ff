import { DatabaseError } from '../../src/db-error';
import { createFairQueue, type ReleaseSlot } from '../../src/db-queue';

/** Acquires in order and records the order in which the waiters are granted. */
function recorder(queue: ReturnType<typeof createFairQueue>) {
  const granted: string[] = [];
  const releases: ReleaseSlot[] = [];
  const ask = (label: string, key: string, signal?: AbortSignal) =>
    queue.acquire(key, signal).then((release) => {
      granted.push(label);
      releases.push(release);
      return release;
    });
  return { granted, releases, ask };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('createFairQueue', () => {
  it('grants at once under the caps', async () => {
    const queue = createFairQueue({ total: 3, perKey: 2, timeoutMs: 60_000 });
    const r = recorder(queue);
    await Promise.all([r.ask('a1', 'a'), r.ask('a2', 'a'), r.ask('b1', 'b')]);
    expect(r.granted).toEqual(['a1', 'a2', 'b1']);
    expect(queue.stats()).toEqual({ inUse: 3, idle: 0, waiting: 0 });
  });

  it('serves waiting keys in turn: a burst of one key does not starve another', async () => {
    const queue = createFairQueue({ total: 1, perKey: 1, timeoutMs: 60_000 });
    const r = recorder(queue);
    const first = await r.ask('a0', 'a');
    for (let i = 1; i <= 4; i++) void r.ask(`a${i}`, 'a');
    void r.ask('b1', 'b');
    void r.ask('c1', 'c');
    expect(queue.stats()).toEqual({ inUse: 1, idle: 0, waiting: 6 });
    first();
    for (let i = 0; i < 6; i++) {
      await settle();
      r.releases.at(-1)?.();
    }
    await settle();
    expect(r.granted).toEqual(['a0', 'a1', 'b1', 'c1', 'a2', 'a3', 'a4']);
  });

  it('lets another key run while one key is at its own limit', async () => {
    const queue = createFairQueue({ total: 3, perKey: 1, timeoutMs: 60_000 });
    const r = recorder(queue);
    await r.ask('a1', 'a');
    void r.ask('a2', 'a');
    await r.ask('b1', 'b');
    await settle();
    expect(r.granted).toEqual(['a1', 'b1']);
    expect(queue.stats()).toEqual({ inUse: 2, idle: 1, waiting: 1 });
  });

  it.each([
    ['per-key', { total: 4, perKey: 1 }, 1],
    ['total', { total: 1, perKey: 1 }, 1],
  ] as const)('a wait longer than the timeout → busy, naming the %s limit', async (limit, caps, value) => {
    const queue = createFairQueue({ ...caps, timeoutMs: 20 });
    await queue.acquire('a');
    const waiting = queue.acquire(limit === 'per-key' ? 'a' : 'b');
    const err = (await waiting.catch((e: unknown) => e)) as DatabaseError;
    expect([err.kind, err.busy?.limit, err.busy?.value]).toEqual(['busy', limit, value]);
    expect(queue.stats().waiting).toBe(0);
  });

  it('an aborted waiter leaves the queue and is rejected as cancelled', async () => {
    const queue = createFairQueue({ total: 1, perKey: 1, timeoutMs: 60_000 });
    const release = await queue.acquire('a');
    const controller = new AbortController();
    const waiting = queue.acquire('b', controller.signal);
    expect(queue.stats().waiting).toBe(1);
    controller.abort();
    expect(((await waiting.catch((e: unknown) => e)) as DatabaseError).kind).toBe('cancelled');
    expect(queue.stats()).toEqual({ inUse: 1, idle: 0, waiting: 0 });
    release();
    release();
    expect(queue.stats()).toEqual({ inUse: 0, idle: 1, waiting: 0 });
  });
});
