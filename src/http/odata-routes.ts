// GET /odata/… → parse → bind → plan → compile → run → serialise; also the service document and $metadata.
import { Router, type Request } from 'express';
import type { ReadKey } from '../config';
import type { AppContext } from '../context';
import { forRequest, type Row } from '../db';
import { AppError, methodNotAllowed, odataEntityNotFound, odataNotImplemented, unauthorized } from '../errors';
import type { EntityModel } from '../model/edm';
import { buildCsdlJson } from '../model/csdl-json';
import { buildCsdlXml } from '../model/csdl-xml';
import type { ParsedQuery, ResourceSegment } from '../odata/ast';
import type { EntityQuery } from '../odata/bound';
import { BindSession } from '../odata/bind-expr';
import { bindResource, type ParentEntity, type Resource } from '../odata/bind-path';
import { bindEntityQuery } from '../odata/bind-query';
import type { Limits } from '../odata/limits';
import type { ReadAhead } from '../read-ahead';
import { withKeyTieBreak } from '../odata/order-keys';
import { parseResourcePath } from '../odata/parse-path';
import { parseQueryString } from '../odata/parse-query';
import { planEntities, type EntityPlan } from '../odata/plan';
import { resultColumn } from '../odata/result-columns';
import { decodeKeysetToken } from '../odata/skiptoken';
import { canWriteJsonInDatabase, compileEntityCount, compileEntityPage, compileExists } from '../sql/compile-select';
import type { CompiledQuery } from '../sql/fragment';
import { streamCollection } from '../serialize/collection';
import { collectionContext, propertyContext, serviceDocumentContext } from '../serialize/context-url';
import { createEntityWriter, entityJson, type SerializeContext } from '../serialize/entity';
import type { ResponseFormat } from '../serialize/format';
import { nextLinkQuery } from '../serialize/next-link';
import { formatRawValue, formatValue } from '../serialize/values';
import { findReadKey, keyFromHeaders } from './auth';
import { abortWhenClientLeaves } from './client-gone';
import { readApply } from './odata-apply';
import { negotiateJsonFormat, negotiateMetadataFormat, negotiateVersion } from './odata-format';
import { countJson, odataHeaders, omitNullsFor, pageSizeFor, sendBody, sendCount, type ODataRequest } from './odata-response';

export interface ODataServiceOptions {
  readonly model: EntityModel;
  /** Where the service is mounted, e.g. '/odata' or '/v2.3'. */
  readonly mountPath: string;
  /** Feed pages computed ahead of clients' next requests, shared by every mount. */
  readonly readAhead: ReadAhead;
}

type CollectionResource = Extract<Resource, { kind: 'collection' }>;

/** Pages up to this many rows are read whole, so that the next one can be computed while they are written. */
const READ_AHEAD_MAX_ROWS = 10_001;

export function limitsOf(ctx: AppContext): Limits {
  return ctx.config.odata;
}

/** Public base URL: PUBLIC_URL when set, else the request's own scheme and host (X-Forwarded-* when TRUST_PROXY is on). */
export function publicBase(req: Request, ctx: AppContext): string {
  if (ctx.config.publicUrl !== undefined) return ctx.config.publicUrl;
  // req.host honours X-Forwarded-Host only when TRUST_PROXY is on.
  return `${req.protocol}://${req.host ?? `${ctx.config.host}:${ctx.config.port}`}`;
}

