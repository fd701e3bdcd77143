// The body limit of every Hono door, checked before anything reads the body: a declared
// Content-Length from the header alone (hono's own bodyLimit would touch `req.body`, which turns
// @hono/node-server's direct read of the Node stream into a web-stream read on the ingest hot path),
// a chunked body counted while it streams, stopped at the limit. A refused body is never read to its
// end, so the connection is closed rather than reused.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ProblemError } from './problem.ts';

export function tooLarge(maxBytes: number): ProblemError {
  return new ProblemError(
    413,
    `the body exceeds ${maxBytes} bytes`,
    [{ pointer: 'header:content-length', detail: `at most ${maxBytes} bytes` }],
    { headers: { connection: 'close' } },
  );
}

export function limitBody(maxBytes: number): MiddlewareHandler {
  const streaming = bodyLimit({ maxSize: maxBytes, onError: () => tooLarge(maxBytes).getResponse() });
  return (c, next) => {
    const declared = c.req.header('content-length');
    if (c.req.header('transfer-encoding') !== undefined) return streaming(c, next);
    if (declared === undefined) return next();
    if (!/^\d{1,15}$/.test(declared))
      return Promise.resolve(
        new ProblemError(400, 'Content-Length is not a number of bytes', [
          { pointer: 'header:content-length', detail: 'digits only' },
        ]).getResponse(),
      );
    return Number(declared) > maxBytes ? Promise.resolve(tooLarge(maxBytes).getResponse()) : next();
  };
}
