import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../storage/db.ts';
import { limitsAudit } from '../../storage/limits-store.ts';
import { addPatient } from '../../storage/patients-store.ts';
import { testBackends } from '../../storage/testing.ts';
import { createLimitsRoutes } from './limits-routes.ts';

describe('limits API', () => {
  let db: Db;
  let app: Hono;
  let anonymous: Hono;
  beforeAll(async () => {
    db = await testBackends[0]!.open();
    await addPatient(db, { id: 'p1', name: 'Ada' });
    // As mounted by the dashboard: authentication has set the user.
    app = new Hono();
    app.use(async (c, next) => {
      c.set('user' as never, { id: 1, username: 'dr.who', role: 'clinician' } as never);
      await next();
    });
    app.route(
      '/',
      createLimitsRoutes(db, () => Date.UTC(2024, 0, 1)),
    );
    anonymous = new Hono();
    anonymous.route('/', createLimitsRoutes(db));
  });
  afterAll(async () => {
    await db.close();
  });

  const put = (a: Hono, body: unknown, type = 'application/json') =>
    a.request('/api/patients/p1/limits', {
      method: 'PUT',
      headers: { 'content-type': type },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('returns the defaults for a patient without limits', async () => {
    const r = await app.request('/api/patients/p1/limits');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      patientId: 'p1',
      low: 40,
      high: 130,
      unit: 'bpm',
      custom: false,
      updatedBy: null,
      updatedAt: null,
    });
  });

  it('sets limits as the signed-in user and audits the change', async () => {
    const r = await put(app, { low: 45, high: 120 });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({
      low: 45,
      high: 120,
      custom: true,
      updatedBy: 'dr.who',
      updatedAt: '2024-01-01T00:00:00.000Z',
    });
    expect((await (await app.request('/api/patients/p1/limits')).json()) as object).toMatchObject({
      low: 45,
      high: 120,
    });
    expect((await limitsAudit(db, 'p1')).map((e) => e.by)).toEqual(['dr.who']);
  });

  it.each([
    [{ low: 130, high: 120 }, 'low'],
    [{ low: 10, high: 120 }, 'low'],
    [{ low: 40, high: 400 }, 'high'],
    [{ low: '40', high: 120 }, 'low'],
    [{ low: 40 }, 'high'],
    [{ low: 40, high: 120, note: 'x' }, 'note'],
  ])('answers 400 problem+json naming the field for %j', async (bad, field) => {
    const r = await put(app, bad);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await r.json()).toMatchObject({ status: 400, field });
  });

  it('refuses bad JSON, other media types, unknown patients and anonymous writes', async () => {
    expect((await put(app, '{"low":')).status).toBe(400);
    expect((await put(app, 'low=40', 'application/x-www-form-urlencoded')).status).toBe(415);
    const missing = await app.request('/api/patients/nobody/limits');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ field: 'id' });
    expect((await app.request('/api/patients/bad%20id/limits')).status).toBe(400);
    const anon = await put(anonymous, { low: 45, high: 120 });
    expect(anon.status).toBe(401);
    expect(anon.headers.get('content-type')).toMatch(/problem\+json/);
  });
});
