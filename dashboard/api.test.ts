// The dashboard HTTP API against real storage (SQLite and MariaDB): authentication on every route,
// roles, CSRF, login throttling, pagination, bad parameters, alert actions and the live poller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.ts';
import { EVENT_TYPES } from '../eventing/contract.ts';
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

  const form = (path: string, fields: Record<string, string>, who: Login) =>
    app.request(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: who.cookie,
        accept: 'text/html',
      },
      body: new URLSearchParams({ _csrf: who.csrf, ...fields }).toString(),
    });
  const page = (path: string, who: Login) =>
    app.request(path, { headers: { accept: 'text/html', cookie: who.cookie } });

  it('trends: one bucket per device and interval, buckets sized to the range', async () => {
    const other = (await enrollDevice(db, { patientId: 'p1', kind: 'watch' })).deviceId;
    await store(db, [
      heartRateEvent('p1', other, 'hr-other', [
        [T0 + 2000, 100],
        [T0 + 2500, 110],
      ]),
    ]);
    const q = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 60_000).toISOString()}`;
    const r = await (await get(`/api/patients/p1/trend?${q}&bucketSeconds=10`, clinician)).json();
    expect(r.bucketSeconds).toBe(10);
    const mine = r.heartRate.filter((b: { deviceId: string }) => b.deviceId === deviceId);
    // Samples 60..84 bpm at T0 + 0..24 s: buckets [0,10) [10,20) [20,25).
    expect(mine.map((b: { bpm: number; samples: number }) => [b.bpm, b.samples])).toEqual([
      [64.5, 10],
      [74.5, 10],
      [82, 5],
    ]);
    expect(r.heartRate.filter((b: { deviceId: string }) => b.deviceId === other)).toEqual([
      { deviceId: other, time: new Date(T0).toISOString(), bpm: 105, min: 100, max: 110, samples: 2 },
    ]);
    // The detector: chunks analysed and labelled seizure, per device and bucket; per window in the
    // predictions history, scored as the detector does.
    await store(db, [
      {
        specversion: '1.0',
        id: 'eeg-1.prediction',
        source: '/functions/seizure-detector',
        type: EVENT_TYPES.eegPrediction,
        subject: 'p1',
        time: new Date(T0).toISOString(),
        datacontenttype: 'application/json',
        data: {
          patientId: 'p1',
          deviceId,
          chunkEventId: 'eeg-1',
          chunkSource: `/devices/${deviceId}`,
          windowStart: new Date(T0).toISOString(),
          windowSeconds: 1,
          windowProbabilities: [
            [0.9, 0.8],
            [0.001, 0.002],
          ],
          chunkProbability: 0.85,
          label: 'seizure',
          modelVersion: 'test',
        },
      },
    ]);
    expect(r.detector).toEqual([]);
    const det = await (await get(`/api/patients/p1/trend?${q}&bucketSeconds=10`, clinician)).json();
    expect(det.detector).toEqual([
      { deviceId, time: new Date(T0).toISOString(), analysed: 1, seizureLike: 1 },
    ]);
    const preds = await (await get(`/api/patients/p1/predictions?${q}`, clinician)).json();
    expect(preds.items[0].windows).toEqual([
      { start: new Date(T0).toISOString(), seizureLike: true },
      { start: new Date(T0 + 1000).toISOString(), seizureLike: false },
    ]);
    const day = await (
      await get(
        `/api/patients/p1/trend?from=${new Date(T0).toISOString()}&to=${new Date(T0 + 86_400_000).toISOString()}`,
        clinician,
      )
    ).json();
    expect(day.bucketSeconds).toBe(86);
    const tooFine = await get(
      `/api/patients/p1/trend?from=${new Date(T0).toISOString()}&to=${new Date(T0 + 86_400_000).toISOString()}&bucketSeconds=1`,
      clinician,
    );
    expect(tooFine.status).toBe(400);
    expect((await tooFine.json()).field).toBe('bucketSeconds');
  });

  it('renders times in the ward time zone, and refuses a zone that does not exist', async () => {
    const rome = createDashboardApp({ db, now: () => clock, wardTimeZone: 'Europe/Rome' });
    const html = await (
      await rome.request('/alerts?status=', { headers: { accept: 'text/html', cookie: clinician.cookie } })
    ).text();
    // al-1 was raised at 09:00:05 UTC, 10:00:05 in Rome in March.
    expect(html).toContain('>10:00:05</time>');
    expect(html).toContain('<meta name="ward-timezone" content="Europe/Rome">');
    expect(loadConfig({}).VIGIL_WARD_TIMEZONE).toBe('UTC');
    expect(loadConfig({ VIGIL_WARD_TIMEZONE: 'Asia/Kolkata' }).VIGIL_WARD_TIMEZONE).toBe('Asia/Kolkata');
    expect(() => loadConfig({ VIGIL_WARD_TIMEZONE: 'Mars/Olympus' })).toThrow(
      /VIGIL_WARD_TIMEZONE: must be an IANA time zone/,
    );
  });

  it('names the patient in the inbox and asks for a reason before clearing', async () => {
    await store(db, [alertEvent('p1', 'al-clear', T0 + 7000, 'tachycardia')]);
    const inbox = await (await page('/alerts', clinician)).text();
    expect(inbox).toContain('Patient One');
    const confirm = await page('/alerts/al-clear/clear?back=/alerts', clinician);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('Clear this alert?');
    const noReason = await form(
      '/alerts/al-clear/clear',
      { reason: '', confirmed: '1', back: '/alerts' },
      clinician,
    );
    expect(noReason.status).toBe(400);
    expect(await noReason.text()).toContain('Give a reason');
    const unconfirmed = await form('/alerts/al-clear/clear', { reason: 'resolved' }, clinician);
    expect(unconfirmed.status).toBe(400);
    expect((await (await get('/api/alerts/al-clear', clinician)).json()).status).toBe('raised');
    const done = await form(
      '/alerts/al-clear/clear',
      { reason: 'probe re-seated', confirmed: '1', back: '/alerts' },
      clinician,
    );
    expect(done.status).toBe(303);
    const a = await (await get('/api/alerts/al-clear', clinician)).json();
    expect([a.status, a.clearReason]).toEqual(['cleared', 'probe re-seated']);
  });

  it('lets admins retire and revoke devices from the admin page, once, and no one else', async () => {
    const d = (await enrollDevice(db, { patientId: 'p1', kind: 'eeg' })).deviceId;
    const e = (await enrollDevice(db, { patientId: 'p1', kind: 'eeg' })).deviceId;
    expect((await form(`/admin/devices/${d}/retire`, {}, clinician)).status).toBe(403);
    expect((await page(`/admin/devices/${d}/retire`, admin)).status).toBe(200);
    const retired = await form(`/admin/devices/${d}/retire`, {}, admin);
    expect(retired.status).toBe(200);
    expect(await retired.text()).toContain(`Device ${d} retired.`);
    expect((await form(`/admin/devices/${d}/retire`, {}, admin)).status).toBe(409);
    expect((await form(`/admin/devices/${e}/revoke`, {}, admin)).status).toBe(200);
    expect((await form('/admin/devices/dev-nobody/retire', {}, admin)).status).toBe(404);
    const states = Object.fromEntries(
      (await (await get('/api/patients/p1/devices', admin)).json()).items.map(
        (x: { id: string; state: string }) => [x.id, x.state],
      ),
    );
    expect([states[d], states[e], states[deviceId]]).toEqual(['retired', 'revoked', 'active']);
    const ward = await (await get('/api/patients/p1', clinician)).json();
    expect(ward.devices.map((x: { id: string }) => x.id)).not.toContain(d);
  });

  it('answers unknown pages with the styled error page for people and problem+json for programs', async () => {
    const html = await page('/nowhere', clinician);
    expect(html.status).toBe(404);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    const text = await html.text();
    expect(text).toContain('Page not found');
    expect(text).toContain('/static/style.');
    const json = await get('/api/nowhere', clinician);
    expect(json.status).toBe(404);
    expect(json.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('compresses JSON data but not pages', async () => {
    const q = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 60_000).toISOString()}&maxHz=512`;
    const eeg = await app.request(`/api/patients/p1/eeg?${q}`, {
      headers: { accept: 'application/json', 'accept-encoding': 'gzip', cookie: clinician.cookie },
    });
    expect(eeg.headers.get('content-encoding')).toBe('gzip');
    const html = await app.request('/', {
      headers: { accept: 'text/html', 'accept-encoding': 'gzip', cookie: clinician.cookie },
    });
    expect(html.headers.get('content-encoding')).toBeNull();
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
      "SELECT type, subject FROM events WHERE source = '/dashboard' AND id LIKE 'al-1.%' ORDER BY seq",
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
