// GET /odata/Set?$apply=… → bindApply → planApply → compileApply* → one statement per page (plus one for $count) → streamed transient instances.
import type { Row } from '../db';
import { bindApply } from '../odata/bind-apply';
import type { BindSession } from '../odata/bind-expr';
import type { Resource } from '../odata/bind-path';
import type { BoundApply, OutputColumn } from '../odata/bound';
import { planApply } from '../odata/plan';
import { resultColumn } from '../odata/result-columns';
import { decodeOffsetToken } from '../odata/skiptoken';
import { compileApplyCount, compileApplyPage } from '../sql/compile-apply';
import type { CompiledQuery } from '../sql/fragment';
import { streamCollection } from '../serialize/collection';
import { applyContext } from '../serialize/context-url';
import { instanceJson, type SerializeContext } from '../serialize/entity';
import { buildNextLink } from '../serialize/next-link';
import { negotiateJsonFormat } from './odata-format';
import { countJson, odataHeaders, pageSizeFor, sendCount, type ODataRequest } from './odata-response';

/**
 * A page is at most pageSize + 1 rows, so it is read in one go rather than through a cursor: PostgreSQL
 * plans cursor reads without parallel workers, which halves the speed of a large GROUP BY.
 */
async function* pageRows(o: ODataRequest, query: CompiledQuery): AsyncGenerator<Row> {
  const result = await o.readDb.query(query);
  yield* result.rows;
}

/** Row → JSON: the output columns c0…, limited to the row's shape after concat. */
function rowWriter(bound: BoundApply, s: SerializeContext): (row: Row) => string {
  const values = (row: Row, indexes: readonly number[]) => indexes.map((i) => row[resultColumn.select(i)]);
  const all = bound.output.map((_, i) => i);
  const shapes = bound.shapes;
  if (shapes === undefined) return (row) => instanceJson(bound.output, values(row, all), s);
  const byShape = shapes.members.map((m) => ({ indexes: m, columns: m.map((i) => bound.output[i] as OutputColumn) }));
  return (row) => {
    const shape = byShape[Number(row[shapes.column])];
    if (shape === undefined) return instanceJson(bound.output, values(row, all), s);
    return instanceJson(shape.columns, values(row, shape.indexes), s);
  };
}

async function countOf(o: ODataRequest, bound: BoundApply): Promise<string | undefined> {
  return (await o.readDb.query<{ count: string }>(compileApplyCount(bound, o.compile))).rows[0]?.count;
}

/**
 * readApply(GET /odata/Analytics?$apply=groupby((intent),aggregate($count as n))&$orderby=n desc)
 * → {"@odata.context":"…/$metadata#Analytics(intent,n)","value":[{"intent":"order","n@odata.type":"#Int64","n":3},…]}
 * Paging uses offset skiptokens; /$count answers the number of result rows as text/plain.
 */
export async function readApply(o: ODataRequest, resource: Extract<Resource, { kind: 'collection' }>, session: BindSession): Promise<void> {
  const bound = bindApply(session, resource, o.query);
  if (resource.count) return sendCount(o, await countOf(o, bound));
  const format = negotiateJsonFormat(o.req, o.query.format);
  const after = o.query.skiptoken === undefined ? undefined : decodeOffsetToken(o.query.skiptoken);
  const plan = planApply(bound, { pageSize: pageSizeFor(o), after });
  const count = bound.count ? await countOf(o, bound) : undefined;
  const s: SerializeContext = { format, serviceUrl: o.serviceUrl, namespace: o.model.namespace };
  const resourceUrl = `${o.serviceUrl}${o.rawPath}`;
  await streamCollection(
    o.res,
    pageRows(o, compileApplyPage(bound, { limit: plan.limit, offset: plan.offset }, o.compile)),
    {
      context: format.metadata === 'none' ? undefined : applyContext(o.serviceUrl, bound.set.name, bound.contextColumns),
      count: countJson(count, format),
      pageSize: plan.pageSize,
      mayContinue: plan.remaining === undefined || plan.remaining > plan.pageSize,
      rowJson: rowWriter(bound, s),
      // The offset in a skiptoken is absolute: the nextLink drops $skip.
      nextLink: () => buildNextLink(resourceUrl, o.rawQuery, plan.pageSize, plan.remaining, { kind: 'offset', offset: plan.offset + plan.pageSize }),
    },
    () => odataHeaders(o.res, format),
  );
}
