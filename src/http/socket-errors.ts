// socket-level failures (oversized head, stalled request, malformed HTTP) → a JSON error written on the raw socket, then closed.
import http from 'node:http';
import type net from 'node:net';
import { type AppError, headersTooLarge, malformedRequest, requestTimeout, uriTooLong } from '../errors';
import type { Logger } from '../logger';
import { errorBody, isODataPath } from './error-handler';

/** How long a closed-for-writing socket may keep sending before it is destroyed (so the client can read the answer). */
const LINGER_MS = 2000;

const REQUEST_LINE = /^[A-Z]+ (\S+)/;

/** 'GET /odata/x?… HTTP/1.1\r\n…' → the target and whether the request line itself is over the limit. */
function readRequestLine(raw: Buffer | undefined, maxUrlLength: number): { target?: string; lineTooLong: boolean } {
  if (raw === undefined) return { lineTooLong: false };
  const end = raw.indexOf('\r\n');
  const line = raw.subarray(0, end < 0 ? Math.min(raw.length, maxUrlLength + 64) : end).toString('latin1');
  const target = REQUEST_LINE.exec(line)?.[1];
  return { target, lineTooLong: target !== undefined && (end < 0 || target.length > maxUrlLength) };
}

export function rawErrorResponse(err: AppError, odata: boolean): string {
  const body = JSON.stringify(errorBody(err));
  const headers = [
    `HTTP/1.1 ${err.status} ${http.STATUS_CODES[err.status] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    'Content-Language: en',
    ...(odata ? ['OData-Version: 4.0'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

/** Answers, half-closes, and destroys the socket once the client had time to read the answer. */
function answerAndClose(socket: net.Socket, response: string): void {
  socket.end(response);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * The server's 'clientError' listener: Node's own answer is a bare status line and a reset, which clients
 * report as a network failure. Oversized heads answer 414 (request line) or 431 (headers), timeouts 408.
 */
export function createClientErrorHandler(maxUrlLength: number, logger: Logger) {
  const answered = new WeakSet<net.Socket>();
  return (err: Error & { code?: string; rawPacket?: Buffer }, socket: net.Socket): void => {
    const response = (socket as net.Socket & { _httpMessage?: http.ServerResponse })._httpMessage;
    if (answered.has(socket) || !socket.writable || response?.headersSent === true) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    let error: AppError;
    let target: string | undefined;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      const line = readRequestLine(err.rawPacket, maxUrlLength);
      target = line.target;
      error = line.lineTooLong
        ? uriTooLong(`Request URL is longer than ${maxUrlLength} characters`)
        : headersTooLarge('The request line and headers together are too large');
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      error = requestTimeout();
    } else if (err.code?.startsWith('HPE_') === true) {
      target = readRequestLine(err.rawPacket, maxUrlLength).target;
      error = malformedRequest();
    } else {
      // A transport error (reset, broken pipe): there is nobody to answer.
      socket.destroy();
      return;
    }
    logger.debug({ code: err.code, status: error.status }, 'client error');
    answerAndClose(socket, rawErrorResponse(error, isODataPath(target)));
  };
}

/**
 * A body that stops arriving for bodyTimeoutMs answers 408 and the connection closes; the timer runs only
 * while a body is being received, so slow queries and long downloads are not cut by it.
 */
export function limitBodySilence(req: http.IncomingMessage, res: http.ServerResponse, bodyTimeoutMs: number): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody || req.complete) return;
  const socket = req.socket;
  const onTimeout = () => {
    if (res.headersSent) {
      socket.destroy();
      return;
    }
    const error = requestTimeout('The request body stopped arriving');
    if (isODataPath(req.url)) res.setHeader('OData-Version', '4.0');
    res.setHeader('Connection', 'close');
    res.setHeader('Content-Language', 'en');
    const body = JSON.stringify(errorBody(error));
    res.writeHead(error.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
  socket.setTimeout(bodyTimeoutMs);
  req.once('timeout', onTimeout);
  const done = () => {
    req.removeListener('timeout', onTimeout);
    // Once the response is out, Node has set its keep-alive timer on this socket: leave that one alone.
    if (!res.writableFinished) socket.setTimeout(0);
  };
  req.once('end', done);
  req.once('close', done);
}
