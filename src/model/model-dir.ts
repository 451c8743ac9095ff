// MODEL_DIR/*.json → EntitySetDef[]: operator-defined entity sets, checked against the built-in model before the service starts.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Queryable } from '../db';
import type { EdmPrimitive, EntityModel, EntitySetDef, NavigationDef, PropertyDef } from './edm';
import { deepFreeze, taskfeedModel } from './entity-model';

/** Every problem found while loading or checking a model, one line each ("file.json: key[1]: …"). */
export class ModelError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid entity model:\n  ${problems.join('\n  ')}`);
    this.name = 'ModelError';
    this.problems = problems;
  }
}

// A Record keeps this list in step with the EdmPrimitive union.
const EDM_TYPE_FLAGS: Record<EdmPrimitive, true> = {
  'Edm.String': true,
  'Edm.Boolean': true,
  'Edm.Int16': true,
  'Edm.Int32': true,
  'Edm.Int64': true,
  'Edm.Decimal': true,
  'Edm.Double': true,
  'Edm.DateTimeOffset': true,
  'Edm.Date': true,
  'Edm.TimeOfDay': true,
  'Edm.Duration': true,
  'Edm.Guid': true,
};
const EDM_TYPES = Object.keys(EDM_TYPE_FLAGS) as [EdmPrimitive, ...EdmPrimitive[]];

const TEMPORAL_TYPES: readonly EdmPrimitive[] = ['Edm.DateTimeOffset', 'Edm.TimeOfDay', 'Edm.Duration'];
// CSDL allows these as key property types (no floating point).
const KEY_TYPES: readonly EdmPrimitive[] = EDM_TYPES.filter((t) => t !== 'Edm.Double');

/** OData SimpleIdentifier (CSDL §17.2). */
export const SIMPLE_IDENTIFIER = /^[_\p{L}\p{Nl}][_\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}\p{Cf}]{0,127}$/u;
/** A SQL name the compiler can quote without escaping: plain identifier, optional schema prefix for tables. */
export const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SQL_TABLE = /^(?:[A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$/;
// PostgreSQL silently truncates longer names, which would then not match the quoted name.
const PG_NAME_MAX = 63;

const identifier = z
  .string({ error: 'must be a string' })
  .regex(SIMPLE_IDENTIFIER, 'must be an OData identifier: a letter or _, then letters, digits or _ (at most 128)');
const sqlColumn = z
  .string({ error: 'must be a string' })
  .regex(SQL_IDENTIFIER, 'must be a plain SQL identifier: [A-Za-z_][A-Za-z0-9_]*')
  .max(PG_NAME_MAX, `must be at most ${PG_NAME_MAX} characters`);
const sqlTable = z
  .string({ error: 'must be a string' })
  .regex(SQL_TABLE, 'must be a plain SQL identifier, optionally schema-qualified: [schema.]name')
  .refine((t) => t.split('.').every((part) => part.length <= PG_NAME_MAX), `each part must be at most ${PG_NAME_MAX} characters`);
const edmType = z.enum(EDM_TYPES, {
  error: (issue) => `unknown Edm type ${JSON.stringify(issue.input)}; expected one of ${EDM_TYPES.join(', ')}`,
});

const propertyFile = z.strictObject({
  name: identifier,
  /** Defaults to the property name. */
  column: sqlColumn.optional(),
  type: edmType,
  /** Defaults to false for key properties, true otherwise. */
  nullable: z.boolean().optional(),
  searchable: z.boolean().optional(),
  maxLength: z.number().int().positive().optional(),
  /** Defaults to 6 (microseconds) for temporal types. */
  precision: z.number().int().min(0).optional(),
  scale: z.union([z.number().int().min(0), z.literal('variable')]).optional(),
  description: z.string().optional(),
});

const navigationFile = z.strictObject({
  name: identifier,
  target: identifier,
  collection: z.boolean(),
  on: z.array(z.strictObject({ from: identifier, to: identifier })).min(1, 'needs at least one { from, to } pair'),
  description: z.string().optional(),
});

const entitySetFile = z.strictObject({
  /** Lets editors validate the file against a JSON schema; ignored. */
  $schema: z.string().optional(),
  name: identifier,
  typeName: identifier,
  table: sqlTable,
  key: z.array(identifier).min(1, 'needs at least one key property'),
  properties: z.array(propertyFile).min(1, 'needs at least one property'),
  navigations: z.array(navigationFile).default([]),
  projectProperty: identifier.optional(),
  description: z.string().optional(),
});

type EntitySetFile = z.infer<typeof entitySetFile>;

function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? String(s) : `.${String(s)}`;
  }
  return out === '' ? '(file)' : out;
}

function toEntitySet(file: EntitySetFile): EntitySetDef {
  const keys = new Set(file.key);
  const properties = file.properties.map((p): PropertyDef => {
    const precision = p.precision ?? (TEMPORAL_TYPES.includes(p.type) ? 6 : undefined);
    return {
      name: p.name,
      column: p.column ?? p.name,
      type: p.type,
      nullable: p.nullable ?? !keys.has(p.name),
      ...(p.searchable === true ? { searchable: true } : {}),
      ...(p.maxLength !== undefined ? { maxLength: p.maxLength } : {}),
      ...(precision !== undefined ? { precision } : {}),
      ...(p.scale !== undefined ? { scale: p.scale } : {}),
      ...(p.description !== undefined ? { description: p.description } : {}),
    };
  });
  const navigations = file.navigations.map(
    (n): NavigationDef => ({
      name: n.name,
      target: n.target,
      collection: n.collection,
      on: n.on.map((pair) => ({ from: pair.from, to: pair.to })),
      ...(n.description !== undefined ? { description: n.description } : {}),
    }),
  );
  return {
    name: file.name,
    typeName: file.typeName,
    table: file.table,
    key: [...file.key],
    properties,
    navigations,
    ...(file.projectProperty !== undefined ? { projectProperty: file.projectProperty } : {}),
    ...(file.description !== undefined ? { description: file.description } : {}),
  };
}

function checkProperty(p: PropertyDef, at: string): string[] {
  const problems: string[] = [];
  if (p.maxLength !== undefined && p.type !== 'Edm.String') problems.push(`${at}.maxLength: only Edm.String properties have a maxLength`);
  if (p.scale !== undefined && p.type !== 'Edm.Decimal') problems.push(`${at}.scale: only Edm.Decimal properties have a scale`);
  if (p.precision !== undefined) {
    if (p.type !== 'Edm.Decimal' && !TEMPORAL_TYPES.includes(p.type)) {
      problems.push(`${at}.precision: only Edm.Decimal and temporal properties have a precision`);
    } else if (TEMPORAL_TYPES.includes(p.type) && p.precision > 12) {
      problems.push(`${at}.precision: temporal precision is at most 12`);
    } else if (p.type === 'Edm.Decimal' && p.precision < 1) {
      problems.push(`${at}.precision: decimal precision is at least 1`);
    }
  }
  if (typeof p.scale === 'number' && p.precision !== undefined && p.scale > p.precision) {
    problems.push(`${at}.scale: must not exceed the precision (${p.precision})`);
  }
  if (p.searchable === true && p.type !== 'Edm.String') problems.push(`${at}.searchable: only Edm.String properties can be searchable`);
  if (!SIMPLE_IDENTIFIER.test(p.name)) problems.push(`${at}.name: ${JSON.stringify(p.name)} is not an OData identifier`);
  if (!SQL_IDENTIFIER.test(p.column)) problems.push(`${at}.column: ${JSON.stringify(p.column)} is not a plain SQL identifier`);
  return problems;
}

function checkNavigation(set: EntitySetDef, n: NavigationDef, at: string, sets: readonly EntitySetDef[]): string[] {
  const problems: string[] = [];
  if (!SIMPLE_IDENTIFIER.test(n.name)) problems.push(`${at}.name: ${JSON.stringify(n.name)} is not an OData identifier`);
  const target = sets.find((s) => s.name === n.target);
  if (target === undefined) {
    problems.push(`${at}.target: unknown entity set ${JSON.stringify(n.target)}`);
    return problems;
  }
  if (n.on.length === 0) problems.push(`${at}.on: needs at least one { from, to } pair`);
  n.on.forEach((pair, j) => {
    const from = set.properties.find((p) => p.name === pair.from);
    const to = target.properties.find((p) => p.name === pair.to);
    if (from === undefined) problems.push(`${at}.on[${j}].from: ${JSON.stringify(pair.from)} is not a property of ${set.name}`);
    if (to === undefined) problems.push(`${at}.on[${j}].to: ${JSON.stringify(pair.to)} is not a property of ${target.name}`);
    if (from !== undefined && to !== undefined && from.type !== to.type) {
      problems.push(`${at}.on[${j}]: ${set.name}.${from.name} is ${from.type} but ${target.name}.${to.name} is ${to.type}`);
    }
  });
  // Joins must stay inside one project: the compiler scopes each set, but a join across projects would pair unrelated rows.
  if (set.projectProperty !== undefined && target.projectProperty !== undefined) {
    const scoped = n.on.some((pair) => pair.from === set.projectProperty && pair.to === target.projectProperty);
    if (!scoped) {
      problems.push(
        `${at}.on: must include { "from": ${JSON.stringify(set.projectProperty)}, "to": ${JSON.stringify(target.projectProperty)} } (both sets are scoped by project)`,
      );
    }
  }
  return problems;
}

/**
 * Problems of one entity set within a model (empty when valid), with paths relative to the set:
 * checkEntitySet({ …, key: ['nope'] }, sets) → ['key[0]: "nope" is not a property'].
 */
export function checkEntitySet(set: EntitySetDef, sets: readonly EntitySetDef[]): string[] {
  const problems: string[] = [];
  if (!SIMPLE_IDENTIFIER.test(set.name)) problems.push(`name: ${JSON.stringify(set.name)} is not an OData identifier`);
  if (!SIMPLE_IDENTIFIER.test(set.typeName)) problems.push(`typeName: ${JSON.stringify(set.typeName)} is not an OData identifier`);
  if (!SQL_TABLE.test(set.table)) problems.push(`table: ${JSON.stringify(set.table)} is not a plain SQL identifier`);

  const members = new Map<string, string>();
  const claim = (name: string, at: string) => {
    const first = members.get(name);
    if (first !== undefined) problems.push(`${at}: ${JSON.stringify(name)} is already used by ${first}`);
    else members.set(name, at);
  };
  set.properties.forEach((p, i) => {
    claim(p.name, `properties[${i}].name`);
    problems.push(...checkProperty(p, `properties[${i}]`));
  });
  set.navigations.forEach((n, i) => claim(n.name, `navigations[${i}].name`));

  if (set.key.length === 0) problems.push('key: needs at least one key property');
  set.key.forEach((k, i) => {
    const p = set.properties.find((q) => q.name === k);
    if (p === undefined) problems.push(`key[${i}]: ${JSON.stringify(k)} is not a property`);
    else if (p.nullable) problems.push(`key[${i}]: key property ${JSON.stringify(k)} must not be nullable`);
    else if (!KEY_TYPES.includes(p.type)) problems.push(`key[${i}]: key property ${JSON.stringify(k)} cannot be ${p.type}`);
    if (set.key.indexOf(k) !== i) problems.push(`key[${i}]: ${JSON.stringify(k)} is listed twice`);
  });

  if (set.projectProperty !== undefined) {
    const p = set.properties.find((q) => q.name === set.projectProperty);
    if (p === undefined) problems.push(`projectProperty: ${JSON.stringify(set.projectProperty)} is not a property`);
    else if (p.type !== 'Edm.String') problems.push(`projectProperty: ${JSON.stringify(set.projectProperty)} must be Edm.String`);
  }

  set.navigations.forEach((n, i) => problems.push(...checkNavigation(set, n, `navigations[${i}]`, sets)));
  return problems;
}

/** Problems of a whole model (empty when valid): checkModel(taskfeedModel) → []. */
export function checkModel(model: EntityModel): string[] {
  const problems: string[] = [];
  const setNames = new Set<string>();
  const typeNames = new Set<string>();
  for (const set of model.entitySets) {
    if (setNames.has(set.name)) problems.push(`${set.name}: entity set name is used twice`);
    if (typeNames.has(set.typeName)) problems.push(`${set.name}: entity type name ${JSON.stringify(set.typeName)} is used twice`);
    if (set.typeName === model.containerName) {
      problems.push(`${set.name}: entity type name ${JSON.stringify(set.typeName)} is the entity container's name`);
    }
    setNames.add(set.name);
    typeNames.add(set.typeName);
    problems.push(...checkEntitySet(set, model.entitySets).map((p) => `${set.name}.${p}`));
  }
  return problems;
}

