// Undecodable input is the client's error: a path or query with malformed percent-encoding (`%E0%A4%A`,
// `%ZZ`) or bytes that are not UTF-8 is a 400 naming the part, before any route sees a half-decoded value
// (hono leaves such a value raw, so a route would otherwise search for it or echo it).
import type { MiddlewareHandler } from 'hono';
import { ProblemError } from './problem.ts';

function decodes(s: string): boolean {
  try {
    decodeURIComponent(s.replaceAll('+', ' '));
    return true;
  } catch {
    return false;
  }
}

export function requireDecodableUrl(): MiddlewareHandler {
  return (c, next) => {
    const url = c.req.url;
    const q = url.indexOf('?');
    const path = new URL(url).pathname;
    if (!decodes(path))
      throw new ProblemError(400, 'the path has malformed percent-encoding or is not UTF-8', [
        { pointer: 'path', detail: 'malformed percent-encoding' },
      ]);
    if (q >= 0)
      for (const pair of url
        .slice(q + 1)
        .split('#')[0]!
        .split('&')) {
        const [name = '', value = ''] = pair.split('=', 2);
        if (!decodes(name) || !decodes(value))
          throw new ProblemError(400, 'the query has malformed percent-encoding or is not UTF-8', [
            {
              pointer: `query:${decodes(name) ? decodeURIComponent(name) : name}`,
              detail: 'malformed percent-encoding',
            },
          ]);
      }
    return next();
  };
}
