// Graceful stop under load (no acknowledged event lost) and embedded data surviving a restart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../src/db';
import { runMigrations } from '../../src/migrate';
import { startServer } from '../../src/server';
import { createTestApp, READ_KEY, WRITE_KEY } from '../helpers/test-app';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/test-db';

const event = (i: number) => ({
  id: `evt-${i}`,
  type: 'task.completed',
  projectId: 'shop',
  timestamp: `2026-11-24T10:00:${String(i % 60).padStart(2, '0')}Z`,
  contactId: `user-${i % 7}`,
  sessionId: `sess-${i % 5}`,
  task: i % 2 === 0 ? 'Order Placement' : 'Account Registration',
});

/** A database that outlives the server: a PostgreSQL database, or an embedded one kept in a directory. */
async function durableDatabase(): Promise<{ open: () => Promise<Database>; cleanup: () => Promise<void>; first: Database; test?: TestDatabase }> {
  if (usingPostgres) {
    const test = await createTestDatabase();
    return { first: test.db, test, open: () => openDatabase({ databaseUrl: test.url }), cleanup: () => test.drop() };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskfeed-data-'));
  const first = await openDatabase({ dataDir: dir });
  await runMigrations(first);
  return { first, open: () => openDatabase({ dataDir: dir }), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

describe('server lifecycle', () => {
  it('on stop, finishes the requests in flight, refuses new ones, and every acknowledged event is stored', async () => {
    const durable = await durableDatabase();
    const t = await createTestApp({ env: { PORT: '0' }, database: { db: durable.first, drop: async () => undefined } });
    const running = await startServer(t.ctx);
    const base = `http://127.0.0.1:${running.port}`;
    const post = (i: number) =>
      fetch(`${base}/api/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${WRITE_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(event(i)),
      }).then(
        (res) => ({ i, status: res.status }),
        () => ({ i, status: 0 }),
      );
    const inFlight = Array.from({ length: 40 }, (_, i) => post(i));
    // Stop as soon as the first answer is out: the others are still in flight.
    await Promise.race(inFlight);
    const stopped = running.stop('test');
    const responses = await Promise.all(inFlight);
    await stopped;

    const refused = await post(1000);
    expect(refused.status).toBe(0);

    const acknowledged = responses.filter((r) => r.status === 201 || r.status === 200).map((r) => `evt-${r.i}`);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(responses.every((r) => r.status === 0 || r.status === 201 || r.status === 200 || r.status === 503)).toBe(true);

    const reopened = await durable.open();
    try {
      const stored = await reopened.query<{ event_id: string }>('SELECT event_id FROM events');
      const ids = new Set(stored.rows.map((r) => r.event_id));
      for (const id of acknowledged) expect(ids.has(id)).toBe(true);
    } finally {
      await reopened.close();
      await durable.cleanup();
    }
  });

  it('keeps the embedded data across a restart', async () => {
    if (usingPostgres) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskfeed-restart-'));
    try {
      const first = await openDatabase({ dataDir: dir });
      await runMigrations(first);
      const a = await createTestApp({ env: { PORT: '0' }, database: { db: first, drop: async () => undefined } });
      const one = await startServer(a.ctx);
      const posted = await fetch(`http://127.0.0.1:${one.port}/api/v1/events`, {
        method: 'POST',
        headers: { 'x-api-key': WRITE_KEY, 'content-type': 'application/json' },
        body: JSON.stringify(event(1)),
      });
      expect(posted.status).toBe(201);
      await one.stop('restart');

      const second = await openDatabase({ dataDir: dir });
      await runMigrations(second);
      const b = await createTestApp({ env: { PORT: '0' }, database: { db: second, drop: async () => undefined } });
      const two = await startServer(b.ctx);
      const res = await fetch(`http://127.0.0.1:${two.port}/odata/CompletedTasks?$select=id,task`, { headers: { 'x-api-key': READ_KEY } });
      const body = (await res.json()) as { value: { id: string; task: string }[] };
      expect(body.value).toEqual([{ id: 'evt-1', task: 'Account Registration' }]);
      await two.stop('done');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
