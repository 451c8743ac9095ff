import request from 'supertest';
import { loadReadFixture } from '../helpers/fixtures';
import { createTestApp, READ_KEY, type TestApp } from '../helpers/test-app';

describe("a '+' in the query string", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    await loadReadFixture(t.database.db);
  });
  afterAll(() => t.close());

  it('is a plus sign: an offset written with %2B and with + both parse', async () => {
    for (const offset of ['%2B01:00', '+01:00']) {
      const res = await request(t.app).get(`/odata/Analytics?$select=id&$filter=timestamp%20lt%202024-01-15T10:00:11${offset}`).set('x-api-key', READ_KEY);
      expect({ status: res.status, ids: res.body.value?.map((r: { id: string }) => r.id) }).toEqual({ status: 200, ids: ['a1'] });
    }
  });

  it('used for spaces, answers 400 with a hint to encode spaces as %20', async () => {
    const res = await request(t.app).get("/odata/Analytics?$filter=intent+eq+'order.food'").set('x-api-key', READ_KEY);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ODATA_PARSE_SYNTAX');
    expect(res.body.error.message).toContain('encode spaces as %20');
  });
});
