import { readMigrations, runMigrations } from '../../src/migrate';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';

describe('migrations', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false });
  });
  afterAll(() => t.drop());

  it('applies every migration once, then nothing', async () => {
    const first = await runMigrations(t.db);
    expect(first).toEqual(readMigrations().map((m) => m.name));
    expect(await runMigrations(t.db)).toEqual([]);
    const recorded = await t.db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(recorded.rows.map((r) => r.name)).toEqual(first);
  });

  it('is safe when two runs start at once', async () => {
    const [a, b] = await Promise.all([runMigrations(t.db), runMigrations(t.db)]);
    expect([...a, ...b]).toEqual([]);
  });

  it('refuses a migration edited after it was applied', async () => {
    const edited = readMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'changed' } : m));
    await expect(runMigrations(t.db, edited)).rejects.toThrow(/edited after it was applied/);
  });
});
