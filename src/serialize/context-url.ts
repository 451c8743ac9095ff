// response shape → @odata.context: absolute, with the select list for projections, expansions and $apply results.
import type { BoundExpand, OutputColumn } from '../odata/bound';

function expandList(expand: readonly BoundExpand[]): string[] {
  // Power Query rejects 'nav()' in context URLs: a plain expansion is written by its name alone.
  return expand.map((x) => {
    const inner = [...(x.explicitSelect ? x.select.map((c) => c.name) : []), ...expandList(x.expand)];
    return inner.length > 0 ? `${x.join.nav.name}(${inner.join(',')})` : x.join.nav.name;
  });
}

function topLevelNames(columns: readonly OutputColumn[]): string[] {
  const names: string[] = [];
  for (const c of columns) {
    const name = c.path?.[0] ?? c.name;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * collectionContext('https://h/odata', 'Analytics', [id, intent] selected, [])
 * → 'https://h/odata/$metadata#Analytics(id,intent)'
 */
export function collectionContext(
  serviceUrl: string,
  setName: string,
  shape: { readonly select: readonly OutputColumn[]; readonly explicitSelect: boolean; readonly expand: readonly BoundExpand[] },
  entity = false,
): string {
  const items = [...(shape.explicitSelect ? topLevelNames(shape.select) : []), ...(shape.explicitSelect ? expandList(shape.expand) : [])];
  const projection = items.length > 0 ? `(${items.join(',')})` : '';
  return `${serviceUrl}/$metadata#${setName}${projection}${entity ? '/$entity' : ''}`;
}

export function propertyContext(serviceUrl: string, entityPath: string, property: string): string {
  return `${serviceUrl}/$metadata#${entityPath}/${property}`;
}

export function serviceDocumentContext(serviceUrl: string): string {
  return `${serviceUrl}/$metadata`;
}

/** Select-list items of $apply results: ['intent', 'session(channel,userType)', 'n'] (nested paths grouped under their navigation). */
function applyItems(columns: readonly { readonly name: string; readonly path?: readonly string[] }[]): string[] {
  const items: string[] = [];
  const nested = new Map<string, { name: string; path: readonly string[] }[]>();
  for (const c of columns) {
    const head = c.path?.[0];
    if (head === undefined) {
      if (!items.includes(c.name)) items.push(c.name);
      continue;
    }
    if (!nested.has(head)) {
      nested.set(head, []);
      items.push(`\u0000${head}`);
    }
    nested.get(head)?.push({ name: c.name, path: (c.path ?? []).slice(1) });
  }
  return items.map((i) => (i.startsWith('\u0000') ? `${i.slice(1)}(${applyItems(nested.get(i.slice(1)) ?? []).join(',')})` : i));
}

/** $metadata#Analytics(intent,n), or $metadata#Analytics when the rows are the entities themselves (no columns). */
export function applyContext(serviceUrl: string, setName: string, columns: readonly OutputColumn[] | undefined): string {
  const items = columns === undefined ? '' : `(${applyItems(columns).join(',')})`;
  return `${serviceUrl}/$metadata#${setName}${items}`;
}
