import request from 'supertest';
import { signBody } from '../../src/ingest/signature';
import { countRows, createHarness, input, profileUpdated, READ_KEY, taskCompleted, WRITE_KEY, type IngestHarness } from './ingest-support';

const json = (body: unknown) => JSON.stringify(body);

function post(h: IngestHarness, body: string | Buffer, headers: Record<string, string> = {}) {
  const req = request(h.app).post('/api/v1/events');
  for (const [name, value] of Object.entries({ 'Content-Type': 'application/json', Authorization: `Bearer ${WRITE_KEY}`, ...headers })) {
    if (value !== '') req.set(name, value);
  }
  // Bytes go out as they are (superagent would otherwise serialise a Buffer as JSON).
  return req.serialize((data: unknown) => data as string).send(body as string);
}

describe('POST /api/v1/events over HTTP', () => {
  let h: IngestHarness;
  beforeAll(async () => {
    h = await createHarness({ MAX_BODY_BYTES: '4096', MAX_BATCH_EVENTS: '5' });
  });
  afterAll(() => h.close());

  describe('authentication', () => {
    it.each([
      ['no key', {}],
      ['a wrong key', { Authorization: 'Bearer nope' }],
      ['a read key', { Authorization: `Bearer ${READ_KEY}` }],
      ['a read key in X-Api-Key', { 'X-Api-Key': READ_KEY }],
      ['an empty bearer token', { Authorization: 'Bearer ' }],
    ])('%s → 401 and nothing stored', async (_name, headers) => {
      const res = await request(h.app)
        .post('/api/v1/events')
        .set({ 'Content-Type': 'application/json', ...headers })
        .send(json(taskCompleted('auth-x', 0)));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body.error.code).toBe('AUTH_REQUIRED');
      expect(await countRows(h.db, 'events')).toBe(0);
    });

    it.each([
      ['Authorization: Bearer', { Authorization: `Bearer ${WRITE_KEY}` }, 'auth-1'],
      ['X-Api-Key', { Authorization: '', 'X-Api-Key': WRITE_KEY }, 'auth-2'],
    ])('a write key in %s → 201', async (_name, headers, id) => {
      const res = await post(h, json(taskCompleted(id, 0)), headers);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ accepted: 1, duplicates: 0, dropped: 0 });
    });
  });

  describe('content type, size and syntax', () => {
    it.each([
      ['text/plain', 'text/plain'],
      ['application/xml', 'application/xml'],
      ['a charset other than UTF-8', 'application/json; charset=latin1'],
    ])('%s → 415', async (_name, contentType) => {
      const res = await post(h, json(taskCompleted('ct-1', 0)), { 'Content-Type': contentType });
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('no Content-Type → 415', async () => {
      const res = await request(h.app)
        .post('/api/v1/events')
        .set('Authorization', `Bearer ${WRITE_KEY}`)
        .serialize((data: unknown) => data as string)
        .send(Buffer.from(json(taskCompleted('ct-2', 0))) as unknown as string);
      expect(res.status).toBe(415);
      expect(res.body.error.message).toMatch(/none was given/);
    });

    it('accepts application/json; charset=utf-8 with a single event object', async () => {
      const res = await post(h, json(taskCompleted('ct-3', 0)), { 'Content-Type': 'application/json; charset=UTF-8' });
      expect(res.status).toBe(201);
    });

    it('a body over MAX_BODY_BYTES → 413, nothing stored', async () => {
      const big = json([taskCompleted('big-1', 0, { flowName: 'x'.repeat(5000) })]);
      const res = await post(h, big);
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('REQUEST_TOO_LARGE');
      const stored = await h.db.query("SELECT count(*)::integer AS n FROM events WHERE event_id = 'big-1'");
      expect(stored.rows).toEqual([{ n: 0 }]);
    });

    it('more events than MAX_BATCH_EVENTS → 413 (JSON array and NDJSON)', async () => {
      const events = [1, 2, 3, 4, 5, 6].map((i) => taskCompleted(`many-${i}`, i));
      const asArray = await post(h, json(events));
      expect(asArray.status).toBe(413);
      expect(asArray.body.error.message).toBe('The batch has 6 events; at most 5 are accepted per request');
      const asLines = await post(h, events.map((e) => json(e)).join('\n'), { 'Content-Type': 'application/x-ndjson' });
      expect(asLines.status).toBe(413);
      expect(asLines.body.error.message).toBe('The batch has more than 5 events; at most 5 are accepted per request');
      const stored = await h.db.query("SELECT count(*)::integer AS n FROM events WHERE event_id LIKE 'many-%'");
      expect(stored.rows).toEqual([{ n: 0 }]);
    });

    it.each([
      ['malformed JSON', '{"id": "x", ', 'application/json', /^The body is not valid JSON: /],
      ['an empty body', '', 'application/json', /^The body is empty/],
      ['a malformed NDJSON line', `${json(taskCompleted('nd-ok', 0))}\n{"id": oops}\n`, 'application/x-ndjson', /^Line 2 is not valid JSON: /],
    ])('%s → 400 MALFORMED_JSON', async (_name, body, contentType, message) => {
      const res = await post(h, body, { 'Content-Type': contentType });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('MALFORMED_JSON');
      expect(res.body.error.message).toMatch(message);
      expect(await h.db.query("SELECT event_id FROM events WHERE event_id = 'nd-ok'").then((r) => r.rows)).toEqual([]);
    });

    it('invalid UTF-8 → 400', async () => {
      const res = await post(h, Buffer.from([0x5b, 0xff, 0xfe, 0x5d]));
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe('The body is not valid UTF-8');
    });

    it('an empty array → 400 INGEST_INVALID', async () => {
      const res = await post(h, '[]');
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({ code: 'INGEST_INVALID', message: 'The batch contains no events' });
    });

    it('NDJSON with CRLF line ends and blank lines is accepted', async () => {
      const body = `\r\n${json(taskCompleted('nd-1', 1))}\r\n\r\n${json(input('nd-2', 2))}\r\n`;
      const res = await post(h, body, { 'Content-Type': 'application/x-ndjson; charset=utf-8' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ accepted: 2, duplicates: 0, dropped: 0 });
    });
  });

  describe('validation: a batch is atomic', () => {
    it('lists every invalid event and stores nothing', async () => {
      const batch = [
        taskCompleted('v-ok', 0),
        { ...taskCompleted('v-typo', 0), tsk: 'Order Placement', task: undefined },
        { ...taskCompleted('v-time', 0), timestamp: '2025-03-01T09:00:00' },
        { id: 'v-type', type: 'task.complete', projectId: 'p1', timestamp: '2025-03-01T09:00:00Z' },
      ];
      const res = await post(h, json(batch));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: {
          code: 'INGEST_INVALID',
          message: '3 of 4 events invalid; nothing was stored',
          details: [
            { code: 'INGEST_INVALID', index: 1, id: 'v-typo', target: 'task', message: 'is required' },
            { code: 'INGEST_INVALID', index: 1, id: 'v-typo', target: 'tsk', message: "unknown field; did you mean 'task'?" },
            { code: 'INGEST_INVALID', index: 2, id: 'v-time', target: 'timestamp', message: 'must include a UTC offset (Z or ±hh:mm)' },
            {
              code: 'INGEST_INVALID',
              index: 3,
              id: 'v-type',
              target: 'type',
              message: 'must be one of task.completed, input, message, step.executed, handover, profile.updated, profile.deleted, goal.step',
            },
          ],
        },
      });
      expect(await h.db.query("SELECT event_id FROM events WHERE event_id LIKE 'v-%'").then((r) => r.rows)).toEqual([]);
    });

    it('reports NUL characters, non-objects and deep nesting with their paths', async () => {
      let deep: unknown = 'x';
      for (let i = 0; i < 40; i++) deep = { d: deep };
      const batch = [input('v-nul', 0, { inputText: 'a\u0000b' }), 42, input('v-deep', 0, { inputData: deep })];
      const res = await post(h, json(batch));
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([
        { code: 'INGEST_INVALID', index: 0, id: 'v-nul', target: 'inputText', message: 'must not contain NUL characters' },
        { code: 'INGEST_INVALID', index: 1, id: null, target: '', message: 'each event must be a JSON object' },
        { code: 'INGEST_INVALID', index: 2, id: 'v-deep', target: `inputData${'.d'.repeat(31)}`, message: 'is nested deeper than 32 levels' },
      ]);
    });
  });

  describe('idempotency', () => {
    it('a redelivered event is a duplicate and counts once', async () => {
      const event = taskCompleted('dup-1', 100, { contactId: 'dupe', sessionId: 'ds', task: 'Order Placement' });
      const first = await post(h, json(event));
      const second = await post(h, json(event));
      expect([first.status, first.body]).toEqual([201, { accepted: 1, duplicates: 0, dropped: 0 }]);
      expect([second.status, second.body]).toEqual([200, { accepted: 0, duplicates: 1, dropped: 0 }]);
      const tasks = await h.db.query("SELECT completion_count FROM contact_tasks WHERE contact_id = 'dupe'").then((r) => r.rows);
      expect(tasks).toEqual([{ completion_count: 1 }]);
      const completed = await h.db.query("SELECT count(*)::integer AS n FROM completed_tasks WHERE contact_id = 'dupe'").then((r) => r.rows);
      expect(completed).toEqual([{ n: 1 }]);
    });

    it('the same id twice in one batch, identical (keys in any order), is stored once and counted as a duplicate', async () => {
      const event = taskCompleted('dup-2', 101, { contactId: 'dupe2', sessionId: 'ds2', task: 'Account Registration' });
      const reordered = Object.fromEntries(Object.entries(event).reverse());
      const res = await post(h, json([event, reordered]));
      expect([res.status, res.body]).toEqual([201, { accepted: 1, duplicates: 1, dropped: 0 }]);
      const tasks = await h.db.query("SELECT task, completion_count FROM contact_tasks WHERE contact_id = 'dupe2'").then((r) => r.rows);
      expect(tasks).toEqual([{ task: 'Account Registration', completion_count: 1 }]);
    });

    it('the same id twice in one batch with different content → 400 naming both positions, nothing stored', async () => {
      const event = taskCompleted('dup-3', 102, { contactId: 'dupe3', sessionId: 'ds3', task: 'Account Registration' });
      const other = taskCompleted('dup-4', 102, { contactId: 'dupe3', sessionId: 'ds3' });
      const res = await post(h, json([event, other, { ...event, task: 'Changed' }]));
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([
        {
          code: 'INGEST_INVALID',
          index: 2,
          id: 'dup-3',
          target: 'id',
          message: 'repeats the id of event 0 with different content (events 0 and 2); an id names one event',
        },
      ]);
      expect(await h.db.query("SELECT event_id FROM events WHERE event_id LIKE 'dup-3' OR event_id = 'dup-4'").then((r) => r.rows)).toEqual([]);
    });
  });

  describe('field names', () => {
    it.each([
      ['custom.__proto__', '{"custom":{"__proto__":{"tier":"gold"},"plan":"x"}}'],
      ['custom.plan.__proto__', '{"custom":{"plan":{"__proto__":1}}}'],
    ])('%s → 400 naming the field, nothing stored', async (target, fields) => {
      // Written as text: an object literal with __proto__ would not carry the field at all.
      const event = JSON.stringify(profileUpdated('proto-1', 0, { contactId: 'proto' }));
      const body = `[${event.slice(0, -1)},${fields.slice(1)}]`;
      const res = await post(h, body);
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([
        { code: 'INGEST_INVALID', index: 0, id: 'proto-1', target, message: 'is a reserved name and cannot be a field' },
      ]);
      expect(await h.db.query("SELECT count(*)::integer AS n FROM contact_profiles WHERE contact_id = 'proto'").then((r) => r.rows)).toEqual([{ n: 0 }]);
    });
  });
});

