import { classifyDatabaseError, DatabaseError } from '../../src/db-error';

const pgError = (code: string, message = 'database text') => Object.assign(new Error(message), { code });

describe('classifyDatabaseError', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), {}, 'unavailable'],
    ['refused on every address', new AggregateError([Object.assign(new Error(''), { code: 'ECONNREFUSED' })]), {}, 'unavailable'],
    ['a terminated backend (57P01)', pgError('57P01', 'terminating connection due to administrator command'), {}, 'unavailable'],
    ['a server starting up (57P03)', pgError('57P03'), {}, 'unavailable'],
    ['a connection exception (08006)', pgError('08006'), {}, 'unavailable'],
    ['too many connections (53300)', pgError('53300'), {}, 'unavailable'],
    ['the driver losing the socket', new Error('Connection terminated unexpectedly'), {}, 'unavailable'],
    ['an ended pool', new Error('Cannot use a pool after calling end on the pool'), {}, 'unavailable'],
    ['statement_timeout (57014)', pgError('57014', 'canceling statement due to statement timeout'), {}, 'timeout'],
    ['our cancel request (57014)', pgError('57014', 'canceling statement due to user request'), { cancelled: true }, 'cancelled'],
    ['a NUL byte (22021)', pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'), {}, 'invalid-value'],
    ['a division by zero (22012)', pgError('22012'), {}, 'invalid-value'],
    ['stack depth (54001)', pgError('54001'), {}, 'too-complex'],
  ])('%s → %s', (_name, err, context, kind) => {
    const classified = classifyDatabaseError(err, context) as DatabaseError;
    expect(classified).toBeInstanceOf(DatabaseError);
    expect(classified.kind).toBe(kind);
    expect(classified.message).not.toContain('database text');
    expect(classified.cause).toBe(err);
  });

  it.each([
    ['a deadlock, which the caller retries (40P01)', pgError('40P01')],
    ['a unique violation (23505)', pgError('23505')],
    ['an application error', Object.assign(new Error('More locks needed'), { code: 'INGEST_INVALID' })],
    ['a plain value', 'not an error'],
  ])('%s passes through unchanged', (_name, err) => {
    expect(classifyDatabaseError(err)).toBe(err);
  });

  it('keeps an already classified error', () => {
    const busy = new DatabaseError('busy', { busy: { limit: 'total', value: 10, waitedMs: 300_000 } });
    expect(classifyDatabaseError(busy)).toBe(busy);
  });
});
