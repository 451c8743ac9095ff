import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EntitySetDef } from '../../../src/model/edm';
import { findEntitySet, taskfeedModel } from '../../../src/model/entity-model';
import { checkModel, loadModelDir, mergeModel, ModelError } from '../../../src/model/model-dir';
import { projectRoot } from '../../../src/paths';

const EXAMPLE_DIR = path.join(projectRoot(), 'examples', 'model-dir');

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function dirWith(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-dir-'));
  tmpDirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

function problemsOf(dir: string): readonly string[] {
  try {
    loadModelDir(dir);
  } catch (err) {
    if (err instanceof ModelError) return err.problems;
    throw err;
  }
  return [];
}

type Json = Record<string, unknown>;

const valid = (): Json => JSON.parse(fs.readFileSync(path.join(EXAMPLE_DIR, 'daily-task-kpis.json'), 'utf8')) as Json;

/** The example with one change applied (a shallow patch, or a function for deeper edits). */
function variant(change: Json | ((set: Json) => void)): Json {
  const set = valid();
  if (typeof change === 'function') change(set);
  else Object.assign(set, change);
  return set;
}

const props = (set: Json) => set.properties as Json[];
const withProperty = (p: Json) => variant((s) => props(s).push(p));
const withNavigation = (n: Json) => variant((s) => (s.navigations = [n]));

describe('loadModelDir', () => {
  it('loads the worked example with defaults applied', () => {
    const [set, ...rest] = loadModelDir(EXAMPLE_DIR);
    expect(rest).toEqual([]);
    expect(set).toMatchObject({
      name: 'DailyTaskKpis',
      typeName: 'DailyTaskKpi',
      table: 'daily_task_kpis',
      key: ['projectId', 'day', 'task'],
      projectProperty: 'projectId',
      navigations: [],
    });
    expect(set?.properties).toEqual([
      { name: 'day', column: 'day', type: 'Edm.Date', nullable: false },
      { name: 'projectId', column: 'project_id', type: 'Edm.String', nullable: false },
      { name: 'task', column: 'task', type: 'Edm.String', nullable: false, searchable: true },
      { name: 'completions', column: 'completions', type: 'Edm.Int32', nullable: false, description: 'task.completed events' },
      { name: 'sessions', column: 'sessions', type: 'Edm.Int32', nullable: false, description: 'Distinct sessions with a completion' },
      { name: 'contacts', column: 'contacts', type: 'Edm.Int32', nullable: false, description: 'Distinct contacts with a completion' },
    ]);
    expect(Object.isFrozen(set)).toBe(true);
  });

  it('returns [] for an empty folder and ignores files that are not *.json', () => {
    expect(loadModelDir(dirWith({ 'notes.md': '# notes', 'view.sql': 'SELECT 1' }))).toEqual([]);
  });

  it('defaults nullable to true outside the key, and temporal precision to 6', () => {
    const [set] = loadModelDir(dirWith({ 'a.json': withProperty({ name: 'refreshedAt', column: 'refreshed_at', type: 'Edm.DateTimeOffset' }) }));
    expect(set?.properties.at(-1)).toEqual({ name: 'refreshedAt', column: 'refreshed_at', type: 'Edm.DateTimeOffset', nullable: true, precision: 6 });
  });

  it('accepts a schema-qualified table and a navigation to a built-in set', () => {
    const file = variant((s) => {
      s.table = 'reporting.daily_task_kpis';
      s.navigations = [{ name: 'completions_', target: 'CompletedTasks', collection: true, on: [{ from: 'projectId', to: 'projectId' }, { from: 'task', to: 'task' }] }];
    });
    const [set] = loadModelDir(dirWith({ 'a.json': file }));
    expect(set?.table).toBe('reporting.daily_task_kpis');
    expect(set?.navigations[0]?.target).toBe('CompletedTasks');
  });

  it('reads files in name order, and sets of one file may navigate to sets of another', () => {
    const first = variant({ name: 'A', typeName: 'A' });
    const second = variant({
      name: 'B',
      typeName: 'B',
      navigations: [{ name: 'a', target: 'A', collection: true, on: [{ from: 'projectId', to: 'projectId' }] }],
    });
    expect(loadModelDir(dirWith({ '2.json': second, '1.json': first })).map((s) => s.name)).toEqual(['A', 'B']);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['not JSON', { 'bad.json': '{ "name": ' }, 'bad.json: not valid JSON: '],
    ['an unknown field', { 'k.json': variant({ tabel: 'x' }) }, 'k.json: (file): Unrecognized key: "tabel"'],
    ['an unknown property field', { 'k.json': withProperty({ name: 'x', type: 'Edm.String', nulable: true }) }, 'k.json: properties[6]: Unrecognized key: "nulable"'],
    ['a missing name', { 'k.json': variant((s) => delete s.name) }, 'k.json: name: must be a string'],
    ['a set name that is not an identifier', { 'k.json': variant({ name: 'Daily-Kpis' }) }, 'k.json: name: must be an OData identifier'],
    ['a property name that is not an identifier', { 'k.json': withProperty({ name: '1st', column: 'first', type: 'Edm.String' }) }, 'k.json: properties[6].name: must be an OData identifier'],
    ['a set name of a built-in set', { 'k.json': variant({ name: 'Sessions' }) }, 'k.json: name: "Sessions" collides with a built-in entity set'],
    ['a type name of a built-in type', { 'k.json': variant({ typeName: 'Session' }) }, 'k.json: typeName: "Session" collides with a built-in entity type'],
    ['the container name as type name', { 'k.json': variant({ typeName: 'Container' }) }, 'k.json: typeName: "Container" collides with the entity container\'s name'],
    ['the same set in two files', { 'a.json': valid(), 'b.json': variant({ typeName: 'Other' }) }, 'b.json: name: "DailyTaskKpis" is already defined in a.json'],
    ['an unknown Edm type', { 'k.json': withProperty({ name: 'x', type: 'Edm.Text' }) }, 'k.json: properties[6].type: unknown Edm type "Edm.Text"; expected one of Edm.String, Edm.Boolean'],
    ['a Cognigy-style type', { 'k.json': withProperty({ name: 'x', type: 'String' }) }, 'k.json: properties[6].type: unknown Edm type "String"'],
    ['a key on an unknown property', { 'k.json': variant({ key: ['projectId', 'dayy'] }) }, 'k.json: key[1]: "dayy" is not a property'],
    ['a nullable key property', { 'k.json': variant((s) => ((props(s)[1] as Json).nullable = true)) }, 'k.json: key[0]: key property "projectId" must not be nullable'],
    ['a floating-point key', { 'k.json': variant((s) => { s.key = ['x']; props(s).push({ name: 'x', type: 'Edm.Double' }); }) }, 'k.json: key[0]: key property "x" cannot be Edm.Double'],
    ['an empty key', { 'k.json': variant({ key: [] }) }, 'k.json: key: needs at least one key property'],
    ['no properties', { 'k.json': variant({ properties: [], key: ['x'] }) }, 'k.json: properties: needs at least one property'],
    ['a property listed twice', { 'k.json': withProperty({ name: 'task', column: 'task2', type: 'Edm.String' }) }, 'k.json: properties[6].name: "task" is already used by properties[2].name'],
    ['a navigation named like a property', { 'k.json': withNavigation({ name: 'task', target: 'CompletedTasks', collection: true, on: [{ from: 'projectId', to: 'projectId' }] }) }, 'k.json: navigations[0].name: "task" is already used by properties[2].name'],
    ['an unknown projectProperty', { 'k.json': variant({ projectProperty: 'project' }) }, 'k.json: projectProperty: "project" is not a property'],
    ['a projectProperty that is not a string', { 'k.json': variant({ projectProperty: 'completions' }) }, 'k.json: projectProperty: "completions" must be Edm.String'],
    ['maxLength on a number', { 'k.json': withProperty({ name: 'x', type: 'Edm.Int32', maxLength: 3 }) }, 'k.json: properties[6].maxLength: only Edm.String properties have a maxLength'],
    ['scale on a string', { 'k.json': withProperty({ name: 'x', type: 'Edm.String', scale: 2 }) }, 'k.json: properties[6].scale: only Edm.Decimal properties have a scale'],
    ['scale above precision', { 'k.json': withProperty({ name: 'x', type: 'Edm.Decimal', precision: 4, scale: 6 }) }, 'k.json: properties[6].scale: must not exceed the precision (4)'],
    ['a searchable number', { 'k.json': withProperty({ name: 'x', type: 'Edm.Int32', searchable: true }) }, 'k.json: properties[6].searchable: only Edm.String properties can be searchable'],
    ['a table with SQL in it', { 'k.json': variant({ table: 'daily_task_kpis; DROP TABLE sessions' }) }, 'k.json: table: must be a plain SQL identifier, optionally schema-qualified'],
    ['a quoted table name', { 'k.json': variant({ table: '"Daily KPIs"' }) }, 'k.json: table: must be a plain SQL identifier'],
    ['a three-part table name', { 'k.json': variant({ table: 'db.reporting.kpis' }) }, 'k.json: table: must be a plain SQL identifier'],
    ['a column with a space', { 'k.json': withProperty({ name: 'x', column: 'project id', type: 'Edm.String' }) }, 'k.json: properties[6].column: must be a plain SQL identifier'],
    ['a column with a quote', { 'k.json': withProperty({ name: 'x', column: 'a"b', type: 'Edm.String' }) }, 'k.json: properties[6].column: must be a plain SQL identifier'],
    ['a column longer than PostgreSQL keeps', { 'k.json': withProperty({ name: 'x', column: 'c'.repeat(64), type: 'Edm.String' }) }, 'k.json: properties[6].column: must be at most 63 characters'],
    ['a default column that is not a SQL name', { 'k.json': withProperty({ name: 'tâche', type: 'Edm.String' }) }, 'k.json: properties[6].column: "tâche" is not a plain SQL identifier'],
    ['a navigation to an unknown set', { 'k.json': withNavigation({ name: 'n', target: 'Sesions', collection: true, on: [{ from: 'projectId', to: 'projectId' }] }) }, 'k.json: navigations[0].target: unknown entity set "Sesions"'],
    ['a navigation from an unknown property', { 'k.json': withNavigation({ name: 'n', target: 'CompletedTasks', collection: true, on: [{ from: 'projectId', to: 'projectId' }, { from: 'taks', to: 'task' }] }) }, 'k.json: navigations[0].on[1].from: "taks" is not a property of DailyTaskKpis'],
    ['a navigation to an unknown property', { 'k.json': withNavigation({ name: 'n', target: 'CompletedTasks', collection: true, on: [{ from: 'projectId', to: 'projectId' }, { from: 'task', to: 'name' }] }) }, 'k.json: navigations[0].on[1].to: "name" is not a property of CompletedTasks'],
    ['a navigation joining different types', { 'k.json': withNavigation({ name: 'n', target: 'CompletedTasks', collection: true, on: [{ from: 'projectId', to: 'projectId' }, { from: 'day', to: 'task' }] }) }, 'k.json: navigations[0].on[1]: DailyTaskKpis.day is Edm.Date but CompletedTasks.task is Edm.String'],
    ['a navigation that leaves the project', { 'k.json': withNavigation({ name: 'n', target: 'CompletedTasks', collection: true, on: [{ from: 'task', to: 'task' }] }) }, 'k.json: navigations[0].on: must include { "from": "projectId", "to": "projectId" }'],
    ['a navigation without pairs', { 'k.json': withNavigation({ name: 'n', target: 'CompletedTasks', collection: true, on: [] }) }, 'k.json: navigations[0].on: needs at least one { from, to } pair'],
  ];

  it.each(invalid)('rejects %s', (_case, files, expected) => {
    expect(problemsOf(dirWith(files))).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
  });

  it('reports the problems of every file at once, in one error', () => {
    const dir = dirWith({ 'a.json': variant({ name: 'Sessions' }), 'b.json': withProperty({ name: 'x', type: 'Edm.Text' }) });
    expect(() => loadModelDir(dir)).toThrow(ModelError);
    expect(() => loadModelDir(dir)).toThrow(/a\.json: name: "Sessions" collides[\s\S]*b\.json: properties\[6\]\.type: unknown Edm type/);
  });

  it('rejects a folder that does not exist', () => {
    expect(() => loadModelDir(path.join(os.tmpdir(), 'no-such-model-dir-x9'))).toThrow(/MODEL_DIR ".*no-such-model-dir-x9" is not a directory/);
  });
});

describe('mergeModel', () => {
  it('appends the operator sets after the built-in ones', () => {
    const merged = mergeModel(taskfeedModel, loadModelDir(EXAMPLE_DIR));
    expect(merged.entitySets.map((s) => s.name)).toEqual([...taskfeedModel.entitySets.map((s) => s.name), 'DailyTaskKpis']);
    expect(merged.namespace).toBe('Taskfeed');
    expect(findEntitySet(merged, 'DailyTaskKpis')?.table).toBe('daily_task_kpis');
    expect(checkModel(merged)).toEqual([]);
    expect(Object.isFrozen(merged)).toBe(true);
  });

  it('refuses sets that collide or do not check', () => {
    const sessions = findEntitySet(taskfeedModel, 'Sessions') as EntitySetDef;
    expect(() => mergeModel(taskfeedModel, [sessions])).toThrow(/Sessions: entity set name is used twice/);
    const broken: EntitySetDef = { ...sessions, name: 'Broken', typeName: 'Broken', key: ['nope'] };
    expect(() => mergeModel(taskfeedModel, [broken])).toThrow(/Broken\.key\[0\]: "nope" is not a property/);
  });
});
