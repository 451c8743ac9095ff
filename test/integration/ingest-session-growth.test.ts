import type { Database, Queryable } from '../../src/db';
import { ingestEvents } from '../../src/ingest/ingest';
import { validateEvents } from '../../src/ingest/validate';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';
import { message, stepExecuted } from './ingest-support';

interface PlanNode {
  readonly 'Actual Rows'?: number;
  readonly 'Actual Loops'?: number;
  readonly 'Rows Removed by Filter'?: number;
  readonly 'Rows Removed by Join Filter'?: number;
  readonly Plans?: readonly PlanNode[];
}

/** Rows every node of a plan produced or filtered away: what the statement touched. */
function rowsTouched(node: PlanNode): number {
  const own = ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Join Filter'] ?? 0)) * (node['Actual Loops'] ?? 1);
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsTouched(child), 0);
}

/**
 * Ingests `events` while measuring each statement: first under EXPLAIN ANALYZE (rolled back to a savepoint), then for
 * real. Returns the number of statements and the rows they touched.
 */
async function measure(db: Database, items: unknown[]): Promise<{ statements: number; rows: number }> {
  let statements = 0;
  let rows = 0;
  const probing = (tx: Queryable): Queryable => ({
    query: async (text, values) => {
      const q = typeof text === 'string' ? { text, values: values ?? [] } : text;
      statements++;
      await tx.query('SAVEPOINT probe');
      const plan = await tx.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${q.text}`, q.values);
      await tx.query('ROLLBACK TO SAVEPOINT probe');
      const raw = plan.rows[0]?.['QUERY PLAN'];
      const parsed = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
      rows += rowsTouched(parsed[0]?.Plan ?? {});
      return tx.query(q);
    },
    exec: (script) => tx.exec(script),
  });
  await ingestEvents({ ...db, transaction: (fn) => db.transaction((tx) => fn(probing(tx))) }, validateEvents(items));
  return { statements, rows };
}

const session = (sessionId: string, first: number, count: number) =>
  Array.from({ length: count }, (_, i) =>
    i % 2 === 0
      ? stepExecuted(`${sessionId}-${first + i}`, first + i, { sessionId, entityReferenceId: `node-${i % 7}` })
      : message(`${sessionId}-${first + i}`, first + i, { sessionId }),
  );

describe('the cost of one event does not grow with its session', () => {
  const LONG = 2000;
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    await ingestEvents(t.db, validateEvents(session('long', 0, LONG)));
    await ingestEvents(t.db, validateEvents(session('short', 0, 4)));
  }, 120_000);
  afterAll(() => t.drop());

  it.each([
    ['a step', (sessionId: string) => session(sessionId, LONG + 10, 1)],
    ['a message', (sessionId: string) => session(sessionId, LONG + 11, 2).slice(1)],
  ])('%s in a session of 2,000 events touches as many rows as in a session of 4', async (_name, next) => {
    const long = await measure(t.db, next('long'));
    const short = await measure(t.db, next('short'));
    expect(long).toEqual(short);
  });

  it('the measure sees growth: a step older than the session’s last step rebuilds the session from its events', async () => {
    const late = await measure(t.db, [stepExecuted('long-late', 0.5, { sessionId: 'long', entityReferenceId: 'node-late' })]);
    expect(late.rows).toBeGreaterThan(LONG);
  });
});