describe('POST /api/v1/events with WEBHOOK_SECRET', () => {
  const secret = 'a-webhook-secret-of-32-characters';
  let h: IngestHarness;
  beforeAll(async () => {
    h = await createHarness({ WEBHOOK_SECRET: secret });
  });
  afterAll(() => h.close());

  const body = json(taskCompleted('sig-1', 0));

  it.each([
    ['missing', undefined, /X-Taskfeed-Signature header is required/],
    ['wrong', signBody('another-secret-of-some-length', body), /does not match/],
    ['not sha256=', 'md5=abc', /does not match/],
    ['over a different body', signBody(secret, json(taskCompleted('sig-2', 0))), /does not match/],
  ])('%s signature → 401 INGEST_BAD_SIGNATURE, nothing stored', async (_name, signature, message) => {
    const res = await post(h, body, signature === undefined ? {} : { 'X-Taskfeed-Signature': signature });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INGEST_BAD_SIGNATURE');
    expect(res.body.error.message).toMatch(message);
    expect(await countRows(h.db, 'events')).toBe(0);
  });

  it('a valid signature (hex in any case) → 201', async () => {
    const res = await post(h, body, { 'X-Taskfeed-Signature': signBody(secret, body).toUpperCase().replace('SHA256=', 'sha256=') });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, dropped: 0 });
  });

  it('the key is still required with a valid signature', async () => {
    const res = await post(h, body, { Authorization: '', 'X-Taskfeed-Signature': signBody(secret, body) });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('AUTH_REQUIRED');
  });
});

describe('POST /api/v1/events: input that once produced a 500 or a stall', () => {
  let h: IngestHarness;
  beforeAll(async () => {
    h = await createHarness({});
  });
  afterAll(() => h.close());

  const task = (extra: Record<string, unknown>) => json(taskCompleted('r1', 0, extra as Parameters<typeof taskCompleted>[2]));

  it('rejects an instant past 9999-12-31T23:59:59Z in UTC', async () => {
    const res = await post(h, task({ timestamp: '9999-12-31T23:59:59-01:00' }));
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toMatchObject({ target: 'timestamp', message: expect.stringContaining('0001–9999') });
  });

  it('answers a very long unknown field name with 400', async () => {
    expect((await post(h, task({ ['x'.repeat(1_000_000)]: 1 }))).status).toBe(400);
  });

  it('answers a body that does not inflate with 400', async () => {
    expect((await post(h, 'not gzip', { 'Content-Encoding': 'gzip' })).status).toBe(400);
  });
});
