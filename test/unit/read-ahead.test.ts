// createReadAhead: pages computed ahead are keyed by statement text and values, handed out once, bounded by TTL,
// byte budget and pages computed at once, and every outcome is reported.
import type { Row } from '../../src/db';
import { createReadAhead, type ReadAheadOptions, type ReadAheadOutcome } from '../../src/read-ahead';
import type { CompiledQuery } from '../../src/sql/fragment';

const PAGE_SQL = 'SELECT id FROM analytics WHERE project_id = ANY($1) AND (occurred_at, id) > ($2, $3) ORDER BY occurred_at, id LIMIT 21';

function statement(projects: readonly string[] | null, after: readonly unknown[] = ['2024-03-01T00:00:00Z', 'r00020']): CompiledQuery {
  return { text: PAGE_SQL, values: [projects, ...after] };
}

const ROWS: readonly Row[] = [
  { id: 'r00021', n: 1 },
  { id: 'r00022', n: 2 },
];
/** approximateBytes: string length for strings, 8 for numbers. */
const ROWS_BYTES = 2 * ('r00021'.length + 8);

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A read-ahead whose outcomes are recorded, with generous limits unless the test narrows them. */
function subject(options: Partial<ReadAheadOptions> = {}) {
  const outcomes: ReadAheadOutcome[] = [];
  const readAhead = createReadAhead({ maxBytes: 1_000_000, ttlMs: 60_000, maxRunning: 4, observe: (o) => outcomes.push(o), ...options });
  return { readAhead, outcomes };
}