/** The `apikey` query parameter (Cognigy style), read before parsing so that no request text is examined unauthenticated. */
function apikeyParameter(rawQuery: string): string | undefined {
  for (const pair of rawQuery.split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).toLowerCase() === 'apikey') {
      try {
        return decodeURIComponent(pair.slice(eq + 1));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function authenticate(req: Request, rawQuery: string, ctx: AppContext): ReadKey {
  const fromQuery = apikeyParameter(rawQuery);
  const key = findReadKey(fromQuery ?? keyFromHeaders(req), ctx.config.readKeys);
  if (key === undefined) {
    throw unauthorized('A valid read key is required: apikey query parameter, X-Api-Key header, Basic password or Bearer token', {
      headers: { 'WWW-Authenticate': 'Basic realm="taskfeed OData", charset="UTF-8"' },
    });
  }
  return key;
}

function serviceDocument(o: ODataRequest): void {
  const format = negotiateJsonFormat(o.req, o.query.format);
  odataHeaders(o.res, format);
  const value = o.model.entitySets.map((s) => ({ name: s.name, kind: 'EntitySet', url: s.name }));
  const body = format.metadata === 'none' ? { value } : { '@odata.context': serviceDocumentContext(o.serviceUrl), value };
  sendBody(o.res, JSON.stringify(body));
}

function metadata(o: ODataRequest): void {
  const kind = negotiateMetadataFormat(o.req, o.query.format);
  o.res.setHeader('OData-Version', negotiateVersion(o.req));
  const options = { maxExpandDepth: o.limits.maxExpandDepth };
  if (kind === 'xml') {
    o.res.setHeader('Content-Type', 'application/xml');
    sendBody(o.res, buildCsdlXml(o.model, options));
  } else {
    o.res.setHeader('Content-Type', 'application/json');
    sendBody(o.res, JSON.stringify(buildCsdlJson(o.model, options)));
  }
}

async function count(o: ODataRequest, resource: CollectionResource, session: BindSession): Promise<void> {
  const query = bindEntityQuery(session, resource.ref, o.query, resource.where);
  sendCount(o, await countOf(o, query));
}

async function countOf(o: ODataRequest, query: Pick<EntityQuery, 'root' | 'where'>): Promise<string | undefined> {
  return (await o.readDb.query<{ count: string }>(compileEntityCount(query, o.compile))).rows[0]?.count;
}

/** A collection page as every request with these options plans it: the next page's statement is predicted the same way. */
interface CollectionPage {
  readonly query: EntityQuery;
  readonly plan: EntityPlan;
  readonly jsonInDatabase: boolean;
  readonly statement: CompiledQuery;
}

interface PageShape {
  readonly pageSize: number;
  readonly format: ResponseFormat;
  readonly omitNulls: boolean;
}

function planCollectionPage(o: ODataRequest, resource: CollectionResource, session: BindSession, options: ParsedQuery, shape: PageShape): CollectionPage {
  const query = bindEntityQuery(session, resource.ref, options, resource.where);
  const order = withKeyTieBreak(query.orderby, query.keys);
  const after = options.skiptoken === undefined ? undefined : decodeKeysetToken(options.skiptoken, order, resource.ref);
  const plan = planEntities(query, { pageSize: shape.pageSize, after });
  // Large feeds are mostly plain rows: PostgreSQL writes their JSON, and the server only frames it.
  const jsonInDatabase = canWriteJsonInDatabase(plan, shape.format);
  return { query, plan, jsonInDatabase, statement: compileEntityPage(plan, o.compile, { jsonInDatabase, omitNulls: shape.omitNulls }) };
}

/** The statement the request for `nextQuery` (this page's @odata.nextLink) will run, bound afresh as that request binds it. */
function nextPageStatement(o: ODataRequest, segments: readonly ResourceSegment[], nextQuery: string, shape: PageShape): CompiledQuery | undefined {
  const options = parseQueryString(nextQuery);
  const session = new BindSession(o.model, o.limits, options.aliases);
  const resource = bindResource(session, segments);
  return resource.kind === 'collection' ? planCollectionPage(o, resource, session, options, shape).statement : undefined;
}

/**
 * A client following @odata.nextLink gets page N+1 computed while page N is written: its keyset start is this page's
 * last row. Only pages reached through a skiptoken read ahead (a dashboard reading one page does not), and only pages
 * small enough to hold in memory.
 */
async function readPageAhead(o: ODataRequest, segments: readonly ResourceSegment[], page: CollectionPage, shape: PageShape, nextQuery: (last: Row) => string): Promise<readonly Row[]> {
  const rows = (await o.readAhead.take(page.statement, (held) => stillCurrent(o, page, held))) ?? (await o.readDb.query(page.statement)).rows;
  const last = rows[page.plan.pageSize - 1];
  const mayContinue = page.plan.remaining === undefined || page.plan.remaining > page.plan.pageSize;
  if (rows.length > page.plan.pageSize && mayContinue && last !== undefined) {
    const next = nextPageStatement(o, segments, nextQuery(last), shape);
    if (next !== undefined) o.readAhead.start(next, async () => (await o.readDb.query(next)).rows);
  }
  return rows;
}

/**
 * Whether a page computed ahead is still what its statement returns: the same statement reading only the key and
 * order columns (an index range, no JSON) must yield the same rows in the same order. A row written into the page's
 * range since then, or removed from it, sends the request to the database, so read-ahead never hides a row that a
 * request without it would have returned.
 */
async function stillCurrent(o: ODataRequest, page: CollectionPage, held: readonly Row[]): Promise<boolean> {
  const positions = await o.readDb.query(compileEntityPage({ ...page.plan, select: [], expand: [] }, o.compile));
  if (positions.rows.length !== held.length) return false;
  const columns = [...page.plan.keys.map((_, i) => resultColumn.key(i)), ...page.plan.orderby.map((_, i) => resultColumn.order(i))];
  return positions.rows.every((row, i) => {
    const before = held[i] as Row;
    return columns.every((column) => sameValue(row[column], before[column]));
  });
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));
}

