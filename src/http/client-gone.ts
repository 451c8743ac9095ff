// response → AbortSignal that fires when the client goes away before the response is complete.
import type { Response } from 'express';

/** The signal cancels the request's statements: a client that hung up no longer holds a connection. */
export function abortWhenClientLeaves(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
