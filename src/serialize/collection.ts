// row stream × response shape → a streamed OData JSON collection: rows are written as the database yields them.
import type { Response } from 'express';
import type { Row } from '../db';

export interface CollectionStream {
  readonly context?: string;
  readonly count?: string;
  /** Rows wanted on this page; one extra row, when present, only signals a next page. */
  readonly pageSize: number;
  /** Whether another page may follow (false when $top ends on this page). */
  readonly mayContinue: boolean;
  readonly rowJson: (row: Row) => string;
  readonly nextLink: (lastRow: Row, rowsOnPage: number) => string;
}

// Rows are gathered into chunks of about this size: one socket write per row would dominate a large page.
const CHUNK_BYTES = 64 * 1024;

function write(res: Response, chunk: string): Promise<void> | undefined {
  if (res.write(chunk)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes {"@odata.context":…,"@odata.count":…,"value":[…],"@odata.nextLink":…}. Nothing is sent until the
 * first row (or the end) arrives, so an error before that still becomes a proper error response.
 */
export async function streamCollection(res: Response, rows: AsyncGenerator<Row>, c: CollectionStream, head: () => void): Promise<void> {
  let written = 0;
  let last: Row | undefined;
  let more = false;
  let started = false;
  let buffer = '';
  const prefix = () =>
    `{${[
      ...(c.context !== undefined ? [`"@odata.context":${JSON.stringify(c.context)}`] : []),
      ...(c.count !== undefined ? [`"@odata.count":${c.count}`] : []),
    ]
      .map((p) => `${p},`)
      .join('')}"value":[`;
  for await (const row of rows) {
    if (res.destroyed) return;
    // The statement asks for one row beyond the page; reading it to the end lets the connection be reused.
    if (written === c.pageSize) {
      more = true;
      continue;
    }
    if (!started) {
      head();
      started = true;
      buffer = prefix();
    }
    buffer += `${written > 0 ? ',' : ''}${c.rowJson(row)}`;
    written += 1;
    last = row;
    if (buffer.length >= CHUNK_BYTES) {
      const pending = write(res, buffer);
      buffer = '';
      if (pending !== undefined) await pending;
    }
  }
  if (!started) {
    head();
    buffer = prefix();
  }
  const next = more && c.mayContinue && last !== undefined ? `,"@odata.nextLink":${JSON.stringify(c.nextLink(last, written))}` : '';
  res.end(`${buffer}]${next}}`);
}