/**
 * Reads every *.json file of an operator model folder (sorted by name; one entity set per file).
 * loadModelDir('examples/model-dir') → [DailyTaskKpis]. Throws ModelError naming each file and field:
 * 'bad.json: properties[1].type: unknown Edm type "Edm.Text"; expected one of Edm.String, …'.
 */
export function loadModelDir(dir: string, base: EntityModel = taskfeedModel): EntitySetDef[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new ModelError([`MODEL_DIR ${JSON.stringify(dir)} is not a directory`]);
  }
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();

  // Problems are reported grouped by file, in file order.
  const problems = new Map<string, string[]>(files.map((f) => [f, []]));
  const report = (file: string, message: string) => problems.get(file)?.push(`${file}: ${message}`);
  const loaded: { file: string; set: EntitySetDef }[] = [];
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    } catch (err) {
      report(file, `not valid JSON: ${(err as Error).message}`);
      continue;
    }
    const parsed = entitySetFile.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) report(file, `${formatPath(issue.path)}: ${issue.message}`);
      continue;
    }
    loaded.push({ file, set: toEntitySet(parsed.data) });
  }

  const all = [...base.entitySets, ...loaded.map((l) => l.set)];
  loaded.forEach(({ file, set }, i) => {
    if (base.entitySets.some((s) => s.name === set.name)) {
      report(file, `name: ${JSON.stringify(set.name)} collides with a built-in entity set`);
    }
    if (base.entitySets.some((s) => s.typeName === set.typeName)) {
      report(file, `typeName: ${JSON.stringify(set.typeName)} collides with a built-in entity type`);
    }
    if (set.typeName === base.containerName) {
      report(file, `typeName: ${JSON.stringify(set.typeName)} collides with the entity container's name`);
    }
    const earlier = loaded.slice(0, i);
    const sameSet = earlier.find((l) => l.set.name === set.name);
    const sameType = earlier.find((l) => l.set.typeName === set.typeName);
    if (sameSet !== undefined) report(file, `name: ${JSON.stringify(set.name)} is already defined in ${sameSet.file}`);
    if (sameType !== undefined) report(file, `typeName: ${JSON.stringify(set.typeName)} is already defined in ${sameType.file}`);
    for (const problem of checkEntitySet(set, all)) report(file, problem);
  });

  const found = [...problems.values()].flat();
  if (found.length > 0) throw new ModelError(found);
  return loaded.map((l) => deepFreeze(l.set));
}

