// result row × plan shape → JSON text of one entity (selected properties, expansions, control information).
import type { BoundExpand, OutputColumn } from '../odata/bound';
import type { ResponseFormat } from './format';
import type { EdmPrimitive, EntitySetDef } from '../model/edm';
import { resultColumn } from '../odata/result-columns';
import { formatValue } from './values';

export interface EntityShape {
  readonly set: EntitySetDef;
  readonly select: readonly OutputColumn[];
  readonly keys: readonly OutputColumn[];
  readonly expand: readonly BoundExpand[];
}

export interface SerializeContext {
  readonly format: ResponseFormat;
  /** Service root URL, e.g. https://host/odata */
  readonly serviceUrl: string;
  readonly namespace: string;
  /** Leave out null properties (Prefer: omit-values=nulls, acknowledged in Preference-Applied). */
  readonly omitNulls?: boolean;
}

/** '#Int64': the fragment form, which 4.0 requires and 4.01 still accepts. */
function typeAnnotation(type: string): string {
  return `#${type.replace(/^Edm\./, '')}`;
}

/** Key predicate as in a canonical URL: ('a1') or (projectId='p',contactId='c'). */
export function keyPredicate(keys: readonly OutputColumn[], values: readonly unknown[]): string {
  const literal = (v: unknown, c: OutputColumn) =>
    c.type === 'Edm.String' ? `'${String(v).replace(/'/g, "''")}'` : String(v);
  if (keys.length === 1 && keys[0] !== undefined) return `(${encodeURIComponent(literal(values[0], keys[0]))})`;
  return `(${keys.map((k, i) => `${k.name}=${encodeURIComponent(literal(values[i], k))}`).join(',')})`;
}

function property(column: OutputColumn, value: unknown, ctx: SerializeContext): string {
  const name = JSON.stringify(column.name);
  const json = formatValue(value, column.type === 'null' ? 'Edm.String' : column.type, ctx.format);
  const needsType =
    ctx.format.metadata !== 'none' &&
    column.type !== 'null' &&
    ((column.dynamic === true && column.type !== 'Edm.Double' && column.type !== 'Edm.String' && column.type !== 'Edm.Boolean') ||
      json === '"NaN"' ||
      json === '"INF"' ||
      json === '"-INF"' ||
      (ctx.format.metadata === 'full' && !['Edm.String', 'Edm.Boolean', 'Edm.Double'].includes(column.type)));
  const annotation = needsType ? `${JSON.stringify(`${column.name}@odata.type`)}:${JSON.stringify(typeAnnotation(column.type))},` : '';
  return `${annotation}${name}:${json}`;
}

/** Writes nested property paths (groupby over navigation) as nested objects. */
function propertiesJson(columns: readonly OutputColumn[], values: readonly unknown[], ctx: SerializeContext): string[] {
  const plain: string[] = [];
  const nested = new Map<string, { columns: OutputColumn[]; values: unknown[] }>();
  columns.forEach((c, i) => {
    const head = c.path?.[0];
    if (ctx.omitNulls === true && (values[i] === null || values[i] === undefined)) return;
    if (head === undefined) {
      plain.push(property(c, values[i], ctx));
      return;
    }
    const group = nested.get(head) ?? { columns: [], values: [] };
    group.columns.push({ ...c, path: c.path?.slice(1) });
    group.values.push(values[i]);
    nested.set(head, group);
  });
  for (const [name, group] of nested) {
    plain.push(`${JSON.stringify(name)}:{${propertiesJson(group.columns, group.values, ctx).join(',')}}`);
  }
  return plain;
}

/** One expanded entity from its positional JSON array [selected..., expansions...]. */
function expandedEntity(x: BoundExpand, row: readonly unknown[], ctx: SerializeContext): string {
  const values = row.slice(0, x.select.length);
  let position = x.select.length;
  const parts = propertiesJson(x.select, values, ctx);
  for (const inner of x.expand) {
    const value = row[position++];
    const count = inner.count ? row[position++] : undefined;
    parts.push(expansionJson(inner, value, count, ctx));
  }
  return `{${parts.join(',')}}`;
}

