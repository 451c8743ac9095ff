// The HTTP side of an OData read, shared by the entity and $apply paths: the request as the handlers see it,
// honoured preferences, response headers, counts as text. Imports nothing from the handlers.
import type { Request, Response } from 'express';
import type { ReadKey } from '../config';
import type { Database } from '../db';
import type { EntityModel } from '../model/edm';
import type { ParsedQuery } from '../odata/ast';
import type { Limits } from '../odata/limits';
import type { ReadAhead } from '../read-ahead';
import type { ResponseFormat } from '../serialize/format';
import type { CompileContext } from '../sql/compile-expr';
import { jsonContentType, negotiateVersion, preferredPageSize, prefersOmittedNulls } from './odata-format';

export interface ODataRequest {
  readonly req: Request;
  readonly res: Response;
  /** The read side: a replica when DATABASE_READ_URL is set. */
  readonly readDb: Database;
  /** Feed pages computed ahead, for requests that follow @odata.nextLink. */
  readonly readAhead: ReadAhead;
  /** The model this mount serves (/v2.3 serves Cognigy's key names). */
  readonly model: EntityModel;
  readonly query: ParsedQuery;
  readonly rawQuery: string;
  readonly rawPath: string;
  readonly serviceUrl: string;
  readonly key: ReadKey;
  readonly compile: CompileContext;
  readonly limits: Limits;
}

/** Sends a body with the exact Content-Type already set (express's res.send would rewrite it and add a charset). */
export function sendBody(res: Response, body: string): void {
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function odataHeaders(res: Response, format: ResponseFormat): void {
  res.setHeader('OData-Version', format.version);
  res.setHeader('Content-Type', jsonContentType(format));
}

/** /$count: the number as text/plain. */
export function sendCount(o: ODataRequest, count: string | undefined): void {
  o.res.setHeader('OData-Version', negotiateVersion(o.req));
  o.res.setHeader('Content-Type', 'text/plain');
  sendBody(o.res, count ?? '0');
}

/** @odata.count as JSON text: a string when IEEE754Compatible asks for Int64 as strings. */
export function countJson(count: string | undefined, format: ResponseFormat): string | undefined {
  if (count === undefined) return undefined;
  return format.ieee754Compatible ? JSON.stringify(count) : count;
}

/** Records an honoured preference; several are listed in one Preference-Applied header. */
function applyPreference(res: Response, preference: string): void {
  const current = res.getHeader('Preference-Applied');
  res.setHeader('Preference-Applied', current === undefined ? preference : `${String(current)}, ${preference}`);
}

/** Prefer: odata.maxpagesize, capped by ODATA_MAX_PAGE_SIZE; the default page size otherwise. */
export function pageSizeFor(o: ODataRequest): number {
  const preferred = preferredPageSize(o.req);
  const size = Math.min(preferred ?? o.limits.pageSize, o.limits.maxPageSize);
  if (preferred !== undefined) applyPreference(o.res, `odata.maxpagesize=${size}`);
  return size;
}

/** Entity responses honour Prefer: omit-values=nulls (Power BI's OmitValues = ODataOmitValues.Nulls). */
export function omitNullsFor(o: ODataRequest): boolean {
  const omit = prefersOmittedNulls(o.req);
  if (omit) applyPreference(o.res, 'omit-values=nulls');
  return omit;
}
