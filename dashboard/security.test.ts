// The dashboard's door as an attacker tries it, over real HTTP on real storage (SQLite and MariaDB):
// unbounded login bodies, parallel password guessing, an account locked by strangers, open redirects,
// cookies and HSTS behind TLS, token scope and expiry, session lifetimes and slow clients.
import { BlockList, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/env.ts';
import { type Listening, listen } from '../http/listen.ts';
import { hugeLogin } from '../perf/hostile-client.ts';
import { accountAudit } from '../storage/account-audit-store.ts';
import type { Db } from '../storage/db.ts';
import { testBackends } from '../storage/testing.ts';
import {
  createApiToken,
  getUserByUsername,
  listApiTokens,
  resolveSecret,
  revokeApiToken,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
} from '../storage/users-store.ts';
import { clientAddress } from './auth/client-ip.ts';
import { safeNext } from './auth/safe-next.ts';
import { createDashboardApp, type DashboardApp } from './server.ts';
import { addUser, login, PASSWORD } from './testing.ts';

/** The pre-login CSRF cookie and token, as a browser gets them from GET /login. */
async function loginForm(base: string, cookie = '') {
  const res = await fetch(`${base}/login`, { headers: { cookie } });
  const pre = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const token = /name="_csrf" value="([^"]+)"/.exec(await res.text())![1]!;
  return { cookie: [cookie, ...pre].filter(Boolean).join('; '), token };
}

function postLogin(
  base: string,
  form: { cookie: string; token: string },
  username: string,
  password: string,
) {
  return fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password, _csrf: form.token, next: '/' }).toString(),
  });
}

