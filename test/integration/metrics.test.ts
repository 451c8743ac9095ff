// GET /metrics: absent without METRICS_KEY, guarded by it, every family present and moving, labels free of keys and URLs.
import net from 'node:net';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { startServer } from '../../src/server';
import { loadReadFixture } from '../helpers/fixtures';
import { createTestApp, READ_KEY, WRITE_KEY, type TestApp } from '../helpers/test-app';

const METRICS_KEY = 'metrics-key-0123456789';

const event = (id: string) => ({
  id,
  type: 'task.completed',
  projectId: 'shop',
  timestamp: '2026-11-24T10:00:00Z',
  contactId: 'user-1',
  sessionId: 'sess-1',
  task: 'Order Placement',
});

/** 'name{a="x"} 3' lines → the value of the sample with exactly these labels (undefined when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter((l) => l.length > 0).sort().join(',');
    if (have === wanted) return Number(m[3]);
  }
  return undefined;
}

describe('metrics', () => {
  let t: TestApp;
  const scrape = async () => {
    const res = await request(t.app).get('/metrics').set('authorization', `Bearer ${METRICS_KEY}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    return res.text;
  };

  beforeAll(async () => {
    t = await createTestApp({ env: { METRICS_KEY } });
    await loadReadFixture(t.database.db);
  });
  afterAll(() => t.close());

  it('does not exist without METRICS_KEY', async () => {
    const plain = await createTestApp({ database: { ...t.database, drop: async () => undefined } });
    const res = await request(plain.app).get('/metrics').set('authorization', `Bearer ${METRICS_KEY}`);
    expect(res.status).toBe(404);
  });

  it.each([
    ['no key', undefined],
    ['a read key', READ_KEY],
    ['a write key', WRITE_KEY],
    ['a wrong key', 'metrics-key-9876543210'],
  ])('answers 401 to %s', async (_name, key) => {
    const req = request(t.app).get('/metrics');
    const res = await (key === undefined ? req : req.set('authorization', `Bearer ${key}`));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('AUTH_REQUIRED');
  });

  it('refuses a metrics key that is also a read or write key', async () => {
    expect(() => loadConfig({ METRICS_KEY: 'reused-key-0123456789', READ_KEYS: 'reused-key-0123456789' })).toThrow(/only one purpose/);
    expect(() => loadConfig({ METRICS_KEY: 'reused-key-0123456789', WRITE_KEYS: 'reused-key-0123456789' })).toThrow(/only one purpose/);
  });

  it('counts requests, ingested events, pools and 503s', async () => {
    const before = await scrape();
    const post = (body: unknown) => request(t.app).post('/api/v1/events').set('x-api-key', WRITE_KEY).send(body as object);
    expect((await post([event('m1'), event('m1')])).status).toBe(201);
    expect((await post([event('m1')])).status).toBe(200);
    expect((await request(t.app).get(`/odata/Analytics?$top=1&apikey=${READ_KEY}`)).status).toBe(200);
    expect((await request(t.app).get('/odata/NoSuchSet').set('x-api-key', READ_KEY)).status).toBe(404);
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string>) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('taskfeed_ingested_events_total', { outcome: 'accepted' })).toBe(1);
    expect(delta('taskfeed_ingested_events_total', { outcome: 'duplicate' })).toBe(2);
    expect(sample(after, 'taskfeed_ingested_events_total', { outcome: 'dropped' })).toBe(0);
    expect(delta('taskfeed_http_requests_total', { family: 'ingest', status: '201' })).toBe(1);
    expect(delta('taskfeed_http_requests_total', { family: 'ingest', status: '200' })).toBe(1);
    expect(delta('taskfeed_http_requests_total', { family: 'odata', status: '200' })).toBe(1);
    expect(delta('taskfeed_http_requests_total', { family: 'odata', status: '404' })).toBe(1);
    expect(delta('taskfeed_http_request_duration_seconds_count', { family: 'odata', status: '200' })).toBe(1);
    expect(sample(after, 'taskfeed_http_request_duration_seconds_bucket', { family: 'odata', status: '200', le: '+Inf' })).toBeGreaterThan(0);
    for (const state of ['in_use', 'idle', 'waiting']) {
      expect(sample(after, 'taskfeed_db_pool_connections', { pool: 'write', state })).toBeGreaterThanOrEqual(0);
    }
    for (const state of ['in_use', 'free', 'queued']) {
      expect(sample(after, 'taskfeed_odata_statement_slots', { pool: 'write', state })).toBeGreaterThanOrEqual(0);
    }
    for (const family of ['taskfeed_statement_timeouts_total', 'taskfeed_http_unavailable_total', 'taskfeed_http_client_cancellations_total', 'process_cpu_seconds_total']) {
      expect(after).toContain(`# TYPE ${family} `);
    }
    const replicaLag = sample(after, 'taskfeed_replica_lag_seconds');
    if (t.ctx.config.databaseReadUrl === undefined) {
      expect(replicaLag).toBeUndefined();
    } else {
      // Behind a real standby (the replica suite): the read side is in recovery and its lag is measured.
      const recovery = await t.ctx.readDb.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      expect(recovery.rows[0]?.standby).toBe(true);
      expect(replicaLag).toBeGreaterThanOrEqual(0);
      expect(sample(after, 'taskfeed_replica_replay_backlog_bytes')).toBeGreaterThanOrEqual(0);
    }

    // Labels name route families and statuses only: never a key, a query string or a path.
    for (const secret of [READ_KEY, WRITE_KEY, METRICS_KEY, 'apikey', 'NoSuchSet', '/odata', 'Analytics']) {
      expect(after).not.toContain(secret);
    }
  });

  it('counts 503s', async () => {
    const stopping = await createTestApp({ env: { METRICS_KEY }, database: { ...t.database, drop: async () => undefined } });
    stopping.ctx.lifecycle.shuttingDown = true;
    expect((await request(stopping.app).get('/readyz')).status).toBe(503);
    const text = (await request(stopping.app).get('/metrics').set('authorization', `Bearer ${METRICS_KEY}`)).text;
    expect(sample(text, 'taskfeed_http_unavailable_total', { family: 'health', code: 'none' })).toBe(1);
  });
  // Last: stopping the server closes the file's database.
  it('counts clients that leave before their response is complete', async () => {
    const running = await startServer({ ...t.ctx, config: { ...t.ctx.config, port: 0 } });
    try {
      const base = `http://127.0.0.1:${running.port}`;
      const scrapeServer = async () => (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_KEY}` } })).text();
      const before = sample(await scrapeServer(), 'taskfeed_http_client_cancellations_total', { family: 'ingest' }) ?? 0;
      // Half a body, then the client hangs up.
      await new Promise<void>((resolve) => {
        const socket = net.connect(running.port, '127.0.0.1', () => {
          socket.write(`POST /api/v1/events HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${WRITE_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{"id"`);
          setTimeout(() => socket.destroy(), 100);
        });
        socket.on('close', () => resolve());
      });
      let after = before;
      for (let attempt = 0; attempt < 50 && after === before; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        after = sample(await scrapeServer(), 'taskfeed_http_client_cancellations_total', { family: 'ingest' }) ?? 0;
      }
      expect(after).toBe(before + 1);
    } finally {
      await running.stop('test');
    }
  });
});
