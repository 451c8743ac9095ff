// A small response leaves the server in one socket write (status line, headers and body together): a response split
// into a head write and a body write costs an extra packet and, with Nagle and delayed ACKs, can stall the client.
import http from 'node:http';
import type net from 'node:net';
import { startServer, type RunningServer } from '../../src/server';
import { loadReadFixture } from '../helpers/fixtures';
import { createTestApp, READ_KEY, type TestApp } from '../helpers/test-app';

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** Bytes of each write the server handed to the kernel for this response. */
  readonly writes: readonly number[];
}

describe('one socket write per small response', () => {
  let t: TestApp;
  let running: RunningServer;
  let agent: http.Agent;
  /** Sizes of the writes made on any server socket since the last request started. */
  let writes: number[] = [];
  let connections = 0;
  let entityId: string;

  beforeAll(async () => {
    // A long keep-alive timeout keeps every request on the one connection, however slow the machine.
    t = await createTestApp({ env: { PORT: '0', HOST: '127.0.0.1', KEEP_ALIVE_TIMEOUT_MS: '60000' } });
    await loadReadFixture(t.database.db);
    const r = await t.database.db.query<{ id: string }>('SELECT id FROM analytics ORDER BY id LIMIT 1');
    entityId = r.rows[0]?.id as string;
    running = await startServer(t.ctx);
    // Every call of _write or _writev is one write to the kernel (a corked batch reaches _writev as one call).
    running.server.on('connection', (socket: net.Socket) => {
      connections += 1;
      const write = socket._write.bind(socket);
      socket._write = (chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void) => {
        writes.push(Buffer.byteLength(chunk, encoding));
        write(chunk, encoding, callback);
      };
      const writev = socket._writev?.bind(socket);
      if (writev !== undefined) {
        socket._writev = (chunks: { chunk: Buffer | string; encoding: BufferEncoding }[], callback: (error?: Error | null) => void) => {
          writes.push(chunks.reduce((sum, c) => sum + Buffer.byteLength(c.chunk, c.encoding), 0));
          writev(chunks, callback);
        };
      }
    });
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  });

  afterAll(async () => {
    agent?.destroy();
    await running?.stop('test');
    await t?.close();
  });

  /** GET over the keep-alive agent; resolves once the whole body has arrived. */
  function get(path: string, headers: Record<string, string>): Promise<Answer> {
    writes = [];
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: running.port, path, headers, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('error', reject);
        res.on('end', () => {
          // Let anything the server still has queued for this response reach the counter before it is read.
          setImmediate(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, writes: [...writes] }));
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  const authorized = { 'x-api-key': READ_KEY };

  it.each<[string, () => string, Record<string, string>, number, (body: string) => void]>([
    ['an entity by key', () => `/odata/Analytics('${entityId}')`, authorized, 200, (body) => expect(JSON.parse(body).id).toBe(entityId)],
    ['a small collection page', () => '/odata/Analytics?$top=5', authorized, 200, (body) => expect(JSON.parse(body).value).toHaveLength(5)],
    ['the service document', () => '/odata/', authorized, 200, (body) => expect(JSON.parse(body).value.length).toBeGreaterThan(0)],
    ['$metadata', () => '/odata/$metadata', authorized, 200, (body) => expect(body).toContain('<edmx:Edmx')],
    ['a $count', () => '/odata/Analytics/$count', authorized, 200, (body) => expect(body).toBe('5')],
    ['a 404 for an unknown key', () => "/odata/Analytics('no-such-id')", authorized, 404, (body) => expect(JSON.parse(body).error.code).toBeDefined()],
    ['a 400 for a bad $filter', () => '/odata/Analytics?$filter=nope%20eq', authorized, 400, (body) => expect(JSON.parse(body).error.code).toBeDefined()],
    ['a 401 without a key', () => '/odata/Analytics', {}, 401, (body) => expect(JSON.parse(body).error.code).toBeDefined()],
  ])('sends %s in one write', async (_name, path, headers, status, checkBody) => {
    const answer = await get(path(), headers);
    expect(answer.status).toBe(status);
    checkBody(answer.body);
    const headBytes = Buffer.byteLength(`HTTP/1.1 ${status}`);
    // The one write holds the whole response: more than the head alone.
    expect(answer.writes).toHaveLength(1);
    expect(answer.writes[0]).toBeGreaterThan(headBytes + Buffer.byteLength(answer.body));
  });

  it('answered every request on one kept-alive connection', () => {
    expect(connections).toBe(1);
  });
});
