// RFC 9457 problem+json responses, and query-parameter parsing that names the bad parameter.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  /** The request field at fault (query parameter, body field or path segment). */
  field?: string;
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Authentication required',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal server error',
};

export function problem(
  c: Context,
  status: ContentfulStatusCode,
  detail: string,
  extra: Partial<Problem> = {},
): Response {
  const body: Problem = { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, ...extra };
  return c.body(JSON.stringify(body), status, { 'content-type': 'application/problem+json' });
}

/** Thrown by parsers; the app's error handler turns it into a 400 naming `field`. */
export class BadParam extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** ISO-8601 / RFC 3339 time or epoch milliseconds → epoch ms. */
export function parseTime(field: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (/^\d{1,15}$/.test(raw)) return Number(raw);
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(ms))
    throw new BadParam(
      field,
      `${field} must be an ISO-8601 time (e.g. 2024-05-01T10:00:00Z) or epoch milliseconds`,
    );
  return ms;
}

/** Parses `from`/`to` with defaults and sanity limits. */
export function parseRange(
  q: (k: string) => string | undefined,
  now: number,
  defaultSpanMs: number,
  maxSpanMs: number,
): { from: number; to: number } {
  const to = parseTime('to', q('to'), now);
  const from = parseTime('from', q('from'), to - defaultSpanMs);
  if (from > to) throw new BadParam('from', 'from must not be after to');
  if (to - from > maxSpanMs)
    throw new BadParam('from', `the range may span at most ${Math.round(maxSpanMs / 3_600_000)} h`);
  return { from, to };
}

export function parseIntParam(
  field: string,
  raw: string | undefined,
  dflt: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw)) throw new BadParam(field, `${field} must be an integer between ${min} and ${max}`);
  const n = Number(raw);
  if (n < min || n > max) throw new BadParam(field, `${field} must be an integer between ${min} and ${max}`);
  return n;
}

export function parseEnum<T extends string>(
  field: string,
  raw: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!(allowed as readonly string[]).includes(raw))
    throw new BadParam(field, `${field} must be one of ${allowed.join(', ')}`);
  return raw as T;
}

/**
 * Opaque keyset cursor: the sort key of the last item returned. base64url JSON of [time, seq].
 */
export function encodeCursor(time: number, seq: number): string {
  return Buffer.from(JSON.stringify([time, seq])).toString('base64url');
}

export function decodeCursor(raw: string | undefined): { time: number; seq: number } | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && Number.isFinite(v[0]) && Number.isFinite(v[1]))
      return { time: Number(v[0]), seq: Number(v[1]) };
  } catch {
    // fall through to the error below
  }
  throw new BadParam('cursor', 'cursor is not a value returned as nextCursor by this API');
}
