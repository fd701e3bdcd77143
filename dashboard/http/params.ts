// Request parameters (query, path, body fields) parsed into values, or a 400 problem naming the field:
// every problem keeps the dashboard's `field` member (what programs read) beside `errors`.

import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type FieldError, ProblemError } from '../../http/problem.ts';

export type ParamPlace = 'query' | 'path' | 'body' | 'header';

/** A problem naming one request field: `errors[0].pointer` is `query:from`, `path:id`, `/note` or `header:Origin`. */
export function badParam(
  field: string,
  message: string,
  place: ParamPlace = 'query',
  status: ContentfulStatusCode = 400,
  extensions: Record<string, unknown> = {},
): ProblemError {
  const error: FieldError = {
    pointer: place === 'body' ? `/${field}` : `${place}:${field}`,
    detail: message,
  };
  return new ProblemError(status, message, [error], { extensions: { field, ...extensions } });
}

/** ISO-8601 / RFC 3339 time or epoch milliseconds → epoch ms. */
export function parseTime(field: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (/^\d{1,15}$/.test(raw)) return Number(raw);
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(ms))
    throw badParam(
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
  if (from > to) throw badParam('from', 'from must not be after to');
  if (to - from > maxSpanMs)
    throw badParam('from', `the range may span at most ${Math.round(maxSpanMs / 3_600_000)} h`);
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
  if (!/^\d+$/.test(raw)) throw badParam(field, `${field} must be an integer between ${min} and ${max}`);
  const n = Number(raw);
  if (n < min || n > max) throw badParam(field, `${field} must be an integer between ${min} and ${max}`);
  return n;
}

export function parseEnum<T extends string>(
  field: string,
  raw: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!(allowed as readonly string[]).includes(raw))
    throw badParam(field, `${field} must be one of ${allowed.join(', ')}`);
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
  throw badParam('cursor', 'cursor is not a value returned as nextCursor by this API');
}
