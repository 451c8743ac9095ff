// $metadata against the OASIS conformance material: CSDL XML schema (xmllint), CSDL JSON schema (ajv), vocabularies.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import { withCognigyKeyNames } from '../../src/model/cognigy-compat';
import { buildCsdlJson } from '../../src/model/csdl-json';
import {
  type Annotation,
  type AnnotationValue,
  buildCsdlXml,
  containerAnnotations,
  descriptionAnnotations,
  entitySetAnnotations,
  VOCABULARIES,
} from '../../src/model/csdl-xml';
import type { EntityModel } from '../../src/model/edm';
import { taskfeedModel } from '../../src/model/entity-model';
import { loadModelDir, mergeModel } from '../../src/model/model-dir';
import { projectRoot } from '../../src/paths';

// Vendored third-party material: see test/conformance/NOTICE.
const CONFORMANCE = path.join(projectRoot(), 'test', 'conformance');
const EDMX_XSD = path.join(CONFORMANCE, 'oasis', 'csdl', 'edmx.xsd');
const CSDL_JSON_SCHEMA = path.join(CONFORMANCE, 'oasis', 'csdl', 'csdl.schema.json');
const OPTIONS = { maxExpandDepth: 3 };

const models: [string, EntityModel][] = [
  ['taskfeedModel', taskfeedModel],
  ['withCognigyKeyNames(taskfeedModel)', withCognigyKeyNames(taskfeedModel)],
  ['taskfeedModel + examples/model-dir', mergeModel(taskfeedModel, loadModelDir(path.join(projectRoot(), 'examples', 'model-dir')))],
];

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'csdl-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function xmllint(file: string): { status: number | null; output: string } {
  // --nonet: edmx.xsd imports edm.xsd by relative path; nothing may come from the network.
  const r = spawnSync('xmllint', ['--noout', '--nonet', '--schema', EDMX_XSD, file], { encoding: 'utf8' });
  if (r.error !== undefined) throw new Error(`xmllint is not installed (apt-get install libxml2-utils): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe('CSDL XML validates against edmx.xsd (xmllint)', () => {
  it('rejects the invalid sample (the validator really validates)', () => {
    const r = xmllint(path.join(CONFORMANCE, 'odata2ts', 'analytics-sample-invalid.xml'));
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('fails to validate');
  });

  it.each(models)('%s', (name, model) => {
    const file = path.join(tmp, `${name.replace(/\W+/g, '_')}.xml`);
    fs.writeFileSync(file, buildCsdlXml(model, OPTIONS));
    const r = xmllint(file);
    expect(r.output).toBe(`${file} validates`);
    expect(r.status).toBe(0);
  });
});

describe('CSDL JSON validates against csdl.schema.json (ajv, draft-07)', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(CSDL_JSON_SCHEMA, 'utf8')) as object);

  it('rejects a broken document (the validator really validates)', () => {
    const doc = JSON.parse(JSON.stringify(buildCsdlJson(taskfeedModel, OPTIONS))) as { Taskfeed: { Analytic: Record<string, unknown> } };
    doc.Taskfeed.Analytic.id = { $Nullable: 'no' };
    expect(validate(doc)).toBe(false);
  });

  it.each(models)('%s', (_name, model) => {
    const valid = validate(buildCsdlJson(model, OPTIONS));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });
});

// Vocabulary terms and types, read from the OASIS JSON vocabularies.
type VocabMember = Record<string, unknown>;
const vocabularies = new Map<string, Record<string, VocabMember>>();
const ALIASES: Record<string, string> = { Validation: 'Org.OData.Validation.V1' };
for (const v of VOCABULARIES) ALIASES[v.alias] = v.namespace;
for (const ns of Object.values(ALIASES)) {
  const json = JSON.parse(fs.readFileSync(path.join(CONFORMANCE, 'oasis', 'vocabularies', `${ns}.json`), 'utf8')) as Record<string, unknown>;
  vocabularies.set(ns, json[ns] as Record<string, VocabMember>);
}

function lookup(qualified: string): VocabMember {
  const dot = qualified.lastIndexOf('.');
  const alias = qualified.slice(0, dot);
  const ns = ALIASES[alias] ?? alias;
  const member = vocabularies.get(ns)?.[qualified.slice(dot + 1)];
  if (member === undefined) throw new Error(`${qualified} is not defined in the vocabularies`);
  return member;
}

/** Problems of a value against a vocabulary type (empty when it conforms). */
function checkValue(value: AnnotationValue, type: string, collection: boolean, at: string): string[] {
  if (collection) {
    if (value.kind !== 'collection') return [`${at}: expected a collection of ${type}, got ${value.kind}`];
    return value.items.flatMap((item, i) => checkValue(item, type, false, `${at}[${i}]`));
  }
  const primitive: Record<string, AnnotationValue['kind']> = {
    'Edm.Boolean': 'bool',
    'Edm.String': 'string',
    'Edm.Int32': 'int',
    'Edm.PropertyPath': 'propertyPath',
    'Edm.AnyPropertyPath': 'propertyPath',
  };
  const expected = primitive[type];
  if (expected !== undefined) return value.kind === expected ? [] : [`${at}: expected ${type}, got ${value.kind}`];
  const def = lookup(type);
  switch (def.$Kind) {
    case 'TypeDefinition': {
      const problems = checkValue(value, def.$UnderlyingType as string, false, at);
      const allowed = (def['@Validation.AllowedValues'] as { Value: unknown }[] | undefined)?.map((a) => a.Value);
      if (allowed !== undefined && value.kind === 'string' && !allowed.includes(value.value)) {
        problems.push(`${at}: ${JSON.stringify(value.value)} is not an allowed ${type}`);
      }
      return problems;
    }
    case 'EnumType':
      if (value.kind !== 'enum') return [`${at}: expected enum ${type}, got ${value.kind}`];
      if (lookup(value.type) !== def) return [`${at}: enum type ${value.type} is not ${type}`];
      return Object.hasOwn(def, value.member) && !value.member.startsWith('$') ? [] : [`${at}: ${value.member} is not a member of ${type}`];
    case 'ComplexType': {
      if (value.kind !== 'record') return [`${at}: expected record ${type}, got ${value.kind}`];
      return value.fields.flatMap((f) => {
        for (let t: VocabMember | undefined = def; t !== undefined; t = t.$BaseType === undefined ? undefined : lookup(t.$BaseType as string)) {
          const prop = t[f.name] as VocabMember | undefined;
          if (prop !== undefined) {
            return checkValue(f.value, (prop.$Type as string | undefined) ?? 'Edm.String', prop.$Collection === true, `${at}.${f.name}`);
          }
        }
        return [`${at}.${f.name}: not a property of ${type}`];
      });
    }
    default:
      return [`${at}: unsupported vocabulary type ${type}`];
  }
}

function checkAnnotation(a: Annotation, target: string): string[] {
  const term = lookup(a.term);
  if (term.$Kind !== 'Term') return [`${a.term}: not a term`];
  const appliesTo = term.$AppliesTo as string[] | undefined;
  if (appliesTo !== undefined && !appliesTo.includes(target)) return [`${a.term}: does not apply to ${target}`];
  return checkValue(a.value, (term.$Type as string | undefined) ?? 'Edm.String', term.$Collection === true, a.term);
}

describe('annotations use the vocabularies exactly (term names, targets, record fields, types, allowed values)', () => {
  it('container', () => {
    expect(containerAnnotations(OPTIONS).flatMap((a) => checkAnnotation(a, 'EntityContainer'))).toEqual([]);
  });

  it.each(taskfeedModel.entitySets.map((s) => [s.name, s] as const))('entity set %s and its properties', (_name, set) => {
    expect(entitySetAnnotations(set, OPTIONS).flatMap((a) => checkAnnotation(a, 'EntitySet'))).toEqual([]);
    expect(set.properties.flatMap((p) => descriptionAnnotations(p.description)).flatMap((a) => checkAnnotation(a, 'Property'))).toEqual([]);
  });

  it('the checker catches a wrong term, field and value', () => {
    expect(checkAnnotation({ term: 'Capabilities.TopSupported', value: { kind: 'string', value: 'yes' } }, 'EntitySet')).toEqual([
      'Capabilities.TopSupported: expected Edm.Boolean, got string',
    ]);
    expect(
      checkAnnotation(
        { term: 'Capabilities.CountRestrictions', value: { kind: 'record', fields: [{ name: 'Counted', value: { kind: 'bool', value: true } }] } },
        'EntitySet',
      ),
    ).toEqual(['Capabilities.CountRestrictions.Counted: not a property of Capabilities.CountRestrictionsType']);
    expect(checkAnnotation({ term: 'Aggregation.ApplySupportedDefaults', value: { kind: 'record', fields: [] } }, 'EntitySet')).toEqual([
      'Aggregation.ApplySupportedDefaults: does not apply to EntitySet',
    ]);
    expect(
      checkAnnotation(
        {
          term: 'Aggregation.ApplySupported',
          value: { kind: 'record', fields: [{ name: 'Transformations', value: { kind: 'collection', items: [{ kind: 'string', value: 'pivot' }] } }] },
        },
        'EntitySet',
      ),
    ).toEqual(['Aggregation.ApplySupported.Transformations[0]: "pivot" is not an allowed Aggregation.Transformation']);
  });
});