/** mergeModel(taskfeedModel, loadModelDir(dir)) → the built-in sets followed by the operator's; throws ModelError when invalid. */
export function mergeModel(base: EntityModel, extra: readonly EntitySetDef[]): EntityModel {
  const merged: EntityModel = { ...base, entitySets: [...base.entitySets, ...extra] };
  const problems = checkModel(merged);
  if (problems.length > 0) throw new ModelError(problems);
  return deepFreeze(merged);
}

// PostgreSQL types (format_type) each Edm type may read from.
const COLUMN_TYPES: Record<EdmPrimitive, RegExp> = {
  'Edm.String': /^(text|character varying(\(\d+\))?|character(\(\d+\))?|citext|name)$/,
  'Edm.Boolean': /^boolean$/,
  'Edm.Int16': /^smallint$/,
  'Edm.Int32': /^(smallint|integer)$/,
  'Edm.Int64': /^(smallint|integer|bigint)$/,
  'Edm.Decimal': /^numeric(\(\d+(,\d+)?\))?$/,
  'Edm.Double': /^(real|double precision)$/,
  'Edm.DateTimeOffset': /^timestamp(\(\d\))? with time zone$/,
  'Edm.Date': /^date$/,
  'Edm.TimeOfDay': /^time(\(\d\))? without time zone$/,
  'Edm.Duration': /^interval(\(\d\))?$/,
  'Edm.Guid': /^uuid$/,
};