describe.each(testBackends)('dashboard door on $name', (backend) => {
  let db: Db;
  let app: DashboardApp;
  let server: Listening;
  let base: string;
  let clock = Date.parse('2026-03-01T10:00:00Z');

  beforeAll(async () => {
    db = await backend.open();
    app = createDashboardApp({ db, now: () => clock, publicUrl: undefined, trustedProxies: undefined });
    server = await listen(app, 0, '127.0.0.1');
    base = server.url;
    for (const u of ['ada', 'bob', 'cy', 'dee', 'eve'])
      await addUser(db, u, u === 'ada' ? 'admin' : 'clinician');
  });
  afterAll(async () => {
    app.poller.stop();
    await server?.close();
    await db?.close();
  });

  it('refuses a 256 MB login body before reading it, declared or chunked', async () => {
    const declared = await hugeLogin(base, false);
    expect(declared.status).toBe('413');
    expect(declared.sent).toBeLessThan(32 * 1024 * 1024);
    const chunked = await hugeLogin(base, true);
    expect(chunked.status).toBe('413');
    expect(chunked.sent).toBeLessThan(32 * 1024 * 1024);
    // A normal sign-in still works afterwards.
    expect((await postLogin(base, await loginForm(base), 'ada', PASSWORD)).status).toBe(303);
  });

  it('checks at most a few of 40 parallel wrong passwords for one account', async () => {
    const form = await loginForm(base);
    const results = await Promise.all(
      Array.from({ length: 40 }, () => postLogin(base, form, 'bob', 'wrong-password-guess')),
    );
    const statuses = results.map((r) => r.status);
    const checked = statuses.filter((s) => s === 401).length;
    expect(checked).toBeGreaterThanOrEqual(1);
    expect(checked).toBeLessThanOrEqual(6);
    expect(statuses.filter((s) => s === 429).length).toBe(40 - checked);
    expect(results.find((r) => r.status === 429)?.headers.get('retry-after')).toMatch(/^\d+$/);
    const audit = await accountAudit(db, { username: 'bob' });
    expect(audit.filter((e) => e.action === 'login-failed')).toHaveLength(checked);
  });

  it('delays with growing waits instead of locking out, and strangers never lock out a known browser', async () => {
    // cy signs in once from this browser: it keeps a device cookie for the account.
    const first = await postLogin(base, await loginForm(base), 'cy', PASSWORD);
    expect(first.status).toBe(303);
    const device = first.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('vigil_device='))!;
    expect(device).toBeTruthy();
    // A stranger fails again and again on cy's account: after the free failures, each wait doubles.
    const stranger = await loginForm(base);
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      const r = await postLogin(base, stranger, 'cy', 'not-the-password');
      if (r.status === 429) {
        waits.push(Number(r.headers.get('retry-after')));
        clock += Number(r.headers.get('retry-after')) * 1000;
        i--;
        if (waits.length > 6) break;
      } else expect(r.status).toBe(401);
    }
    expect(waits.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]!);
    expect(Math.max(...waits)).toBeLessThanOrEqual(60);
    // Right now the account key is delayed for strangers, but cy's own browser signs in at once.
    expect((await postLogin(base, stranger, 'cy', PASSWORD)).status).toBe(429);
    expect((await postLogin(base, await loginForm(base, device), 'cy', PASSWORD)).status).toBe(303);
  });

  it('slows password spraying from one client address, named by X-Forwarded-For behind a trusted proxy', async () => {
    const proxies = new BlockList();
    proxies.addSubnet('127.0.0.0', 8);
    proxies.addSubnet('10.0.0.0', 8);
    const behind = createDashboardApp({
      db,
      now: () => clock,
      publicUrl: undefined,
      trustedProxies: proxies,
    });
    const srv = await listen(behind, 0, '127.0.0.1');
    try {
      const spray = async (from: string, username: string) => {
        const form = await loginForm(srv.url);
        return fetch(`${srv.url}/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            cookie: form.cookie,
            'content-type': 'application/x-www-form-urlencoded',
            'x-forwarded-for': `${from}, 10.1.2.3`,
          },
          body: new URLSearchParams({ username, password: 'Summer2026!!', _csrf: form.token }).toString(),
        });
      };
      for (let i = 0; i < 20; i++) expect((await spray('198.51.100.7', `nobody-${i}`)).status).toBe(401);
      expect((await spray('198.51.100.7', 'nobody-20')).status).toBe(429);
      // Another client behind the same proxy is not slowed, and the audit log names the real client.
      expect((await spray('203.0.113.5', 'nobody-21')).status).toBe(401);
      const audit = await accountAudit(db, { username: 'nobody-21' });
      expect(audit[0]?.clientIp).toBe('203.0.113.5');
    } finally {
      behind.poller.stop();
      await srv.close();
    }
  });

  it('sends a signed-in user only to same-origin paths', async () => {
    const s = await login(app, 'ada');
    for (const next of [
      '%2F%09%2F127.0.0.1:23999%2Fsecond',
      '//evil.example',
      '/\\evil.example',
      '%2F%2Fevil.example',
      '/%2F/evil.example',
      '/%5Cevil.example',
      '/%252F%252Fevil.example',
      'https://evil.example/',
      '/%0A/evil',
      'javascript:alert(1)',
    ]) {
      const r = await fetch(`${base}/login?next=${next}`, {
        redirect: 'manual',
        headers: { cookie: s.cookie },
      });
      expect(r.status, next).toBe(302);
      expect(r.headers.get('location'), next).toBe('/');
    }
    const ok = await fetch(`${base}/login?next=${encodeURIComponent('/patients/p1?range=1h')}`, {
      redirect: 'manual',
      headers: { cookie: s.cookie },
    });
    expect(ok.headers.get('location')).toBe('/patients/p1?range=1h');
    expect(safeNext('/alerts')).toBe('/alerts');
    expect(safeNext('/')).toBe('/');
  });

  it('makes cookies Secure with the __Host- prefix and sends HSTS when VIGIL_PUBLIC_URL is https', async () => {
    const tls = createDashboardApp({ db, now: () => clock, publicUrl: 'https://vigil.example' });
    const form = await tls.request('/login');
    expect(form.headers.get('strict-transport-security')).toMatch(/max-age=31536000; includeSubDomains/);
    const csrf = form.headers.get('set-cookie')!;
    expect(csrf).toMatch(/^__Host-vigil_login_csrf=.*; Path=\/;.*Secure/);
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const res = await tls.request('/login', {
      method: 'POST',
      headers: { cookie: csrf.split(';')[0]!, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'dee', password: PASSWORD, _csrf: token }).toString(),
    });
    expect(res.status).toBe(303);
    const cookies = res.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith('__Host-vigil_session='))).toMatch(/Path=\/;.*HttpOnly;.*Secure/);
    expect(cookies.find((c) => c.startsWith('__Host-vigil_device='))).toMatch(/Secure/);
    tls.poller.stop();
    const plain = await fetch(`${base}/login`);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
    expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/);
  });

  it('enforces API token scope, expiry and revocation', async () => {
    const secret = await resolveSecret(db);
    const user = (await getUserByUsername(db, 'ada'))!;
    const ro = await createApiToken(db, secret, { userId: user.id, label: 'ro', days: 1 }, clock);
    const get = (t: string) => fetch(`${base}/api/patients`, { headers: { authorization: `Bearer ${t}` } });
    const post = (t: string) =>
      fetch(`${base}/api/patients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'sec-1', name: 'Sec One' }),
      });
    expect((await get(ro.token)).status).toBe(200);
    const refused = await post(ro.token);
    expect(refused.status).toBe(403);
    expect((await refused.json()).detail).toMatch(/read-only/);
    const rw = await createApiToken(db, secret, { userId: user.id, label: 'rw', scope: 'read-write' }, clock);
    expect((await post(rw.token)).status).toBe(201);
    clock += 24 * 3600_000 + 1;
    expect((await get(ro.token)).status).toBe(401);
    expect((await get(rw.token)).status).toBe(200);
    await revokeApiToken(db, rw.id, clock, 'ada');
    expect((await get(rw.token)).status).toBe(401);
  });

  it('ends sessions after 30 idle minutes and 12 hours at most, however active', async () => {
    const s = await login(app, 'eve');
    const get = () => app.request('/api/patients', { headers: { cookie: s.cookie } });
    expect(SESSION_IDLE_MS).toBe(30 * 60_000);
    const started = clock;
    while (clock - started < SESSION_MAX_MS - 20 * 60_000) {
      clock += 20 * 60_000;
      expect((await get()).status).toBe(200);
    }
    clock = started + SESSION_MAX_MS + 1;
    expect((await get()).status).toBe(401);
    const idle = await login(app, 'eve');
    clock += SESSION_IDLE_MS + 1000;
    expect((await app.request('/api/patients', { headers: { cookie: idle.cookie } })).status).toBe(401);
  });

  it('lets users change their password and admins disable, enable, reset and manage tokens, all audited', async () => {
    await addUser(db, 'fay', 'clinician');
    const form = (who: { cookie: string; csrf: string }, path: string, fields: Record<string, string> = {}) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie: who.cookie,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'text/html',
        },
        body: new URLSearchParams({ _csrf: who.csrf, ...fields }).toString(),
      });
    const api = (cookie: string) => fetch(`${base}/api/patients`, { headers: { cookie } });
    const fay = await login(app, 'fay');
    const other = await login(app, 'fay');
    expect(
      (await form(fay, '/account/password', { current: 'wrong-one-here', password: 'maple river candle' }))
        .status,
    ).toBe(400);
    const weak = await form(fay, '/account/password', { current: PASSWORD, password: 'aaaaaaaaaaaa' });
    expect(weak.status).toBe(400);
    expect(await weak.text()).toMatch(/repeats the same character/);
    expect(
      (await form(fay, '/account/password', { current: PASSWORD, password: 'maple river candle' })).status,
    ).toBe(200);
    expect((await api(fay.cookie)).status).toBe(200);
    expect((await api(other.cookie)).status).toBe(401);
    await expect(login(app, 'fay')).rejects.toThrow(/401/);
    const again = await login(app, 'fay', 'maple river candle');

    const admin = await login(app, 'ada');
    expect((await form(again, '/admin/users/ada/disable')).status).toBe(403);
    const page = await (await fetch(`${base}/admin`, { headers: { cookie: admin.cookie } })).text();
    expect(page).toContain('API tokens');
    expect(page).toContain('fay');
    const created = await form(admin, '/admin/tokens', {
      username: 'fay',
      scope: 'read-write',
      days: '30',
      label: 'job',
    });
    expect(created.status).toBe(200);
    const token = /id="api-token"[^>]*>(vgl_[^<]+)</.exec(await created.text())![1]!;
    const bearer = () => fetch(`${base}/api/patients`, { headers: { authorization: `Bearer ${token}` } });
    expect((await bearer()).status).toBe(200);
    const listed = (await listApiTokens(db, { username: 'fay' })).filter((t) => t.label === 'job');
    expect(listed.map((t) => t.scope)).toEqual(['read-write']);
    const id = listed[0]!.id;
    expect(await (await fetch(`${base}/admin`, { headers: { cookie: admin.cookie } })).text()).toContain(
      `action="/admin/tokens/${id}/revoke"`,
    );
    expect((await form(admin, `/admin/tokens/${id}/revoke`)).status).toBe(200);
    expect((await bearer()).status).toBe(401);
    expect((await form(admin, '/admin/users/fay/disable')).status).toBe(200);
    expect((await api(again.cookie)).status).toBe(401);
    await expect(login(app, 'fay', 'maple river candle')).rejects.toThrow(/401/);
    expect((await form(admin, '/admin/users/fay/enable')).status).toBe(200);
    expect((await form(admin, '/admin/users/fay/reset-password', { password: 'short' })).status).toBe(400);
    expect(
      (await form(admin, '/admin/users/fay/reset-password', { password: 'copper valley whistle' })).status,
    ).toBe(200);
    await login(app, 'fay', 'copper valley whistle');
    const actions = (await accountAudit(db, { username: 'fay' }))
      .map((e) => `${e.action} by ${e.actor}`)
      .reverse();
    for (const a of [
      'user-created by cli',
      'password-changed by fay',
      'token-created by ada',
      'token-revoked by ada',
      'user-disabled by ada',
      'user-enabled by ada',
      'password-reset by ada',
    ])
      expect(actions).toContain(a);
  });

  it('drops a client that sends its headers too slowly within seconds', async () => {
    const url = new URL(base);
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const sock = connect(Number(url.port), url.hostname, () =>
        sock.write('GET /login HTTP/1.1\r\nHost: x\r\n'),
      );
      const drip = setInterval(() => sock.write('X-Slow: 1\r\n'), 1000);
      sock.on('data', () => undefined);
      sock.on('close', () => {
        clearInterval(drip);
        resolve(Date.now() - started);
      });
    });
    expect(closedAfter).toBeLessThan(13_000);
  }, 20_000);
});

