// Server-rendered pages. Each reads storage for its initial state and hands the page module the
// current events.seq, so the live stream continues exactly where the rendered state ends.

import { type Context, Hono } from 'hono';
import { html } from 'hono/html';
import { patientIdSchema } from '../../eventing/contract.ts';
import { ProblemError } from '../../http/problem.ts';
import { alertAudit } from '../../storage/alert-audit.ts';
import { getAlert, InvalidCursorError, listAlerts } from '../../storage/alert-queries.ts';
import { ALERT_KINDS, SEVERITIES } from '../../storage/alert-vocabulary.ts';
import { AlertTransitionError } from '../../storage/alerts-store.ts';
import {
  addPatient,
  ConflictError,
  enrollDevice,
  getPatient,
  listDevices,
  listPatients,
  NotFoundError,
} from '../../storage/patients-store.ts';
import { requireRole } from '../auth/middleware.ts';
import type { AppEnv, DashboardDeps } from '../context.ts';
import { acknowledge, clear } from '../data/alert-actions.ts';
import { ward } from '../data/ward.ts';
import { parseEnum, parseIntParam } from '../http/params.ts';
import { accountsView } from './account-routes.ts';
import { accountsSection } from './admin-accounts.ts';
import { adminDeviceRoutes, devicesSection } from './admin-devices.ts';
import { type AdminResult, adminBody } from './admin-page.ts';
import { alertDetailBody, clearConfirmBody, inboxBody, type PatientNames } from './alerts-page.ts';
import { capacityBody, capacityData, readPlan } from './capacity-page.ts';
import { wardClock } from './format.ts';
import { type Html, page } from './layout.ts';
import { patientBody } from './patient-page.ts';
import { wardBody } from './ward-page.ts';