export function expansionJson(x: BoundExpand, value: unknown, count: unknown, ctx: SerializeContext): string {
  const name = JSON.stringify(x.join.nav.name);
  const countPart = count === undefined ? '' : `${JSON.stringify(`${x.join.nav.name}@odata.count`)}:${formatValue(count, 'Edm.Int64', ctx.format)},`;
  if (!x.join.nav.collection) {
    return `${name}:${Array.isArray(value) ? expandedEntity(x, value, ctx) : 'null'}`;
  }
  const rows = Array.isArray(value) ? (value as unknown[][]) : [];
  const apply = x.apply;
  if (apply !== undefined) return `${name}:[${rows.map((r) => instanceJson(apply.output, r, ctx)).join(',')}]`;
  return `${countPart}${name}:[${rows.map((r) => expandedEntity(x, r, ctx)).join(',')}]`;
}

interface PropertyWriter {
  readonly key: string;
  readonly prefix: string;
  readonly annotation: string;
  readonly type: EdmPrimitive;
  /** For a Double without an annotation: the one NaN and ±INF need (JSON format §7.1), else ''. */
  readonly specialAnnotation: string;
}

/** Per response shape, once: each property's `"name":` text and whether it carries @odata.type. */
function propertyWriters(columns: readonly OutputColumn[], ctx: SerializeContext, key: (i: number) => string): PropertyWriter[] {
  return columns.map((column, i) => {
    const type = column.type === 'null' ? 'Edm.String' : column.type;
    const annotated =
      ctx.format.metadata !== 'none' &&
      column.type !== 'null' &&
      ((column.dynamic === true && !['Edm.Double', 'Edm.String', 'Edm.Boolean'].includes(type)) ||
        (ctx.format.metadata === 'full' && !['Edm.String', 'Edm.Boolean', 'Edm.Double'].includes(type)));
    const annotationText = `${JSON.stringify(`${column.name}@odata.type`)}:${JSON.stringify(typeAnnotation(type))},`;
    return {
      key: key(i),
      prefix: `${JSON.stringify(column.name)}:`,
      annotation: annotated ? annotationText : '',
      type,
      specialAnnotation: type === 'Edm.Double' && ctx.format.metadata !== 'none' && !annotated ? annotationText : '',
    };
  });
}

/**
 * createEntityWriter(shape (id, timestamp), ctx) → row { c0: 'a1', c1: '2024-01-15 12:00:00+00' }
 * → {"id":"a1","timestamp":"2024-01-15T12:00:00Z"}; names and annotations are prepared once per response.
 */
export function createEntityWriter(shape: EntityShape, ctx: SerializeContext): (row: Readonly<Record<string, unknown>>, control?: { readonly context?: string }) => string {
  const writers = propertyWriters(shape.select, ctx, resultColumn.select);
  const typeName = JSON.stringify(`#${ctx.namespace}.${shape.set.typeName}`);
  return (row, control = {}) => {
    let out = '{';
    let first = true;
    const add = (text: string) => {
      out += first ? text : `,${text}`;
      first = false;
    };
    if (control.context !== undefined) add(`"@odata.context":${JSON.stringify(control.context)}`);
    if (ctx.format.metadata === 'full') {
      const id = JSON.stringify(`${ctx.serviceUrl}/${shape.set.name}${keyPredicate(shape.keys, shape.keys.map((_, i) => row[resultColumn.key(i)]))}`);
      add(`"@odata.type":${typeName}`);
      add(`"@odata.id":${id}`);
      add(`"@odata.readLink":${id}`);
    }
    for (const w of writers) {
      const value = row[w.key];
      if (ctx.omitNulls === true && (value === null || value === undefined)) continue;
      const json = formatValue(value, w.type, ctx.format);
      const special = w.specialAnnotation !== '' && (json === '"NaN"' || json === '"INF"' || json === '"-INF"');
      add(`${special ? w.specialAnnotation : w.annotation}${w.prefix}${json}`);
    }
    shape.expand.forEach((x, i) => {
      add(expansionJson(x, row[resultColumn.expand(i)], x.count ? row[resultColumn.expandCount(i)] : undefined, ctx));
    });
    return `${out}}`;
  };
}

/** One entity, written once (single-entity responses); collections use createEntityWriter per response. */
export function entityJson(
  shape: EntityShape,
  row: Readonly<Record<string, unknown>>,
  ctx: SerializeContext,
  control: { readonly context?: string } = {},
): string {
  return createEntityWriter(shape, ctx)(row, control);
}

/**
 * A transient instance (a row of an $apply result): the given properties, nested by path, without id or type.
 * instanceJson([intent, n (dynamic Edm.Int64)], ['order', '3']) → {"intent":"order","n@odata.type":"#Int64","n":3}
 */
export function instanceJson(columns: readonly OutputColumn[], values: readonly unknown[], ctx: SerializeContext): string {
  return `{${propertiesJson(columns, values, ctx).join(',')}}`;
}