describe('client addresses and settings', () => {
  it('believes X-Forwarded-For only from trusted proxies', () => {
    const proxies = new BlockList();
    proxies.addSubnet('10.0.0.0', 8);
    expect(clientAddress('203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
    expect(clientAddress('203.0.113.9', '198.51.100.1', proxies)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.5', '198.51.100.1', proxies)).toBe('198.51.100.1');
    expect(clientAddress('::ffff:10.0.0.5', '1.2.3.4, 198.51.100.1, 10.0.0.7', proxies)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.5', 'garbage', proxies)).toBe('10.0.0.5');
  });

  it('validates VIGIL_PUBLIC_URL and VIGIL_TRUSTED_PROXIES, and VIGIL_SECURE_COOKIES is gone', () => {
    expect(loadConfig({ VIGIL_PUBLIC_URL: 'https://vigil.example.org' }).VIGIL_PUBLIC_URL?.origin).toBe(
      'https://vigil.example.org',
    );
    for (const bad of [
      'ftp://x.example',
      'https://x.example/dashboard',
      'not a url',
      'https://u:p@x.example',
    ])
      expect(() => loadConfig({ VIGIL_PUBLIC_URL: bad }), bad).toThrow(ConfigError);
    expect(
      loadConfig({ VIGIL_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.1, fd00::/8' }).VIGIL_TRUSTED_PROXIES,
    ).toBeDefined();
    expect(() => loadConfig({ VIGIL_TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(ConfigError);
    expect(() => loadConfig({ VIGIL_SECURE_COOKIES: '1' })).toThrow(/unknown setting VIGIL_SECURE_COOKIES/);
  });
});