async function* rowsOf(list: readonly Row[]): AsyncGenerator<Row> {
  yield* list;
}

/** GET /odata/Set (or a navigation collection): bind → plan → compile → stream, one page per request. */
async function collection(o: ODataRequest, resource: CollectionResource, session: BindSession, segments: readonly ResourceSegment[]): Promise<void> {
  const format = negotiateJsonFormat(o.req, o.query.format);
  const shape: PageShape = { pageSize: pageSizeFor(o), format, omitNulls: omitNullsFor(o) };
  const page = planCollectionPage(o, resource, session, o.query, shape);
  const { plan, query } = page;
  const count = plan.count ? await countOf(o, plan) : undefined;
  const s: SerializeContext = { format, serviceUrl: o.serviceUrl, namespace: o.model.namespace, omitNulls: shape.omitNulls };
  const nextQuery = (last: Row) =>
    nextLinkQuery(o.rawQuery, plan.pageSize, plan.remaining, { kind: 'keyset', values: plan.orderby.map((_, i) => last[resultColumn.order(i)] ?? null) });
  const rows =
    o.query.skiptoken !== undefined && plan.limit <= READ_AHEAD_MAX_ROWS
      ? rowsOf(await readPageAhead(o, segments, page, shape, nextQuery))
      : o.readDb.stream(page.statement, plan.limit);
  const writeEntity = page.jsonInDatabase
    ? (row: Row) => row[resultColumn.entityJson] as string
    : createEntityWriter({ set: resource.ref.set, select: plan.select, keys: plan.keys, expand: plan.expand }, s);
  const resourceUrl = `${o.serviceUrl}${o.rawPath}`;
  await streamCollection(
    o.res,
    rows,
    {
      context: format.metadata === 'none' ? undefined : collectionContext(o.serviceUrl, resource.ref.set.name, query),
      count: countJson(count, format),
      pageSize: plan.pageSize,
      mayContinue: plan.remaining === undefined || plan.remaining > plan.pageSize,
      rowJson: writeEntity,
      nextLink: (last: Row) => `${resourceUrl}?${nextQuery(last)}`,
    },
    () => odataHeaders(o.res, format),
  );
}

