// Request bodies for state-changing routes: JSON (programs) or HTML form fields (pages without JS).
import type { Context } from 'hono';
import { ProblemError } from '../../http/problem.ts';
import { badParam } from './params.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export async function readBody(c: Context): Promise<Record<string, unknown>> {
  const len = Number(c.req.header('content-length') ?? '0');
  if (len > MAX_BODY_BYTES) throw badParam('body', `body larger than ${MAX_BODY_BYTES} bytes`, 'body', 413);
  const ct = c.req.header('content-type') ?? '';
  if (ct.startsWith('application/json')) {
    const text = await c.req.text();
    if (text.length > MAX_BODY_BYTES)
      throw badParam('body', `body larger than ${MAX_BODY_BYTES} bytes`, 'body', 413);
    if (text.trim() === '') return {};
    try {
      const v = JSON.parse(text) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw badParam('body', 'body must be a JSON object', 'body');
      return v as Record<string, unknown>;
    } catch (err) {
      if (err instanceof ProblemError) throw err;
      throw badParam('body', 'body is not valid JSON', 'body');
    }
  }
  if (ct.startsWith('application/x-www-form-urlencoded') || ct.startsWith('multipart/form-data')) {
    const form = await c.req.parseBody();
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(form)) if (typeof v === 'string') out[k] = v;
    return out;
  }
  if ((await c.req.text()).trim() === '') return {};
  throw badParam('Content-Type', 'send application/json or a form', 'header', 415);
}

export function optionalString(
  body: Record<string, unknown>,
  field: string,
  max: number,
): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badParam(field, `${field} must be a string`, 'body');
  if (v.length > max) throw badParam(field, `${field} must be at most ${max} characters`, 'body');
  return v;
}

export function requiredString(body: Record<string, unknown>, field: string, max: number): string {
  const v = optionalString(body, field, max);
  if (v === undefined || v.trim() === '') throw badParam(field, `${field} is required`, 'body');
  return v;
}
