// Request bodies for state-changing routes: JSON (programs) or HTML form fields (pages without JS).
import type { Context } from 'hono';
import { BadParam } from './problem.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export async function readBody(c: Context): Promise<Record<string, unknown>> {
  const len = Number(c.req.header('content-length') ?? '0');
  if (len > MAX_BODY_BYTES) throw new BadParam('body', `body larger than ${MAX_BODY_BYTES} bytes`);
  const ct = c.req.header('content-type') ?? '';
  if (ct.startsWith('application/json')) {
    const text = await c.req.text();
    if (text.length > MAX_BODY_BYTES) throw new BadParam('body', `body larger than ${MAX_BODY_BYTES} bytes`);
    if (text.trim() === '') return {};
    try {
      const v = JSON.parse(text) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw new BadParam('body', 'body must be a JSON object');
      return v as Record<string, unknown>;
    } catch (err) {
      if (err instanceof BadParam) throw err;
      throw new BadParam('body', 'body is not valid JSON');
    }
  }
  if (ct.startsWith('application/x-www-form-urlencoded') || ct.startsWith('multipart/form-data')) {
    const form = await c.req.parseBody();
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(form)) if (typeof v === 'string') out[k] = v;
    return out;
  }
  if ((await c.req.text()).trim() === '') return {};
  throw new BadParam('Content-Type', 'send application/json or a form');
}

export function optionalString(
  body: Record<string, unknown>,
  field: string,
  max: number,
): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new BadParam(field, `${field} must be a string`);
  if (v.length > max) throw new BadParam(field, `${field} must be at most ${max} characters`);
  return v;
}

export function requiredString(body: Record<string, unknown>, field: string, max: number): string {
  const v = optionalString(body, field, max);
  if (v === undefined || v.trim() === '') throw new BadParam(field, `${field} is required`);
  return v;
}
