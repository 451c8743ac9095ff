// GET /odata/Set?$apply=… → bindApply → compileApply* → one statement per page (plus one for $count) → streamed transient instances.
import type { Row } from '../db';
import { bindApply, type BoundApply } from '../odata/bind-apply';
import type { BindSession } from '../odata/bind-expr';
import type { OutputColumn } from '../odata/bound';
import { pageFor } from '../odata/plan';
import type { Resource } from '../odata/resolve-path';
import { compileApplyCount, compileApplyPage } from '../sql/compile-apply';
import type { CompiledQuery } from '../sql/fragment';
import { streamCollection } from '../serialize/collection';
import { instanceJson, type SerializeContext } from '../serialize/entity';
import { buildNextLink, decodeSkipToken } from '../serialize/next-link';
import { negotiateJsonFormat } from './odata-format';
import { odataHeaders, pageSizeFor, type ODataRequest } from './odata-routes';

/** $metadata#Analytics(intent,n), or $metadata#Analytics when the rows are the entities themselves. */
function applyContext(serviceUrl: string, plan: BoundApply): string {
  const items = plan.contextItems === undefined ? '' : `(${plan.contextItems.join(',')})`;
  return `${serviceUrl}/$metadata#${plan.set.name}${items}`;
}

/**
 * A page is at most pageSize + 1 rows, so it is read in one go rather than through a cursor: PostgreSQL
 * plans cursor reads without parallel workers, which halves the speed of a large GROUP BY.
 */
async function* pageRows(o: ODataRequest, query: CompiledQuery): AsyncGenerator<Row> {
  const result = await o.ctx.readDb.query(query);
  yield* result.rows;
}

/** Row → JSON: the output columns c0…, limited to the row's shape after concat. */
function rowWriter(plan: BoundApply, s: SerializeContext): (row: Row) => string {
  const values = (row: Row, indexes: readonly number[]) => indexes.map((i) => row[`c${i}`]);
  const all = plan.output.map((_, i) => i);
  const shapes = plan.shapes;
  if (shapes === undefined) return (row) => instanceJson(plan.output, values(row, all), s);
  const byShape = shapes.members.map((m) => ({ indexes: m, columns: m.map((i) => plan.output[i] as OutputColumn) }));
  return (row) => {
    const shape = byShape[Number(row[shapes.column])];
    if (shape === undefined) return instanceJson(plan.output, values(row, all), s);
    return instanceJson(shape.columns, values(row, shape.indexes), s);
  };
}

/**
 * readApply(GET /odata/Analytics?$apply=groupby((intent),aggregate($count as n))&$orderby=n desc)
 * → {"@odata.context":"…/$metadata#Analytics(intent,n)","value":[{"intent":"order","n@odata.type":"#Int64","n":3},…]}
 * Paging uses offset skiptokens; /$count answers the number of result rows as text/plain.
 */
export async function readApply(o: ODataRequest, resource: Extract<Resource, { kind: 'collection' }>, session: BindSession): Promise<void> {
  const plan = bindApply(session, resource, o.query);
  if (resource.count) {
    negotiateJsonFormat(o.req, undefined);
    const result = await o.ctx.readDb.query<{ count: string }>(compileApplyCount(plan, o.compile));
    o.res.setHeader('OData-Version', '4.0');
    o.res.setHeader('Content-Type', 'text/plain');
    o.res.send(String(result.rows[0]?.count ?? '0'));
    return;
  }
  const format = negotiateJsonFormat(o.req, o.query.format);
  const pageSize = pageSizeFor(o);
  const token = o.query.skiptoken === undefined ? undefined : decodeSkipToken(o.query.skiptoken);
  if (token !== undefined && token.kind !== 'offset') throw decodeSkipToken('');
  // The offset in a skiptoken is absolute: the nextLink drops $skip.
  const offset = token === undefined ? plan.skip : token.offset;
  const page = pageFor(plan.top, pageSize);
  const countText = plan.count
    ? String((await o.ctx.readDb.query<{ count: string }>(compileApplyCount(plan, o.compile))).rows[0]?.count ?? '0')
    : undefined;
  const s: SerializeContext = { format, serviceUrl: o.serviceUrl, namespace: o.model.namespace };
  const resourceUrl = `${o.serviceUrl}${o.rawPath}`;
  await streamCollection(
    o.res,
    pageRows(o, compileApplyPage(plan, { limit: page.size + 1, offset }, o.compile)),
    {
      context: format.metadata === 'none' ? undefined : applyContext(o.serviceUrl, plan),
      count: countText === undefined ? undefined : format.ieee754Compatible ? JSON.stringify(countText) : countText,
      pageSize: page.size,
      mayContinue: page.remaining === undefined || page.remaining > page.size,
      rowJson: rowWriter(plan, s),
      nextLink: () => buildNextLink(resourceUrl, o.rawQuery, page.size, page.remaining, { kind: 'offset', offset: offset + page.size }),
    },
    () => odataHeaders(o.res, format),
  );
}
