// GET/PUT /api/patients/:id/limits: a patient's heart-rate alarm limits (defaults when unset).
// Mounted by the dashboard behind authentication and CSRF; the acting user comes from c.get('user').
import { Hono } from 'hono';
import { patientIdSchema } from '../../eventing/contract.ts';
import { ProblemError } from '../../http/problem.ts';
import type { Db } from '../../storage/db.ts';
import {
  getLimits,
  LimitsValidationError,
  limitsSchema,
  type StoredLimits,
  setLimits,
} from '../../storage/limits-store.ts';
import { getPatient } from '../../storage/patients-store.ts';
import { badParam } from '../http/params.ts';

/** Typed loosely on purpose: the dashboard's auth middleware sets the full user. */
type LimitsEnv = { Variables: { user?: { username?: string } } };

function body(patientId: string, l: StoredLimits) {
  return {
    patientId,
    low: l.low,
    high: l.high,
    unit: 'bpm',
    custom: l.custom,
    updatedBy: l.updatedBy,
    updatedAt: l.updatedAt === null ? null : new Date(l.updatedAt).toISOString(),
  };
}

export function createLimitsRoutes(db: Db, now: () => number = Date.now): Hono<LimitsEnv> {
  const app = new Hono<LimitsEnv>();

  app.get('/api/patients/:id/limits', async (c) => {
    const id = c.req.param('id');
    if (!patientIdSchema.safeParse(id).success)
      throw badParam('id', 'patient id: letters, digits, ".", "_" or "-" (1-64)', 'path');
    if (!(await getPatient(db, id))) throw badParam('id', `patient ${id} not found`, 'path', 404);
    return c.json(body(id, await getLimits(db, id)));
  });

  app.put('/api/patients/:id/limits', async (c) => {
    const username = c.get('user')?.username;
    if (!username) throw new ProblemError(401, 'sign in to change limits');
    const id = c.req.param('id');
    if (!patientIdSchema.safeParse(id).success)
      throw badParam('id', 'patient id: letters, digits, ".", "_" or "-" (1-64)', 'path');
    if (!(await getPatient(db, id))) throw badParam('id', `patient ${id} not found`, 'path', 404);
    if (!/^application\/json\b/i.test(c.req.header('content-type') ?? ''))
      throw badParam('body', 'send the limits as application/json: {"low": 40, "high": 130}', 'body', 415);
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw badParam('body', 'body is not valid JSON', 'body');
    }
    const parsed = limitsSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field =
        issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(',') : 'body');
      throw badParam(field, `${field}: ${issue.message}`, 'body');
    }
    try {
      return c.json(body(id, await setLimits(db, id, parsed.data, username, now())));
    } catch (err) {
      if (err instanceof LimitsValidationError) throw badParam(err.field, err.message, 'body');
      throw err;
    }
  });

  return app;
}
