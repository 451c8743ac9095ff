import request from 'supertest';
import type { Database, Queryable } from '../../src/db';
import { GroupCommitter } from '../../src/ingest/group-commit';
import { validateEvents } from '../../src/ingest/validate';
import { createHarness, message, stepExecuted, taskCompleted, WRITE_KEY, type IngestHarness } from './ingest-support';

/** Counts transactions; a statement whose parameters mention `poison` fails inside the transaction. */
function observed(db: Database): { db: Database; transactions: () => number } {
  let transactions = 0;
  const failing = (tx: Queryable): Queryable => ({
    query: (text, values) => {
      const params = typeof text === 'string' ? values : text.values;
      if (JSON.stringify(params ?? []).includes('poison')) return Promise.reject(new Error('simulated failure inside the transaction'));
      return tx.query(text, values);
    },
    exec: (script) => tx.exec(script),
  });
  return {
    db: {
      ...db,
      transaction: (fn) => {
        transactions++;
        return db.transaction((tx) => fn(failing(tx)));
      },
    },
    transactions: () => transactions,
  };
}

const events = (...items: unknown[]) => validateEvents(items);
const storedIds = (db: Database) => db.query<{ event_id: string }>('SELECT event_id FROM events ORDER BY event_id').then((r) => r.rows.map((row) => row.event_id));

describe('group commit', () => {
  let h: IngestHarness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(() => h.close());

  it('a lone request is written at once, however long the window', async () => {
    const o = observed(h.db);
    const committer = new GroupCommitter(o.db, { windowMs: 600_000, maxEvents: 5000 });
    await expect(committer.ingest(events(message('m1', 0)))).resolves.toEqual({ accepted: 1, duplicates: 0, dropped: 0 });
    expect(o.transactions()).toBe(1);
  });

  it('requests arriving while a transaction is written share the next one, each with its own result', async () => {
    const o = observed(h.db);
    const committer = new GroupCommitter(o.db, { windowMs: 600_000, maxEvents: 5000 });
    const results = await Promise.all([
      committer.ingest(events(message('m1', 0))),
      committer.ingest(events(message('m2', 1), message('m3', 2))),
      committer.ingest(events(message('m3', 2), stepExecuted('st1', 3))),
      committer.ingest(events(message('m1', 0))),
    ]);
    expect(results).toEqual([
      { accepted: 1, duplicates: 0, dropped: 0 },
      { accepted: 2, duplicates: 0, dropped: 0 },
      // m3 came first in the request before it, in the same group.
      { accepted: 1, duplicates: 1, dropped: 0 },
      { accepted: 0, duplicates: 1, dropped: 0 },
    ]);
    // The first alone, the three that waited for it together.
    expect(o.transactions()).toBe(2);
    expect(await storedIds(h.db)).toEqual(['m1', 'm2', 'm3', 'st1']);
  });

  it('a group gathers no more than maxEvents before it is written', async () => {
    const o = observed(h.db);
    const committer = new GroupCommitter(o.db, { windowMs: 600_000, maxEvents: 3 });
    await Promise.all([
      committer.ingest(events(message('m1', 0))),
      committer.ingest(events(message('m2', 1), message('m3', 2))),
      committer.ingest(events(message('m4', 3))),
      committer.ingest(events(message('m5', 4))),
    ]);
    // m1 alone; m2–m4 reach the cap and go at once; m5 waits for them.
    expect(o.transactions()).toBe(3);
  });

  it('when a group transaction fails, each request is retried alone: only the faulty one fails', async () => {
    const o = observed(h.db);
    const committer = new GroupCommitter(o.db, { windowMs: 600_000, maxEvents: 5000 });
    const settled = await Promise.allSettled([
      committer.ingest(events(message('m1', 0))),
      committer.ingest(events(message('m2', 1))),
      committer.ingest(events(message('m3', 2, { text: 'poison' }))),
      committer.ingest(events(taskCompleted('t1', 3))),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(settled[3]).toEqual({ status: 'fulfilled', value: { accepted: 1, duplicates: 0, dropped: 0 } });
    // 1 (m1) + 1 (the failed group) + 3 (each request of the group alone).
    expect(o.transactions()).toBe(5);
    expect(await storedIds(h.db)).toEqual(['m1', 'm2', 't1']);
  });

  it('over HTTP, an invalid request among concurrent ones gets its 400; the others are stored', async () => {
    const post = (body: unknown) =>
      request(h.app).post('/api/v1/events').set('Authorization', `Bearer ${WRITE_KEY}`).set('Content-Type', 'application/json').send(JSON.stringify(body));
    const responses = await Promise.all([
      post([message('h1', 0)]),
      post([message('h2', 1), { ...message('h3', 2), source: 'nobody' }]),
      post([message('h4', 3)]),
      post([stepExecuted('h5', 4)]),
    ]);
    expect(responses.map((r) => r.status)).toEqual([201, 400, 201, 201]);
    expect(await storedIds(h.db)).toEqual(['h1', 'h4', 'h5']);
  });
});