async function single(o: ODataRequest, resource: Exclude<Resource, { kind: 'collection' }>, session: BindSession): Promise<void> {
  const format = resource.kind === 'property' && resource.raw ? undefined : negotiateJsonFormat(o.req, o.query.format);
  const query = bindEntityQuery(session, resource.ref, o.query, resource.where);
  const plan = planEntities({ ...query, top: 1, skip: undefined, count: false }, { pageSize: 1 });
  const result = await o.readDb.query(compileEntityPage(plan, o.compile));
  const row = result.rows[0];
  if (row === undefined) throw odataEntityNotFound(`No ${resource.ref.set.typeName} matches ${decodeURIComponent(o.rawPath)}`);
  if (resource.kind === 'property') {
    const index = plan.select.findIndex((c) => c.name === resource.property.name);
    const value = row[resultColumn.select(index)];
    if (resource.raw) {
      if (value === null || value === undefined) {
        o.res.status(204).end();
        return;
      }
      o.res.setHeader('OData-Version', negotiateVersion(o.req));
      o.res.setHeader('Content-Type', 'text/plain');
      sendBody(o.res, formatRawValue(value, resource.property.type));
      return;
    }
    const f = format as ResponseFormat;
    odataHeaders(o.res, f);
    if (value === null || value === undefined) {
      o.res.status(204).end();
      return;
    }
    const entityPath = o.rawPath.replace(/^\//, '').replace(/\/[^/]*$/, '');
    const context = f.metadata === 'none' ? '' : `"@odata.context":${JSON.stringify(propertyContext(o.serviceUrl, decodeURIComponent(entityPath), resource.property.name))},`;
    sendBody(o.res, `{${context}"value":${formatValue(value, resource.property.type, f)}}`);
    return;
  }
  const f = format as ResponseFormat;
  odataHeaders(o.res, f);
  const s: SerializeContext = { format: f, serviceUrl: o.serviceUrl, namespace: o.model.namespace, omitNulls: omitNullsFor(o) };
  const context = f.metadata === 'none' ? undefined : collectionContext(o.serviceUrl, resource.ref.set.name, query, true);
  sendBody(o.res, entityJson({ set: resource.ref.set, select: plan.select, keys: plan.keys, expand: plan.expand }, row, s, { context }));
}

async function handle(o: ODataRequest): Promise<void> {
  const path = parseResourcePath(o.rawPath.replace(/^\//, ''));
  switch (path.kind) {
    case 'serviceDocument':
      return serviceDocument(o);
    case 'metadata':
      return metadata(o);
    case 'batch':
      throw odataNotImplemented('$batch is not supported; send each request on its own (URLs up to the configured MAX_URL_LENGTH are accepted)');
    case 'entityById':
      throw odataNotImplemented('$entity is not supported; address entities by key, e.g. /Analytics(\'id\')');
    case 'resource': {
      const session = new BindSession(o.model, o.limits, o.query.aliases);
      const resource = bindResource(session, path.segments);
      if (resource.kind === 'collection' && resource.parent !== undefined) await requireParent(o, resource.parent);
      if (o.query.apply !== undefined) {
        if (resource.kind !== 'collection') throw odataNotImplemented('$apply applies to collections, not to a single entity or property');
        return readApply(o, resource, session);
      }
      if (resource.kind === 'collection') return resource.count ? count(o, resource, session) : collection(o, resource, session, path.segments);
      return single(o, resource, session);
    }
  }
}

/** Sessions('nope')/analytics is 404, not an empty collection. */
async function requireParent(o: ODataRequest, parent: ParentEntity): Promise<void> {
  const found = await o.readDb.query<{ found: boolean }>(compileExists(parent.ref, parent.where, o.compile));
  if (found.rows[0]?.found !== true) throw odataEntityNotFound(`No ${parent.ref.set.typeName} matches ${decodeURIComponent(o.rawPath)}`);
}

/** Form-encoding tools write spaces as '+', which OData reads as a plus sign: say so when that is the likely cause. */
function parseWithHints(rawQuery: string): ParsedQuery {
  try {
    return parseQueryString(rawQuery);
  } catch (err) {
    if (err instanceof AppError && err.code === 'ODATA_PARSE_SYNTAX' && /[^&=]\+[A-Za-z(']/.test(rawQuery)) {
      throw new AppError(err.code, err.status, `${err.message} (a '+' in the URL is a plus sign in OData; encode spaces as %20)`, {
        target: err.target,
        details: err.details,
      });
    }
    throw err;
  }
}

/**
 * createODataRouter(ctx, { model, mountPath: '/odata' }): GET only; every request needs a read key, and every
 * statement is restricted to the key's projects.
 */
export function createODataRouter(ctx: AppContext, options: ODataServiceOptions): Router {
  const router = Router();
  router.use(async (req, res) => {
    if (/^\/\$batch(?:[?/]|$)/.test(req.url)) {
      throw odataNotImplemented('$batch is not supported; send each request on its own (URLs up to the configured MAX_URL_LENGTH are accepted)');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw methodNotAllowed(`${req.method} is not allowed: this OData service is read-only`, { headers: { Allow: 'GET, HEAD' } });
    }
    // req.url is relative to the mount point and still percent-encoded: the parser decodes it itself.
    const q = req.url.indexOf('?');
    const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
    const rawPath = (q < 0 ? req.url : req.url.slice(0, q)) || '/';
    const key = authenticate(req, rawQuery, ctx);
    const query = parseWithHints(rawQuery);
    await handle({
      req,
      res,
      // Every statement of the request queues under its read key and is cancelled when the client goes away.
      readDb: forRequest(ctx.readDb, { key: key.key, signal: abortWhenClientLeaves(res) }),
      model: options.model,
      query,
      rawQuery,
      rawPath,
      serviceUrl: `${publicBase(req, ctx)}${options.mountPath}`,
      key,
      compile: { projects: key.projects },
      limits: limitsOf(ctx),
      readAhead: options.readAhead,
    });
  });
  return router;
}
