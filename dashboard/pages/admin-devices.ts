// Admin › Devices: every device with its state, and the end of a device's life. Retire takes a device
// out of service (replaced, removed from the patient): its token stops working and it raises no
// device-silent alarm. Revoke is for a lost or compromised token. Both ask for confirmation first,
// because a retired device that is still on a patient would no longer alarm when it goes quiet.
import { type Context, Hono } from 'hono';
import { html } from 'hono/html';
import {
  type Device,
  deviceState,
  getDevice,
  NotFoundError,
  type Patient,
  retireDevice,
  revokeDevice,
} from '../../storage/patients-store.ts';
import { requireRole } from '../auth/middleware.ts';
import type { AppEnv, DashboardDeps } from '../context.ts';
import type { WardClock } from './format.ts';
import type { Html } from './layout.ts';

const ACTIONS = {
  retire: {
    verb: 'Retire',
    done: 'retired',
    run: retireDevice,
    explain:
      'The device is taken out of service: its token stops working, it raises no “device silent” alarm any more, and its data stays in the patient’s record.',
  },
  revoke: {
    verb: 'Revoke the token of',
    done: 'revoked',
    run: revokeDevice,
    explain:
      'Use this when the token was lost or may be known to someone else: it stops working at once. Enrol a new device to go on monitoring.',
  },
} as const;
type Action = keyof typeof ACTIONS;

export function devicesSection(devices: Device[], patients: Patient[], clock: WardClock): Html {
  const names = new Map(patients.map((p) => [p.id, p.name]));
  return html`<section class="card" aria-labelledby="dl-h" id="devices"><h2 id="dl-h">Devices</h2>
${
  devices.length === 0
    ? html`<p class="empty">No devices enrolled yet.</p>`
    : html`<div class="scroll"><table class="devices-table cards"><caption class="sr-only">Enrolled devices and their state</caption>
<thead><tr><th scope="col">Device</th><th scope="col">Patient</th><th scope="col">Kind</th><th scope="col">Enrolled</th><th scope="col">Last seen</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
<tbody>${devices.map((d) => {
        const state = deviceState(d);
        return html`<tr data-device-row="${d.id}" data-state="${state}"><td data-label="Device" class="wide">${d.id}</td><td data-label="Patient">${names.get(d.patientId) ?? d.patientId} <span class="muted small">${d.patientId}</span></td><td data-label="Kind">${d.kind}</td><td data-label="Enrolled">${clock.el(d.createdAt)}</td><td data-label="Last seen">${clock.el(d.lastSeenAt)}</td><td data-label="State">${state}${
          state === 'retired' ? html` <span class="small muted">${clock.el(d.retiredAt)}</span>` : ''
        }${state === 'revoked' ? html` <span class="small muted">${clock.el(d.revokedAt)}</span>` : ''}</td><td data-label="Actions">${
          state === 'active'
            ? html`<a class="button secondary small" href="/admin/devices/${encodeURIComponent(d.id)}/retire" aria-label="Retire device ${d.id}…">Retire…</a> <a class="button secondary small" href="/admin/devices/${encodeURIComponent(d.id)}/revoke" aria-label="Revoke token of device ${d.id}…">Revoke…</a>`
            : html`<span class="muted small">—</span>`
        }</td></tr>`;
      })}</tbody></table></div>`
}
<p class="small muted">Retire a device that is no longer on its patient; revoke one whose token was lost. Both are also <code>vigil devices retire|revoke --device ID</code>.</p>
</section>`;
}

export interface AdminDevicePages {
  /** Renders a page in the site's shell (routes.ts owns the shell and the admin page). */
  render(
    c: Context<AppEnv>,
    title: string,
    body: Html,
    status?: 200 | 404 | 409,
  ): Response | Promise<Response>;
  /** The admin page with a result message. */
  adminPage(
    c: Context<AppEnv>,
    result: { kind: 'ok' | 'error'; message: string },
    status?: 200 | 404 | 409,
  ): Promise<Response>;
  clock(): WardClock;
}

export function adminDeviceRoutes(deps: DashboardDeps, pages: AdminDevicePages): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const parse = (raw: string): Action | undefined => (raw === 'retire' || raw === 'revoke' ? raw : undefined);

  app.get('/admin/devices/:id/:action', requireRole('admin'), async (c) => {
    const action = parse(c.req.param('action'));
    const d = await getDevice(deps.db, c.req.param('id'));
    if (!action || !d)
      return pages.render(
        c,
        'Device not found',
        html`<h1>Device not found</h1><p class="card empty">There is no device “${c.req.param('id')}”. <a href="/admin#devices">Back to the devices</a></p>`,
        404,
      );
    if (deviceState(d) !== 'active')
      return pages.adminPage(
        c,
        { kind: 'error', message: `Device ${d.id} is already ${deviceState(d)}.` },
        409,
      );
    const a = ACTIONS[action];
    const clock = pages.clock();
    return pages.render(
      c,
      `${a.verb} device`,
      html`<nav class="crumbs small" aria-label="Breadcrumb"><a href="/admin">Admin</a> › <a href="/admin#devices">Devices</a> › ${d.id}</nav>
<section class="card confirm" aria-labelledby="dev-h"><h1 id="dev-h">${a.verb} device ${d.id}?</h1>
<p>${d.kind} of patient ${d.patientId}, last seen ${clock.el(d.lastSeenAt)}.</p>
<p>${a.explain}</p>
<form method="post" action="/admin/devices/${encodeURIComponent(d.id)}/${action}">
<input type="hidden" name="_csrf" value="${c.get('session')?.csrfToken ?? ''}">
<div class="row"><button type="submit" class="danger">${a.verb} device ${d.id}</button> <a class="button secondary" href="/admin#devices">Cancel</a></div>
</form></section>`,
    );
  });

  app.post('/admin/devices/:id/:action', requireRole('admin'), async (c) => {
    const action = parse(c.req.param('action'));
    const id = c.req.param('id');
    if (!action) return pages.adminPage(c, { kind: 'error', message: 'Unknown device action.' }, 404);
    try {
      await ACTIONS[action].run(deps.db, id, deps.now());
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      const d = await getDevice(deps.db, id);
      return d
        ? pages.adminPage(c, { kind: 'error', message: `Device ${id} is already ${deviceState(d)}.` }, 409)
        : pages.adminPage(c, { kind: 'error', message: `There is no device ${id}.` }, 404);
    }
    return pages.adminPage(c, { kind: 'ok', message: `Device ${id} ${ACTIONS[action].done}.` });
  });
  return app;
}
