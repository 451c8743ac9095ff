// Entity model ↔ migrated database: every property reads an existing column of a matching type (no model/schema drift).
import fs from 'node:fs';
import path from 'node:path';
import { withCognigyKeyNames } from '../../src/model/cognigy-compat';
import type { EntityModel } from '../../src/model/edm';
import { taskfeedModel } from '../../src/model/entity-model';
import { loadModelDir, mergeModel, verifyModelColumns } from '../../src/model/model-dir';
import { projectRoot } from '../../src/paths';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db';

const EXAMPLE_DIR = path.join(projectRoot(), 'examples', 'model-dir');

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

const quote = (name: string) => `"${name}"`;
const selectAll = (model: EntityModel, setName: string) => {
  const set = model.entitySets.find((s) => s.name === setName);
  if (set === undefined) throw new Error(setName);
  return `SELECT ${set.properties.map((p) => quote(p.column)).join(', ')} FROM ${set.table.split('.').map(quote).join('.')} LIMIT 0`;
};

describe('taskfeedModel matches the migrated schema', () => {
  it('every table/view and column exists with a readable type', async () => {
    expect(await verifyModelColumns(t.db, taskfeedModel)).toEqual([]);
  });

  it('nullability of every property on a base table is exactly the column NOT NULL constraint', async () => {
    const mismatches: string[] = [];
    for (const set of taskfeedModel.entitySets) {
      const r = await t.db.query<{ column_name: string; not_null: boolean; relkind: string }>(
        `SELECT a.attname AS column_name, a.attnotnull AS not_null, c.relkind::text AS relkind
           FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
          WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
        [quote(set.table)],
      );
      for (const p of set.properties) {
        const c = r.rows.find((row) => row.column_name === p.column);
        if (c !== undefined && c.relkind === 'r' && c.not_null === p.nullable) {
          mismatches.push(`${set.name}.${p.name}: nullable ${p.nullable}, column NOT NULL ${c.not_null}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('the /v2.3 model reads the same columns', async () => {
    expect(await verifyModelColumns(t.db, withCognigyKeyNames(taskfeedModel))).toEqual([]);
  });

  it('reports drift: a missing relation, a missing column, a wrong type, a nullable column declared non-nullable', async () => {
    const sessions = taskfeedModel.entitySets.find((s) => s.name === 'Sessions');
    if (sessions === undefined) throw new Error('Sessions');
    const drifted: EntityModel = {
      ...taskfeedModel,
      entitySets: [
        { ...sessions, name: 'Gone', table: 'no_such_table' },
        {
          ...sessions,
          properties: [
            { name: 'id', column: 'id', type: 'Edm.String', nullable: false },
            { name: 'endedAt', column: 'ended_at', type: 'Edm.DateTimeOffset', nullable: true },
            { name: 'stepsCount', column: 'steps_count', type: 'Edm.String', nullable: false },
            { name: 'userId', column: 'user_id', type: 'Edm.String', nullable: false },
          ],
        },
      ],
    };
    expect(await verifyModelColumns(t.db, drifted)).toEqual([
      'Gone: table or view "no_such_table" does not exist',
      'Sessions.endedAt: column "ended_at" does not exist in sessions',
      'Sessions.stepsCount: column "steps_count" is integer, not readable as Edm.String',
      'Sessions.userId: declared non-nullable but column "user_id" allows NULL',
    ]);
  });
});

describe('ContactProfiles view', () => {
  it('joins the task list in order of first completion and serves custom as JSON text', async () => {
    await t.db.exec(`
      INSERT INTO contact_profiles (project_id, contact_id, firstname, custom, first_seen_at, last_seen_at)
      VALUES ('p1', 'c1', 'Ada', '{"plan": "gold"}', '2025-01-01T00:00:00Z', '2025-01-03T00:00:00Z'),
             ('p1', 'c2', 'Bob', NULL, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'),
             ('p2', 'c1', 'Other project', NULL, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z');
      INSERT INTO contact_tasks (project_id, contact_id, task, first_completed_at, last_completed_at, completion_count)
      VALUES ('p1', 'c1', 'orderFood', '2025-01-02T00:00:00Z', '2025-01-03T00:00:00Z', 2),
             ('p1', 'c1', 'bookTable', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', 1),
             ('p2', 'c1', 'elsewhere', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', 1);
    `);
    const r = await t.db.query<{ project_id: string; contact_id: string; custom: unknown; tasks_completed: string | null }>(
      'SELECT project_id, contact_id, custom, tasks_completed FROM odata_contact_profiles ORDER BY project_id, contact_id',
    );
    expect(r.rows).toEqual([
      { project_id: 'p1', contact_id: 'c1', custom: '{"plan": "gold"}', tasks_completed: 'bookTable, orderFood' },
      { project_id: 'p1', contact_id: 'c2', custom: null, tasks_completed: null },
      { project_id: 'p2', contact_id: 'c1', custom: null, tasks_completed: 'elsewhere' },
    ]);
  });
});

describe('examples/model-dir', () => {
  it('the materialized view and the entity set file match, and the view computes the KPIs', async () => {
    await t.db.exec(fs.readFileSync(path.join(EXAMPLE_DIR, 'daily_task_kpis.sql'), 'utf8'));
    const model = mergeModel(taskfeedModel, loadModelDir(EXAMPLE_DIR));
    expect(await verifyModelColumns(t.db, model)).toEqual([]);

    await t.db.exec(`
      INSERT INTO completed_tasks (id, project_id, contact_id, session_id, task, occurred_at) VALUES
        ('e1', 'p1', 'c1', 's1', 'orderFood', '2025-03-01T08:00:00Z'),
        ('e2', 'p1', 'c1', 's1', 'orderFood', '2025-03-01T09:00:00Z'),
        ('e3', 'p1', 'c2', 's2', 'orderFood', '2025-03-01T23:59:59Z'),
        ('e4', 'p1', 'c2', 's3', 'orderFood', '2025-03-02T00:00:00Z'),
        ('e5', 'p2', 'c9', 's9', 'bookTable', '2025-03-01T12:00:00Z');
      REFRESH MATERIALIZED VIEW daily_task_kpis;
    `);
    const r = await t.db.query(`${selectAll(model, 'DailyTaskKpis').replace(' LIMIT 0', '')} ORDER BY project_id, day, task`);
    expect(r.rows).toEqual([
      { day: '2025-03-01', project_id: 'p1', task: 'orderFood', completions: 3, sessions: 2, contacts: 2 },
      { day: '2025-03-02', project_id: 'p1', task: 'orderFood', completions: 1, sessions: 1, contacts: 1 },
      { day: '2025-03-01', project_id: 'p2', task: 'bookTable', completions: 1, sessions: 1, contacts: 1 },
    ]);
  });
});
