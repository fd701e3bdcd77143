// Patients and their history (JSON): list, one patient, heart rate, EEG, predictions; admin enrolment.
import { Hono } from 'hono';
import { patientIdSchema } from '../../eventing/contract.ts';
import {
  addPatient,
  ConflictError,
  enrollDevice,
  getPatient,
  listDevices,
  NotFoundError,
} from '../../storage/patients-store.ts';
import { requireRole } from '../auth/middleware.ts';
import type { AppEnv, DashboardDeps } from '../context.ts';
import { eegHistory, heartRateHistory, predictionHistory, type RangeQuery } from '../data/history.ts';
import { ward } from '../data/ward.ts';
import { optionalString, readBody, requiredString } from '../http/body.ts';
import { badParam, decodeCursor, parseIntParam, parseRange } from '../http/params.ts';

const HOUR = 3_600_000;
const CHANNEL_RE = /^[A-Za-z0-9]+(-[A-Za-z0-9]+)?$/;

export function patientsRoutes(deps: DashboardDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/api/patients', async (c) => {
    const items = await ward(deps.db, deps.now());
    return c.json({ items, total: items.length, nextCursor: null });
  });

  /** Validates the id and loads the patient; a 404 problem when unknown. */
  async function patientOr404(id: string) {
    if (!patientIdSchema.safeParse(id).success)
      throw badParam('id', 'patient id: letters, digits, ".", "_" or "-"', 'path');
    return getPatient(deps.db, id);
  }

  function rangeQuery(
    c: { req: { query(k: string): string | undefined } },
    id: string,
    dfltLimit: number,
    maxLimit: number,
    defaultSpan: number,
  ): RangeQuery {
    const q = (k: string) => c.req.query(k);
    const { from, to } = parseRange(q, deps.now(), defaultSpan, 31 * 24 * HOUR);
    return {
      patientId: id,
      from,
      to,
      limit: parseIntParam('limit', q('limit'), dfltLimit, 1, maxLimit),
      cursor: decodeCursor(q('cursor')),
    };
  }

  app.get('/api/patients/:id', async (c) => {
    const id = c.req.param('id');
    const p = await patientOr404(id);
    if (!p) throw badParam('id', `no patient ${id}`, 'path', 404);
    const w = (await ward(deps.db, deps.now())).find((x) => x.id === id);
    return c.json({ ...w, createdAt: new Date(p.createdAt).toISOString() });
  });

  app.get('/api/patients/:id/heart-rate', async (c) => {
    const id = c.req.param('id');
    if (!(await patientOr404(id))) throw badParam('id', `no patient ${id}`, 'path', 404);
    return c.json(await heartRateHistory(deps.db, rangeQuery(c, id, 1000, 10_000, HOUR)));
  });

  app.get('/api/patients/:id/predictions', async (c) => {
    const id = c.req.param('id');
    if (!(await patientOr404(id))) throw badParam('id', `no patient ${id}`, 'path', 404);
    return c.json(await predictionHistory(deps.db, rangeQuery(c, id, 1000, 10_000, HOUR)));
  });

  app.get('/api/patients/:id/eeg', async (c) => {
    const id = c.req.param('id');
    if (!(await patientOr404(id))) throw badParam('id', `no patient ${id}`, 'path', 404);
    const rawChannels = c.req.query('channels');
    let channels: string[] | undefined;
    if (rawChannels !== undefined && rawChannels !== '') {
      channels = rawChannels.split(',').map((s) => s.trim());
      const bad = channels.find((ch) => !CHANNEL_RE.test(ch));
      if (bad !== undefined)
        throw badParam('channels', `channels: "${bad}" is not a 10-20 name or bipolar pair like FP1-F7`);
    }
    const maxHz = parseIntParam('maxHz', c.req.query('maxHz'), 4096, 1, 4096);
    const q = rangeQuery(c, id, 10, 120, 60_000);
    return c.json(await eegHistory(deps.db, { ...q, channels, maxHz }));
  });

  app.get('/api/patients/:id/devices', async (c) => {
    const id = c.req.param('id');
    if (!(await patientOr404(id))) throw badParam('id', `no patient ${id}`, 'path', 404);
    const items = (await listDevices(deps.db, id)).map((d) => ({
      ...d,
      createdAt: new Date(d.createdAt).toISOString(),
      lastSeenAt: d.lastSeenAt === null ? null : new Date(d.lastSeenAt).toISOString(),
      revokedAt: d.revokedAt === null ? null : new Date(d.revokedAt).toISOString(),
    }));
    return c.json({ items, total: items.length, nextCursor: null });
  });

  app.post('/api/patients', requireRole('admin'), async (c) => {
    const body = await readBody(c);
    const id = requiredString(body, 'id', 64);
    if (!patientIdSchema.safeParse(id).success)
      throw badParam('id', 'id: 1-64 letters, digits, ".", "_" or "-"', 'body');
    const name = requiredString(body, 'name', 200).trim();
    try {
      const p = await addPatient(deps.db, { id, name }, deps.now());
      return c.json({ id: p.id, name: p.name, createdAt: new Date(p.createdAt).toISOString() }, 201);
    } catch (err) {
      if (err instanceof ConflictError) throw badParam('id', err.message, 'body', 409);
      throw err;
    }
  });

  app.post('/api/patients/:id/devices', requireRole('admin'), async (c) => {
    const id = c.req.param('id');
    if (!(await patientOr404(id))) throw badParam('id', `no patient ${id}`, 'path', 404);
    const body = await readBody(c);
    const kind = optionalString(body, 'kind', 64)?.trim() || 'generic';
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(kind))
      throw badParam('kind', 'kind: letters, digits, ".", "_" or "-"', 'body');
    try {
      const d = await enrollDevice(deps.db, { patientId: id, kind }, deps.now());
      c.header('Cache-Control', 'no-store'); // the token is shown once; keep it out of caches
      return c.json(d, 201);
    } catch (err) {
      if (err instanceof NotFoundError) throw badParam('id', err.message, 'path', 404);
      throw err;
    }
  });
  return app;
}
