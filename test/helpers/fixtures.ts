// test database → the small read-side dataset of test/fixtures/odata-seed.sql.
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../../src/db';
import { awaitReplay } from './test-db';

export async function loadReadFixture(db: Database): Promise<void> {
  await db.exec(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'odata-seed.sql'), 'utf8'));
  await awaitReplay(db);
}
