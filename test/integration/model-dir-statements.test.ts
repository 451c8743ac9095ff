// MODEL_DIR entity sets read operator views, which the operator may replace at any time, and a MODEL_DIR change takes
// effect on restart over a database whose read connections may still hold statements prepared for the old model. On
// PostgreSQL OData statements are named prepared statements kept per read connection: a statement whose result types
// changed must be prepared afresh, and a changed model must prepare its own text. Embedded PGlite runs statements
// unnamed; there the same requests must simply keep answering correctly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { openDatabases, type Database } from '../../src/db';
import { taskfeedModel } from '../../src/model/entity-model';
import { loadModelDir, mergeModel, verifyModelColumns } from '../../src/model/model-dir';
import { createTestApp, READ_KEY, WRITE_KEY, type TestApp } from '../helpers/test-app';
import { awaitReplay, createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/test-db';

type Row = Record<string, unknown>;

/** One of the read connection's prepared statements, as pg_prepared_statements shows it. */
interface Prepared {
  readonly name: string;
  readonly statement: string;
  readonly preparedAt: string;
  readonly runs: number;
}

/** What a request did to the statement of its shape: prepared a name not seen before, ran it as it was, or prepared it again. */
type Outcome = 'new' | 'reused' | 'reprepared';

/** The model file as the operator edits it: `regionProperty` is the OData name of the region column. */
interface ModelVersion {
  readonly regionProperty: string;
  readonly unitsType: 'Edm.Int32' | 'Edm.Int64';
}

const FIRST_MODEL: ModelVersion = { regionProperty: 'region', unitsType: 'Edm.Int32' };
const EDITED_MODEL: ModelVersion = { regionProperty: 'area', unitsType: 'Edm.Int64' };

function modelFile(m: ModelVersion): Row {
  return {
    name: 'RegionUnits',
    typeName: 'RegionUnit',
    table: 'ops_region_units',
    key: ['id'],
    properties: [
      { name: 'id', type: 'Edm.Int32' },
      { name: m.regionProperty, column: 'region', type: 'Edm.String' },
      { name: 'units', type: m.unitsType },
    ],
  };
}

/** The operator's view over its table, with the column types of the given step. */
function viewSql(regionType: string, unitsType: string): string {
  return `DROP VIEW IF EXISTS ops_region_units;
    CREATE VIEW ops_region_units AS SELECT id, region::${regionType} AS region, units::${unitsType} AS units FROM ops_orders;`;
}

interface Shape {
  readonly name: string;
  readonly url: (m: ModelVersion) => string;
  readonly expected: (m: ModelVersion) => unknown;
}

// Grouped rows and an entity by key come back as plain columns, whose types follow the view; collection rows come as
// JSON text, whose type no view change alters.
const SHAPES: readonly Shape[] = [
  {
    name: 'grouped regions',
    url: (m) => `/odata/RegionUnits?$apply=groupby((${m.regionProperty}))`,
    expected: (m) => [{ [m.regionProperty]: 'north' }, { [m.regionProperty]: 'south' }],
  },
  {
    name: 'grouped units',
    url: () => '/odata/RegionUnits?$apply=groupby((units))',
    expected: () => [{ units: 3 }, { units: 4 }, { units: 5 }],
  },
  {
    name: 'collection',
    url: () => '/odata/RegionUnits?$orderby=id',
    expected: (m) => [
      { id: 1, [m.regionProperty]: 'north', units: 3 },
      { id: 2, [m.regionProperty]: 'south', units: 5 },
      { id: 3, [m.regionProperty]: 'north', units: 4 },
    ],
  },
  {
    name: 'entity by key',
    url: () => '/odata/RegionUnits(2)',
    expected: (m) => ({ id: 2, [m.regionProperty]: 'south', units: 5 }),
  },
];

/** Drops control information (@odata.context, …@odata.type) so that bodies compare by value. */
function withoutAnnotations(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(withoutAnnotations);
  if (typeof body !== 'object' || body === null) return body;
  return Object.fromEntries(Object.entries(body).filter(([k]) => !k.includes('@')));
}

describe('prepared statements across MODEL_DIR and view changes', () => {
  let testDb: TestDatabase;
  let db: Database;
  let readDb: Database;
  let dir: string;
  /** The statement each shape ran last (PostgreSQL only). */
  const last = new Map<string, Prepared>();

  beforeAll(async () => {
    testDb = await createTestDatabase();
    await testDb.db.exec(`CREATE TABLE ops_orders (id integer PRIMARY KEY, region text NOT NULL, units integer NOT NULL);
      INSERT INTO ops_orders VALUES (1, 'north', 3), (2, 'south', 5), (3, 'north', 4);
      ${viewSql('text', 'integer')}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-dir-statements-'));
    writeModel(FIRST_MODEL);
    if (usingPostgres) {
      // One read connection, so that pg_prepared_statements (a per-connection view) shows every statement the requests prepared.
      const config = loadConfig({
        DATABASE_URL: testDb.url as string,
        WRITE_KEYS: WRITE_KEY,
        READ_KEYS: READ_KEY,
        LOG_LEVEL: 'silent',
        DATABASE_POOL_SIZE: '1',
        DATABASE_READ_POOL_SIZE: '1',
        ODATA_MAX_STATEMENTS_PER_KEY: '1',
      });
      ({ db, readDb } = await openDatabases(config));
    } else {
      db = testDb.db;
      readDb = testDb.db;
    }
  });

  afterAll(async () => {
    if (usingPostgres) {
      await readDb?.close();
      await db?.close();
    }
    await testDb?.drop();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  function writeModel(m: ModelVersion): void {
    fs.writeFileSync(path.join(dir, 'region-units.json'), JSON.stringify(modelFile(m), null, 2));
  }

  async function changeView(regionType: string, unitsType: string): Promise<void> {
    await testDb.db.exec(viewSql(regionType, unitsType));
    await awaitReplay(testDb.db);
  }

  /** What the server does at start: load MODEL_DIR, merge it with the built-in sets, check it against the database. */
  async function startApp(): Promise<TestApp> {
    const model = mergeModel(taskfeedModel, loadModelDir(dir));
    expect(await verifyModelColumns(readDb, model)).toEqual([]);
    // Each app keeps the connections of the one before it, and with them every statement prepared for the old model
    // or the old view: the hardest case a restart can meet. The connections outlive the app, so its drop closes nothing.
    return createTestApp({ env: { MODEL_DIR: dir }, model, database: { db, readDb, drop: async () => undefined } });
  }

  async function prepared(): Promise<Map<string, Prepared>> {
    const r = await readDb.query<{ name: string; statement: string; prepared_at: string; runs: string }>(
      "SELECT name, statement, prepare_time::text AS prepared_at, (generic_plans + custom_plans)::text AS runs FROM pg_prepared_statements WHERE name LIKE 'tf\\_%'",
    );
    return new Map(r.rows.map((row) => [row.name, { name: row.name, statement: row.statement, preparedAt: row.prepared_at, runs: Number(row.runs) }]));
  }

  /**
   * Sends the shape's request, checks the answer, and on PostgreSQL finds the one statement it ran (the one that
   * appeared, was prepared again, or ran once more) and checks what happened to it since the shape's last run.
   */
  async function check(t: TestApp, shape: Shape, m: ModelVersion, outcome: Outcome): Promise<void> {
    const before = usingPostgres ? await prepared() : undefined;
    const res = await request(t.app).get(shape.url(m)).set('x-api-key', READ_KEY);
    expect({ shape: shape.name, status: res.status }).toEqual({ shape: shape.name, status: 200 });
    const body = res.body as { value?: unknown };
    expect(withoutAnnotations(body.value ?? body)).toEqual(shape.expected(m));
    if (before === undefined) return;

    const after = await prepared();
    const touched = [...after.values()].filter((s) => {
      const was = before.get(s.name);
      return was === undefined || was.preparedAt !== s.preparedAt || was.runs !== s.runs;
    });
    expect(touched).toHaveLength(1);
    const statement = touched[0] as Prepared;
    const previous = last.get(shape.name);
    const seen: Outcome =
      previous === undefined || previous.name !== statement.name ? 'new' : previous.preparedAt === statement.preparedAt ? 'reused' : 'reprepared';
    expect({ shape: shape.name, outcome: seen }).toEqual({ shape: shape.name, outcome });
    if (seen === 'new') {
      expect(before.has(statement.name)).toBe(false);
      expect(statement.runs).toBe(1);
    } else if (seen === 'reused') {
      expect(statement.runs).toBe((previous as Prepared).runs + 1);
    } else {
      // Prepared again under the same name for the same text: the run count starts over.
      expect(statement.statement).toBe((previous as Prepared).statement);
      expect(statement.runs).toBe(1);
    }
    last.set(shape.name, statement);
  }

  /** Runs every shape twice: the first run as `first` says, the second on the statement the first left prepared. */
  async function runShapes(t: TestApp, m: ModelVersion, first: Record<string, Outcome>): Promise<void> {
    for (const shape of SHAPES) {
      await check(t, shape, m, first[shape.name] as Outcome);
      await check(t, shape, m, 'reused');
    }
  }

  it('prepares each request shape once over the MODEL_DIR view', async () => {
    const t = await startApp();
    await runShapes(t, FIRST_MODEL, { 'grouped regions': 'new', 'grouped units': 'new', collection: 'new', 'entity by key': 'new' });
  });

  it('prepares afresh the statements whose column types changed when the operator replaced the view', async () => {
    // Still readable as the model file says (Edm.String, Edm.Int32), so the same server keeps running.
    await changeView('varchar(20)', 'smallint');
    const t = await startApp();
    await runShapes(t, FIRST_MODEL, { 'grouped regions': 'reprepared', 'grouped units': 'reprepared', collection: 'reused', 'entity by key': 'reprepared' });
  });

  it('serves an edited model file after a restart over the same connections', async () => {
    await changeView('varchar(20)', 'bigint');
    // The old file no longer matches the view: the operator edits it and restarts.
    const stale = mergeModel(taskfeedModel, loadModelDir(dir));
    expect(await verifyModelColumns(readDb, stale)).toEqual(['RegionUnits.units: column "units" is bigint, not readable as Edm.Int32']);
    writeModel(EDITED_MODEL);
    const t = await startApp();
    // Statements are named by their text: the renamed property changes the collection's text (its JSON keys), the
    // other shapes keep their text and are prepared again only where a column they return changed type.
    await runShapes(t, EDITED_MODEL, { 'grouped regions': 'reused', 'grouped units': 'reprepared', collection: 'new', 'entity by key': 'reprepared' });
    if (usingPostgres) expect(last.get('collection')?.statement).toContain(`AS "${EDITED_MODEL.regionProperty}"`);
  });
});