export function pageRoutes(deps: DashboardDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const clock = () => wardClock(deps.wardTimeZone, deps.now());
  const render = (
    c: Context<AppEnv>,
    opts: { title: string; active?: string; script?: string; chart?: boolean; data?: unknown },
    body: Html,
    status: 200 | 400 | 403 | 404 | 409 = 200,
  ) => {
    const s = c.get('session');
    return c.html(
      page({ ...opts, clock: clock(), user: c.get('user'), csrfToken: s?.csrfToken }, body),
      status,
    );
  };
  const patientNames = async (): Promise<PatientNames> =>
    new Map((await listPatients(deps.db)).map((p) => [p.id, p.name]));
  const notFound = (c: Context<AppEnv>, what: string) =>
    render(c, { title: 'Not found' }, html`<h1>Not found</h1><p class="empty card">${what}</p>`, 404);

  app.get('/', async (c) => {
    const head = await deps.poller.head();
    const now = deps.now();
    const patients = await ward(deps.db, now);
    return render(
      c,
      {
        title: 'Ward',
        active: '/',
        script: 'ward.js',
        data: { head, names: Object.fromEntries(patients.map((p) => [p.id, p.name])) },
      },
      wardBody(patients, clock(), now),
    );
  });

  app.get('/patients/:id', async (c) => {
    const id = c.req.param('id');
    if (!patientIdSchema.safeParse(id).success || !(await getPatient(deps.db, id)))
      return notFound(c, `There is no patient “${id}”. Go back to the ward to pick one.`);
    const head = await deps.poller.head();
    const p = (await ward(deps.db, deps.now())).find((x) => x.id === id)!;
    return render(
      c,
      {
        title: p.name,
        active: '/',
        script: 'patient.js',
        chart: true,
        data: { head, patientId: id, names: { [id]: p.name } },
      },
      patientBody(p, clock()),
    );
  });

  app.get('/alerts', async (c) => {
    const q = (k: string) => c.req.query(k) ?? '';
    const filter = {
      status: q('status') || (c.req.query('status') === undefined ? 'open' : ''),
      severity: q('severity'),
      kind: q('kind'),
      patient: q('patient').trim(),
    };
    const head = await deps.poller.head();
    const s = c.get('session');
    const back = c.req.path + (new URL(c.req.url).search || '');
    try {
      const pageData = await listAlerts(deps.db, {
        status: parseEnum('status', filter.status, ['open', 'raised', 'acknowledged', 'cleared'] as const),
        severity: parseEnum('severity', filter.severity, SEVERITIES),
        kind: parseEnum('kind', filter.kind, ALERT_KINDS),
        patientId: filter.patient || undefined,
        limit: parseIntParam('limit', c.req.query('limit'), 50, 1, 500),
        cursor: c.req.query('cursor') || undefined,
      });
      let nextHref: string | null = null;
      if (pageData.nextCursor) {
        const u = new URL(c.req.url);
        u.searchParams.set('cursor', pageData.nextCursor);
        nextHref = u.pathname + u.search;
      }
      const names = await patientNames();
      return render(
        c,
        {
          title: 'Alerts',
          active: '/alerts',
          script: 'alerts.js',
          data: { head, filter, names: Object.fromEntries(names) },
        },
        inboxBody(pageData, filter, s?.csrfToken ?? '', back, nextHref, names, clock()),
      );
    } catch (err) {
      if (!((err instanceof ProblemError && err.status === 400) || err instanceof InvalidCursorError))
        throw err;
      const empty = { items: [], nextCursor: null, total: 0 };
      return render(
        c,
        { title: 'Alerts', active: '/alerts' },
        inboxBody(empty, filter, s?.csrfToken ?? '', back, null, new Map(), clock(), err.message),
        400,
      );
    }
  });

  app.get('/alerts/:id', async (c) => {
    const id = c.req.param('id');
    const a = await getAlert(deps.db, id);
    if (!a) return notFound(c, `There is no alert “${id}”.`);
    const head = await deps.poller.head();
    const names = await patientNames();
    return render(
      c,
      {
        title: `Alert ${a.kind}`,
        active: '/alerts',
        script: 'alerts.js',
        data: { head, alertId: id, names: Object.fromEntries(names) },
      },
      alertDetailBody(a, await alertAudit(deps.db, id), c.get('session')?.csrfToken ?? '', names, clock()),
    );
  });

  const safeBack = (raw: unknown) => (typeof raw === 'string' && /^\/(?![/\\])/.test(raw) ? raw : '/alerts');

  app.get('/alerts/:id/clear', async (c) => {
    const id = c.req.param('id');
    const a = await getAlert(deps.db, id);
    if (!a) return notFound(c, `There is no alert “${id}”.`);
    if (a.status === 'cleared') return c.redirect(`/alerts/${encodeURIComponent(id)}`, 303);
    return render(
      c,
      { title: 'Clear alert', active: '/alerts' },
      clearConfirmBody(
        a,
        c.get('session')?.csrfToken ?? '',
        safeBack(c.req.query('back')),
        await patientNames(),
        clock(),
      ),
    );
  });

  for (const action of ['ack', 'clear'] as const)
    app.post(`/alerts/:id/${action}`, async (c) => {
      const id = c.req.param('id');
      const form = await c.req.parseBody();
      const text =
        typeof (action === 'ack' ? form.note : form.reason) === 'string'
          ? String(action === 'ack' ? form.note : form.reason).slice(0, 2000)
          : '';
      const back = safeBack(form.back);
      const by = c.get('user').username;
      if (action === 'clear' && (form.confirmed !== '1' || text.trim().length < 3)) {
        const a = await getAlert(deps.db, id);
        if (!a) return notFound(c, `There is no alert “${id}”.`);
        return render(
          c,
          { title: 'Clear alert', active: '/alerts' },
          html`<p class="error card" role="alert"><span aria-hidden="true">⚠</span> Give a reason (at least 3 characters) to clear an alert.</p>${clearConfirmBody(a, c.get('session')?.csrfToken ?? '', back, await patientNames(), clock())}`,
          400,
        );
      }
      try {
        if (action === 'ack') await acknowledge(deps.db, { alertId: id, by, note: text, at: deps.now() });
        else await clear(deps.db, { alertId: id, by, reason: text, at: deps.now() });
      } catch (err) {
        if (!(err instanceof AlertTransitionError)) throw err;
        return render(
          c,
          { title: 'Alert not changed' },
          html`<h1>Alert not changed</h1><p class="error card" role="alert"><span aria-hidden="true">⚠</span> ${err.message}. Someone else may have acted on it first.</p><p><a href="${back}">Back</a></p>`,
          err.httpStatus,
        );
      }
      return c.redirect(back, 303);
    });

  app.get('/capacity', async (c) => {
    const m = parseIntParam('m', c.req.query('m'), 10, 1, 50);
    const a = parseIntParam('a', c.req.query('a'), 12, 1, 100);
    return render(
      c,
      {
        title: 'Capacity',
        active: '/capacity',
        script: 'capacity.js',
        chart: true,
        data: capacityData(m, a, 120),
      },
      capacityBody(m, a, await readPlan()),
    );
  });

  const adminPage = async (c: Context<AppEnv>, result?: AdminResult, status: 200 | 400 | 404 | 409 = 200) =>
    render(
      c,
      { title: 'Admin', active: '/admin', data: { head: await deps.poller.head() } },
      html`${adminBody(
        await listPatients(deps.db),
        c.get('session')?.csrfToken ?? '',
        devicesSection(await listDevices(deps.db), await listPatients(deps.db), clock()),
        result,
      )}${accountsSection(await accountsView(deps, c.get('session')?.csrfToken ?? ''), clock())}`,
      status,
    );
  app.route(
    '/',
    adminDeviceRoutes(deps, {
      render: (c, title, body, status = 200) => render(c, { title, active: '/admin' }, body, status),
      adminPage: (c, result, status = 200) => adminPage(c, result, status),
      clock,
    }),
  );

  app.get('/admin', requireRole('admin'), (c) => adminPage(c));

  app.post('/admin/patients', requireRole('admin'), async (c) => {
    const form = await c.req.parseBody();
    const id = typeof form.id === 'string' ? form.id.trim() : '';
    const name = typeof form.name === 'string' ? form.name.trim() : '';
    if (!patientIdSchema.safeParse(id).success)
      return adminPage(
        c,
        { kind: 'error', message: 'Patient id: 1-64 letters, digits, ".", "_" or "-".' },
        400,
      );
    if (!name || name.length > 200)
      return adminPage(c, { kind: 'error', message: 'Name: 1-200 characters.' }, 400);
    try {
      await addPatient(deps.db, { id, name }, deps.now());
    } catch (err) {
      if (err instanceof ConflictError) return adminPage(c, { kind: 'error', message: err.message }, 409);
      throw err;
    }
    return adminPage(c, { kind: 'ok', message: `Patient ${name} (${id}) enrolled.` });
  });

  app.post('/admin/devices', requireRole('admin'), async (c) => {
    const form = await c.req.parseBody();
    const patientId = typeof form.patientId === 'string' ? form.patientId : '';
    const kindRaw = typeof form.kind === 'string' ? form.kind : 'generic';
    const kind = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(kindRaw) ? kindRaw : 'generic';
    try {
      const d = await enrollDevice(deps.db, { patientId, kind }, deps.now());
      c.header('Cache-Control', 'no-store');
      return adminPage(c, { kind: 'ok', message: `Device ${d.deviceId} enrolled.`, token: d });
    } catch (err) {
      if (err instanceof NotFoundError) return adminPage(c, { kind: 'error', message: err.message }, 404);
      throw err;
    }
  });
  return app;
}
