// Database errors → stable codes with the service's own messages: the database's text never reaches a response.
import request from 'supertest';
import { createApp } from '../../src/app';
import { openDatabase, type Database } from '../../src/db';
import { useReadApp } from '../helpers/read-app';
import { READ_KEY, WRITE_KEY } from '../helpers/test-app';
import { usingPostgres } from '../helpers/test-db';

const fixture = useReadApp();

/** Words of PostgreSQL's own messages for the cases below (e.g. 'invalid byte sequence for encoding "UTF8": 0x00'). */
const DATABASE_WORDING = /UTF8|byte sequence|0x00|invalid input syntax|for type integer|ERROR|SQLSTATE/;

describe('a value the database rejects → 400 ODATA_MODEL_INVALID in our words', () => {
  it.each([
    ["$filter=intent eq 'a%00b'", 'a NUL character in a string literal'],
    ['$filter=executionTime div 0 eq 1', 'a division by zero'],
    ['$filter=cast(inputText,Edm.Int32) eq 1', 'text that is not a number'],
  ])('%s (%s)', async (query) => {
    const res = await fixture.get(`/odata/Analytics?${query}`);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'ODATA_MODEL_INVALID' });
    expect(res.body.error.message).toMatch(/^The request could not be evaluated: a value in it is invalid/);
    expect(res.text).not.toMatch(DATABASE_WORDING);
  });
});

describe('the database unreachable → 503 DB_UNAVAILABLE with Retry-After on every route', () => {
  let gone: Database;
  beforeAll(async () => {
    gone = await openDatabase(usingPostgres ? { databaseUrl: 'postgres://postgres@127.0.0.1:1/none', poolSize: 1 } : { dataDir: 'memory://' });
    await gone.close();
  });

  const event = JSON.stringify({ id: 'e1', type: 'task.completed', projectId: 'p1', timestamp: '2026-11-24T10:00:00Z', contactId: 'c1', sessionId: 's1', task: 'Order' });

  it.each([
    ['GET', '/odata/Analytics?$top=1', READ_KEY],
    ['GET', '/odata/Analytics/$count', READ_KEY],
    ['GET', '/odata/Analytics?$apply=groupby((intent))', READ_KEY],
    ['POST', '/api/v1/events', WRITE_KEY],
    ['GET', '/api/v1/projects/p1/settings', WRITE_KEY],
  ])('%s %s', async (method, url, key) => {
    const app = createApp({ ...fixture.t.ctx, db: gone, readDb: gone });
    const req = method === 'GET' ? request(app).get(url) : request(app).post(url).set('content-type', 'application/json').send(event);
    const res = await req.set('x-api-key', key);
    expect({ status: res.status, code: res.body.error?.code, retryAfter: res.headers['retry-after'] }).toEqual({
      status: 503,
      code: 'DB_UNAVAILABLE',
      retryAfter: '5',
    });
    expect((await request(app).get('/readyz')).status).toBe(503);
  });
});
