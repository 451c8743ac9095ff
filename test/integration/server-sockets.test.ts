// Raw sockets against a started server: idle, half-sent and stalled requests are cut, oversized heads get JSON errors, connections are capped.
import net from 'node:net';
import { startServer, type RunningServer } from '../../src/server';
import { createTestApp, READ_KEY, WRITE_KEY, type TestApp } from '../helpers/test-app';

interface Exchange {
  /** Everything the server sent. */
  readonly received: string;
  /** True when the server closed the connection within the wait. */
  readonly closed: boolean;
}

/** Sends `payload` (nothing when empty) on a new connection and waits at most `waitMs` for the server to close it. */
function exchange(port: number, payload: string, waitMs = 10_000): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ received, closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      if (payload.length > 0) socket.write(payload);
    });
  });
}

function statusOf(received: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]);
}

function jsonBodyOf(received: string): { error: { code: string; message: string } } {
  return JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
}

const SHORT_TIMEOUTS = {
  PORT: '0',
  HEADERS_TIMEOUT_MS: '300',
  REQUEST_TIMEOUT_MS: '1500',
  BODY_TIMEOUT_MS: '300',
  KEEP_ALIVE_TIMEOUT_MS: '200',
};

describe('socket limits and connection cap', () => {
  let t: TestApp;
  let running: RunningServer;
  beforeAll(async () => {
    t = await createTestApp({ env: SHORT_TIMEOUTS });
    running = await startServer(t.ctx);
  });
  afterAll(async () => {
    await running.stop('test');
    await t.close();
  });

  it.each([
    ['a socket that sends nothing', ''],
    ['half a request head', 'GET /odata/ HTTP/1.1\r\nHost: x\r\n'],
    ['a body that stops after 17 of 1000 bytes', `POST /api/v1/events HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${WRITE_KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{"id":"e1","type"`],
    ['a chunked body that stops after one chunk', `POST /api/v1/events HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${WRITE_KEY}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[{"id\r\n`],
  ])('answers 408 and closes %s', async (_name, payload) => {
    const result = await exchange(running.port, payload);
    expect(result.closed).toBe(true);
    expect(statusOf(result.received)).toBe(408);
    expect(jsonBodyOf(result.received).error.code).toBe('REQUEST_TIMEOUT');
  });

  it('closes an idle keep-alive connection after its response', async () => {
    const result = await exchange(running.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(result.closed).toBe(true);
    expect(statusOf(result.received)).toBe(200);
  });

  it.each([
    ['an OData request line over the limit', `GET /odata/Analytics?$filter=${'a'.repeat(60_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'URI_TOO_LONG', true],
    ['OData headers over the limit', `GET /odata/Analytics HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${READ_KEY}\r\nX-Filler: ${'a'.repeat(60_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE', true],
    ['ingestion headers over the limit', `POST /api/v1/events HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(60_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE', false],
  ])('answers %s with a JSON error', async (_name, payload, status, code, odata) => {
    const result = await exchange(running.port, payload);
    expect(result.closed).toBe(true);
    expect(statusOf(result.received)).toBe(status);
    expect(/\r\ncontent-type: application\/json/i.test(result.received)).toBe(true);
    expect(/\r\nodata-version: 4\.0/i.test(result.received)).toBe(odata);
    expect(jsonBodyOf(result.received).error.code).toBe(code);
  });

  it('answers a malformed request head with a JSON 400', async () => {
    const result = await exchange(running.port, 'GET /odata/ HTTP/1.1\r\nHost x\r\n\r\n');
    expect(result.closed).toBe(true);
    expect(statusOf(result.received)).toBe(400);
    expect(jsonBodyOf(result.received).error.code).toBe('BAD_REQUEST');
  });

  // Last: stopping the server closes the file's database.
  it('closes connections over MAX_CONNECTIONS without an answer and serves again once one is gone', async () => {
    const capped = await createTestApp({
      env: { PORT: '0', MAX_CONNECTIONS: '2', SHUTDOWN_TIMEOUT_MS: '1000' },
      database: { ...t.database, drop: async () => undefined },
    });
    const cappedServer = await startServer(capped.ctx);
    const held = [net.connect(cappedServer.port, '127.0.0.1'), net.connect(cappedServer.port, '127.0.0.1')];
    try {
      await Promise.all(held.map((s) => new Promise((resolve) => s.once('connect', resolve))));
      const over = await exchange(cappedServer.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(over).toEqual({ received: '', closed: true });

      const released = new Promise((resolve) => held[0]?.once('close', resolve));
      held[0]?.destroy();
      await released;
      let served: Exchange = { received: '', closed: true };
      // The server learns of the closed connection asynchronously: a few attempts, each bounded.
      for (let attempt = 0; attempt < 20 && statusOf(served.received) !== 200; attempt++) {
        served = await exchange(cappedServer.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      }
      expect(statusOf(served.received)).toBe(200);
    } finally {
      for (const s of held) s.destroy();
      await cappedServer.stop('test');
    }
  });
});