/** Lets settled runs reach their handlers. */
const settle = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createReadAhead', () => {
  it('hands the rows to the identical statement once; the second take finds nothing', async () => {
    const { readAhead, outcomes } = subject();
    const run = jest.fn(async () => ROWS);
    readAhead.start(statement(['p1']), run);
    await settle();
    expect(await readAhead.take(statement(['p1']))).toEqual(ROWS);
    expect(await readAhead.take(statement(['p1']))).toBeUndefined();
    expect(run).toHaveBeenCalledTimes(1);
    expect(outcomes).toEqual(['hit']);
  });

  it.each([
    [true, ROWS, ['hit']],
    [false, undefined, ['stale']],
  ])('hands held rows out only when stillCurrent confirms them (%s), checking the rows it holds', async (current, expected, reported) => {
    const { readAhead, outcomes } = subject();
    readAhead.start(statement(['p1']), async () => ROWS);
    await settle();
    const stillCurrent = jest.fn(async () => current);
    expect(await readAhead.take(statement(['p1']), stillCurrent)).toEqual(expected);
    expect(stillCurrent).toHaveBeenCalledWith(ROWS);
    expect(outcomes).toEqual(reported);
    expect(readAhead.stats()).toEqual({ pages: 0, bytes: 0 });
  });

  it.each([
    ['a narrower project scope', statement(['p1'])],
    ['another project scope', statement(['p3'])],
    ['no project scope (a key that reads every project)', statement(null)],
    ['another keyset start', statement(['p1', 'p2'], ['2024-03-01T00:00:00Z', 'r00021'])],
    ['another statement text with the same values', { text: `${PAGE_SQL} `, values: statement(['p1', 'p2']).values }],
  ])('misses a statement that differs by %s, and keeps the page for its own statement', async (_name, other) => {
    const { readAhead, outcomes } = subject();
    readAhead.start(statement(['p1', 'p2']), async () => ROWS);
    await settle();
    expect(await readAhead.take(other)).toBeUndefined();
    expect(await readAhead.take(statement(['p1', 'p2']))).toEqual(ROWS);
    expect(outcomes).toEqual(['hit']);
  });

  it('does not start a statement already held or being computed', async () => {
    const { readAhead } = subject();
    const pending = deferred<readonly Row[]>();
    const first = jest.fn(() => pending.promise);
    const second = jest.fn(async () => ROWS);
    readAhead.start(statement(['p1']), first);
    readAhead.start(statement(['p1']), second);
    expect(readAhead.stats().pages).toBe(1);
    pending.resolve(ROWS);
    expect(await readAhead.take(statement(['p1']))).toEqual(ROWS);
    expect(second).not.toHaveBeenCalled();
  });

  it('makes a take that arrives while the statement is still running wait for its rows', async () => {
    const { readAhead, outcomes } = subject();
    const pending = deferred<readonly Row[]>();
    readAhead.start(statement(['p1']), () => pending.promise);
    let taken: readonly Row[] | undefined | 'waiting' = 'waiting';
    const take = readAhead.take(statement(['p1'])).then((rows) => {
      taken = rows;
    });
    await settle();
    expect(taken).toBe('waiting');
    pending.resolve(ROWS);
    await take;
    expect(taken).toEqual(ROWS);
    expect(outcomes).toEqual(['hit']);
    expect(readAhead.stats()).toEqual({ pages: 0, bytes: 0 });
  });

  it('drops a page nobody asks for within ttlMs and reports it expired', async () => {
    const { readAhead, outcomes } = subject({ ttlMs: 30 });
    readAhead.start(statement(['p1']), async () => ROWS);
    await settle();
    expect(readAhead.stats()).toEqual({ pages: 1, bytes: ROWS_BYTES });
    await sleep(80);
    expect(outcomes).toEqual(['expired']);
    expect(readAhead.stats()).toEqual({ pages: 0, bytes: 0 });
    expect(await readAhead.take(statement(['p1']))).toBeUndefined();
  });

  it('reports expired for a page whose statement outlives ttlMs, and holds none of its bytes', async () => {
    const { readAhead, outcomes } = subject({ ttlMs: 20 });
    const pending = deferred<readonly Row[]>();
    readAhead.start(statement(['p1']), () => pending.promise);
    await sleep(60);
    expect(outcomes).toEqual(['expired']);
    pending.resolve(ROWS);
    await settle();
    expect(readAhead.stats()).toEqual({ pages: 0, bytes: 0 });
    expect(await readAhead.take(statement(['p1']))).toBeUndefined();
  });

  it('drops a page larger than the room left and reports it over-budget', async () => {
    const { readAhead, outcomes } = subject({ maxBytes: ROWS_BYTES - 1 });
    readAhead.start(statement(['p1']), async () => ROWS);
    await settle();
    expect(outcomes).toEqual(['over-budget']);
    expect(readAhead.stats()).toEqual({ pages: 0, bytes: 0 });
    expect(await readAhead.take(statement(['p1']))).toBeUndefined();
  });

  it('counts the pages already held against the budget', async () => {
    const { readAhead, outcomes } = subject({ maxBytes: ROWS_BYTES + ROWS_BYTES / 2 });
    readAhead.start(statement(['p1']), async () => ROWS);
    readAhead.start(statement(['p2']), async () => ROWS);
    await settle();
    expect(outcomes).toEqual(['over-budget']);
    expect(readAhead.stats()).toEqual({ pages: 1, bytes: ROWS_BYTES });
    expect(await readAhead.take(statement(['p1']))).toEqual(ROWS);
    expect(await readAhead.take(statement(['p2']))).toBeUndefined();
  });

  it('skips starting a page while the held bytes already fill the budget', async () => {
    const { readAhead, outcomes } = subject({ maxBytes: ROWS_BYTES });
    readAhead.start(statement(['p1']), async () => ROWS);
    await settle();
    const run = jest.fn(async () => ROWS);
    readAhead.start(statement(['p2']), run);
    expect(run).not.toHaveBeenCalled();
    expect(outcomes).toEqual(['skipped']);
  });

  it('reports a rejected statement as failed and leaves the request to run it itself', async () => {
    const { readAhead, outcomes } = subject();
    readAhead.start(statement(['p1']), async () => {
      throw new Error('canceling statement due to statement timeout');
    });
    await settle();
    expect(outcomes).toEqual(['failed']);
    expect(await readAhead.take(statement(['p1']))).toBeUndefined();
    expect(readAhead.stats()).toEqual({ pages: 0, bytes: 0 });
  });

  it('answers a take waiting on a statement that then fails with undefined, not the error', async () => {
    const { readAhead, outcomes } = subject();
    const pending = deferred<readonly Row[]>();
    readAhead.start(statement(['p1']), () => pending.promise);
    const take = readAhead.take(statement(['p1']));
    pending.reject(new Error('connection terminated'));
    await expect(take).resolves.toBeUndefined();
    expect(outcomes).toEqual(['failed']);
  });

  it('skips a page while maxRunning pages are being computed, and starts again once one is done', async () => {
    const { readAhead, outcomes } = subject({ maxRunning: 2 });
    const first = deferred<readonly Row[]>();
    readAhead.start(statement(['p1']), () => first.promise);
    readAhead.start(statement(['p2']), () => new Promise<readonly Row[]>(() => undefined));
    const third = jest.fn(async () => ROWS);
    readAhead.start(statement(['p3']), third);
    expect(third).not.toHaveBeenCalled();
    expect(outcomes).toEqual(['skipped']);
    expect(await readAhead.take(statement(['p3']))).toBeUndefined();

    first.resolve(ROWS);
    await settle();
    readAhead.start(statement(['p3']), third);
    expect(third).toHaveBeenCalledTimes(1);
    expect(await readAhead.take(statement(['p3']))).toEqual(ROWS);
    expect(outcomes).toEqual(['skipped', 'hit']);
  });

  it('holds nothing and runs nothing when maxBytes is 0', async () => {
    const { readAhead, outcomes } = subject({ maxBytes: 0 });
    const run = jest.fn(async () => ROWS);
    readAhead.start(statement(['p1']), run);
    await settle();
    expect(run).not.toHaveBeenCalled();
    expect(readAhead.stats()).toEqual({ pages: 0, bytes: 0 });
    expect(await readAhead.take(statement(['p1']))).toBeUndefined();
    expect(outcomes).toEqual([]);
  });

  it('counts the bytes of held pages and gives them back on take and on expiry', async () => {
    const { readAhead } = subject({ ttlMs: 40 });
    readAhead.start(statement(['p1']), async () => ROWS);
    readAhead.start(statement(['p2']), async () => ROWS.slice(0, 1));
    await settle();
    expect(readAhead.stats()).toEqual({ pages: 2, bytes: ROWS_BYTES + ROWS_BYTES / 2 });
    await readAhead.take(statement(['p1']));
    expect(readAhead.stats()).toEqual({ pages: 1, bytes: ROWS_BYTES / 2 });
    await sleep(90);
    expect(readAhead.stats()).toEqual({ pages: 0, bytes: 0 });
  });
});