function quotedRelation(table: string): string {
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/**
 * Compares the model with the database it will query (tables, views and materialized views):
 * every relation and column must exist with a type its Edm type can read, and a non-nullable
 * property must sit on a NOT NULL column of a table. Returns the problems; [] when they match.
 * verifyModelColumns(db, model) → ['DailyTaskKpis.completions: column "completions" is bigint, not readable as Edm.Int32'].
 */
export async function verifyModelColumns(db: Queryable, model: EntityModel): Promise<string[]> {
  const problems: string[] = [];
  for (const set of model.entitySets) {
    const result = await db.query<{ column_name: string; column_type: string; not_null: boolean; relkind: string }>(
      `SELECT a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS column_type,
              a.attnotnull AS not_null, c.relkind::text AS relkind
         FROM pg_catalog.pg_attribute a
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
        WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
      [quotedRelation(set.table)],
    );
    if (result.rows.length === 0) {
      problems.push(`${set.name}: table or view ${JSON.stringify(set.table)} does not exist`);
      continue;
    }
    const columns = new Map(result.rows.map((r) => [r.column_name, r]));
    for (const p of set.properties) {
      const c = columns.get(p.column);
      if (c === undefined) {
        problems.push(`${set.name}.${p.name}: column ${JSON.stringify(p.column)} does not exist in ${set.table}`);
      } else if (!COLUMN_TYPES[p.type].test(c.column_type)) {
        problems.push(`${set.name}.${p.name}: column ${JSON.stringify(p.column)} is ${c.column_type}, not readable as ${p.type}`);
      } else if (!p.nullable && !c.not_null && (c.relkind === 'r' || c.relkind === 'p')) {
        problems.push(`${set.name}.${p.name}: declared non-nullable but column ${JSON.stringify(p.column)} allows NULL`);
      }
    }
  }
  return problems;
}
