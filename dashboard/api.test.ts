// The dashboard HTTP API against real storage (SQLite and MariaDB): authentication on every route,
// roles, CSRF, login throttling, pagination, bad parameters, alert actions and the live poller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../storage/db.ts';
import { addPatient, enrollDevice } from '../storage/patients-store.ts';
import { testBackends } from '../storage/testing.ts';
import { SESSION_IDLE_MS } from '../storage/users-store.ts';
import { isPublicPath } from './auth/middleware.ts';
import { createDashboardApp, type DashboardApp } from './server.ts';
import {
  addUser,
  alertEvent,
  eegEvent,
  heartRateEvent,
  type Login,
  login,
  PASSWORD,
  store,
} from './testing.ts';

describe.each(testBackends)('dashboard API on $name', (backend) => {
  let db: Db;
  let app: DashboardApp;
  let clock = Date.parse('2025-03-01T10:00:00Z');
  let admin: Login;
  let clinician: Login;
  let apiToken: string;
  let deviceId: string;
  const T0 = Date.parse('2025-03-01T09:00:00Z');

  beforeAll(async () => {
    db = await backend.open();
    app = createDashboardApp({ db, now: () => clock });
    await addUser(db, 'ada', 'admin');
    apiToken = (await addUser(db, 'carl', 'clinician')).token;
    await addPatient(db, { id: 'p1', name: 'Patient One' });
    deviceId = (await enrollDevice(db, { patientId: 'p1', kind: 'watch' })).deviceId;
    admin = await login(app, 'ada');
    clinician = await login(app, 'carl');
    const samples: Array<[number, number]> = Array.from({ length: 25 }, (_, i) => [T0 + i * 1000, 60 + i]);
    await store(db, [
      heartRateEvent('p1', deviceId, 'hr-1', samples),
      alertEvent('p1', 'al-1', T0 + 5000),
      eegEvent('p1', deviceId, 'eeg-1', T0, ['FP1-F7', 'F7-T7'], 256),
    ]);
  });
  afterAll(async () => {
    app.poller.stop();
    await db.close();
  });

  const get = (path: string, who?: Login) =>
    app.request(path, { headers: { accept: 'application/json', ...(who ? { cookie: who.cookie } : {}) } });
  const post = (path: string, body: unknown, who: Login, csrf: string | null = who.csrf) =>
    app.request(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: who.cookie,
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
      },
      body: JSON.stringify(body),
    });

  it('answers every non-public route with 401 or a login redirect when not signed in', async () => {
    const routes = app.routes.filter((r) => r.method !== 'ALL' && !isPublicPath(r.path));
    expect(routes.length).toBeGreaterThan(15);
    const seen = new Set<string>();
    for (const r of routes) {
      const path = r.path.replace(/:[A-Za-z]+/g, 'p1');
      if (seen.has(`${r.method} ${path}`)) continue;
      seen.add(`${r.method} ${path}`);
      for (const accept of ['application/json', 'text/html']) {
        const res = await app.request(path, { method: r.method, headers: { accept } });
        if (res.status === 302)
          expect(res.headers.get('location'), `${r.method} ${path}`).toMatch(/^\/login\?next=/);
        else expect(res.status, `${r.method} ${r.path} (${accept})`).toBe(401);
      }
    }
    expect(seen.has('GET /api/stream')).toBe(true);
    expect(seen.has('POST /api/alerts/p1/ack')).toBe(true);
  });

  it('keeps /healthz, /login and static assets public', async () => {
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/login')).status).toBe(200);
    const chart = await app.request('/static/chart.umd.js');
    expect(chart.status).toBe(200);
    expect(chart.headers.get('content-type')).toMatch(/javascript/);
    expect((await app.request('/static/style.css')).status).toBe(200);
  });

  it('rejects a wrong or revoked API token and accepts a valid one', async () => {
    const bad = await app.request('/api/patients', { headers: { authorization: 'Bearer vgl_nope' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    const ok = await app.request('/api/patients', { headers: { authorization: `Bearer ${apiToken}` } });
    expect(ok.status).toBe(200);
  });

  it('sets the session cookie HttpOnly and SameSite=Strict, and Secure with secureCookies', async () => {
    const secure = createDashboardApp({ db, publicUrl: 'https://vigil.example', now: () => clock });
    const form = await secure.request('/login');
    const pre = form.headers.get('set-cookie')!.split(';')[0]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const res = await secure.request('/login', {
      method: 'POST',
      headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'ada', password: PASSWORD, _csrf: token }).toString(),
    });
    const sc = res.headers.get('set-cookie')!;
    expect(sc).toMatch(/^__Host-vigil_session=/);
    expect(sc).toMatch(/HttpOnly/);
    expect(sc).toMatch(/SameSite=Strict/);
    expect(sc).toMatch(/Secure/);
    secure.poller.stop();
  });

  it('refuses state changes without the CSRF token, from another origin, and allows API tokens without one', async () => {
    const noToken = await post('/api/alerts/al-1/ack', { note: 'x' }, clinician, null);
    expect(noToken.status).toBe(403);
    expect((await noToken.json()).field).toBe('X-CSRF-Token');
    const wrong = await post('/api/alerts/al-1/ack', { note: 'x' }, clinician, 'not-the-token');
    expect(wrong.status).toBe(403);
    const cross = await app.request('/api/alerts/al-1/ack', {
      method: 'POST',
      headers: {
        cookie: clinician.cookie,
        'x-csrf-token': clinician.csrf,
        origin: 'https://evil.example',
        'content-type': 'application/json',
      },
      body: '{}',
    });
    expect(cross.status).toBe(403);
    const viaToken = await app.request('/api/alerts/unknown-alert/ack', {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(viaToken.status).toBe(404); // passed auth and CSRF; the alert does not exist
  });

  it('lets only admins enrol patients and devices; the device token is returned once', async () => {
    expect((await post('/api/patients', { id: 'p2', name: 'Two' }, clinician)).status).toBe(403);
    const created = await post('/api/patients', { id: 'p2', name: 'Two' }, admin);
    expect(created.status).toBe(201);
    expect((await post('/api/patients', { id: 'p2', name: 'Two' }, admin)).status).toBe(409);
    const bad = await post('/api/patients', { id: 'bad id!', name: 'x' }, admin);
    expect(bad.status).toBe(400);
    expect((await bad.json()).field).toBe('id');
    expect((await post('/api/patients/p2/devices', { kind: 'eeg' }, clinician)).status).toBe(403);
    const dev = await post('/api/patients/p2/devices', { kind: 'eeg' }, admin);
    expect(dev.status).toBe(201);
    const body = await dev.json();
    expect(body.token).toMatch(/^vgl_dev_/);
    const list = await (await get('/api/patients/p2/devices', admin)).json();
    expect(JSON.stringify(list)).not.toContain(body.token);
    expect((await get('/admin', clinician)).status).toBe(403);
  });

  it('pages heart-rate history with a cursor and a total', async () => {
    const from = new Date(T0).toISOString();
    const to = new Date(T0 + 60_000).toISOString();
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(
        `/api/patients/p1/heart-rate?from=${from}&to=${to}&limit=10${cursor ? `&cursor=${cursor}` : ''}`,
        clinician,
      );
      expect(res.status).toBe(200);
      const page = await res.json();
      expect(page.total).toBe(25);
      for (const it of page.items) {
        expect(it.time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
        seen.push(it.bpm);
      }
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => 60 + i));
  });

  it('decodes stored EEG into JSON, filtered by channel and downsampled', async () => {
    const res = await get(
      `/api/patients/p1/eeg?from=${new Date(T0 - 1000).toISOString()}&to=${new Date(T0 + 1000).toISOString()}&channels=F7-T7&maxHz=64`,
      clinician,
    );
    expect(res.status).toBe(200);
    const page = await res.json();
    expect(page.total).toBe(1);
    const chunk = page.items[0];
    expect(chunk.channels).toEqual(['F7-T7']);
    expect(chunk.sampleRateHz).toBe(64);
    expect(chunk.sourceSampleRateHz).toBe(256);
    expect(chunk.samples[0]).toHaveLength(64);
    expect(chunk.unit).toBe('uV');
  });

  it('answers 404 for an unknown patient and 400 naming the bad parameter', async () => {
    const nf = await get('/api/patients/nobody', clinician);
    expect(nf.status).toBe(404);
    expect(nf.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await get('/api/patients/nobody/heart-rate', clinician)).status).toBe(404);
    const cases: Array<[string, string]> = [
      ['/api/patients/p1/heart-rate?from=yesterday', 'from'],
      ['/api/patients/p1/heart-rate?to=2025-13-45', 'to'],
      ['/api/patients/p1/heart-rate?limit=0', 'limit'],
      ['/api/patients/p1/heart-rate?cursor=garbage', 'cursor'],
      ['/api/patients/p1/heart-rate?from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z', 'from'],
      ['/api/patients/p1/eeg?channels=FP1-F7,<script>', 'channels'],
      ['/api/patients/p1/predictions?limit=abc', 'limit'],
      ['/api/alerts?status=sleeping', 'status'],
      ['/api/alerts?severity=huge', 'severity'],
      ['/api/alerts?cursor=xyz', 'cursor'],
      ['/api/stream?patient=a%20b', 'patient'],
      ['/api/stream?after=-5', 'after'],
    ];
    for (const [path, field] of cases) {
      const res = await get(path, clinician);
      expect(res.status, path).toBe(400);
      const p = await res.json();
      expect(p.field, path).toBe(field);
      expect(p.status).toBe(400);
    }
  });

  it('acknowledges and clears an alert, audited, with 409 on a repeated step and a live event row', async () => {
    const list = await (await get('/api/alerts?status=open&patient=p1', clinician)).json();
    expect(list.items.map((a: { alertId: string }) => a.alertId)).toContain('al-1');
    const ack = await post('/api/alerts/al-1/ack', { note: 'seen, nurse on the way' }, clinician);
    expect(ack.status).toBe(200);
    const acked = await ack.json();
    expect(acked.status).toBe('acknowledged');
    expect(acked.acknowledgedBy).toBe('carl');
    expect((await post('/api/alerts/al-1/ack', {}, clinician)).status).toBe(409);
    const cleared = await (await post('/api/alerts/al-1/clear', { reason: 'resolved' }, clinician)).json();
    expect(cleared.status).toBe('cleared');
    expect(cleared.audit.map((e: { action: string }) => e.action)).toEqual([
      'raised',
      'acknowledged',
      'cleared',
    ]);
    const ev = await db.all<{ type: string; subject: string }>(
      "SELECT type, subject FROM events WHERE source = '/dashboard' ORDER BY seq",
    );
    expect(ev.map((e) => e.type)).toEqual(['org.vigil.alert.acknowledged', 'org.vigil.alert.cleared']);
    expect(ev[0]!.subject).toBe('p1');
    const badNote = await post('/api/alerts/al-1/ack', { note: 42 }, clinician);
    expect(badNote.status).toBe(400);
  });

  it('renders every page for a signed-in clinician', async () => {
    for (const path of ['/', '/patients/p1', '/alerts', '/alerts/al-1', '/capacity']) {
      const res = await app.request(path, { headers: { cookie: clinician.cookie, accept: 'text/html' } });
      expect(res.status, path).toBe(200);
      const html = await res.text();
      expect(html).toContain('<meta name="csrf-token"');
    }
    const missing = await app.request('/patients/nobody', {
      headers: { cookie: clinician.cookie, accept: 'text/html' },
    });
    expect(missing.status).toBe(404);
  });

  it('throttles sign-in after 5 failures per username and IP, even with the right password', async () => {
    await addUser(db, 'eve', 'clinician');
    for (let i = 0; i < 5; i++) await expect(login(app, 'eve', 'wrong-password-x')).rejects.toThrow(/401/);
    await expect(login(app, 'eve')).rejects.toThrow(/429/);
    clock += 16 * 60_000;
    await expect(login(app, 'eve')).resolves.toBeTruthy();
  });

  it('expires idle sessions on the server', async () => {
    const s = await login(app, 'carl');
    expect((await get('/api/patients', s)).status).toBe(200);
    clock += SESSION_IDLE_MS + 1000;
    expect((await get('/api/patients', s)).status).toBe(401);
  });
});
