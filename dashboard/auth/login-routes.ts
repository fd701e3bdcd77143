// Sign-in and sign-out. Attempts are throttled per account, per known browser of an account and per
// client address in the database (storage/login-throttle.ts), so the limits hold across replicas and
// parallel requests; a pre-login double-submit cookie stops login CSRF. The form is parsed only after
// the dashboard's body limit (64 KiB) has bounded it.
import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { auditAccount } from '../../storage/account-audit-store.ts';
import {
  claimThrottle,
  purgeThrottle,
  releaseThrottle,
  THROTTLE_RULES,
  type ThrottleKey,
} from '../../storage/login-throttle.ts';
import {
  authenticate,
  createSession,
  deleteSession,
  getSession,
  keyedHash,
  purgeExpiredSessions,
  randomToken,
  SESSION_MAX_MS,
} from '../../storage/users-store.ts';
import type { AppEnv, DashboardDeps } from '../context.ts';
import { page } from '../pages/layout.ts';
import { clientIp } from './client-ip.ts';
import { cookieName, safeEqual, sessionCookieName } from './middleware.ts';
import { safeNext } from './safe-next.ts';

/** A browser that signed in to an account keeps a token naming it (OWASP's "device cookie"). */
const DEVICE_MAX_AGE_S = 180 * 24 * 3600;

function loginPage(
  c: Context,
  deps: DashboardDeps,
  opts: { next: string; error?: string; username?: string },
) {
  const token = randomToken(18);
  setCookie(c, cookieName('vigil_login_csrf', deps.secureCookies), token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: deps.secureCookies,
    path: '/',
    maxAge: 3600,
  });
  return page(
    { title: 'Sign in' },
    html`<section class="login card">
  <h1>Sign in to Vigil</h1>
  ${opts.error ? html`<p class="error" role="alert"><span aria-hidden="true">⚠</span> ${opts.error}</p>` : ''}
  <form method="post" action="/login">
    <input type="hidden" name="_csrf" value="${token}">
    <input type="hidden" name="next" value="${opts.next}">
    <label>Username <input name="username" autocomplete="username" required value="${opts.username ?? ''}" autofocus></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit">Sign in</button>
  </form>
</section>`,
  );
}

/** The device token: `<nonce>.<HMAC(secret, username|nonce)>`, valid only for the account it names. */
function deviceToken(secret: string, username: string, nonce = randomToken(16)): string {
  return `${nonce}.${keyedHash(secret, `device|${username.toLowerCase()}|${nonce}`)}`;
}

function deviceNonce(secret: string, username: string, raw: string | undefined): string | undefined {
  const nonce = raw?.split('.')[0];
  return raw && nonce && safeEqual(raw, deviceToken(secret, username, nonce)) ? nonce : undefined;
}

export function loginRoutes(deps: DashboardDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const sessionCookie = sessionCookieName(deps.secureCookies);
  const csrfCookie = cookieName('vigil_login_csrf', deps.secureCookies);
  const deviceCookie = cookieName('vigil_device', deps.secureCookies);

  app.get('/login', async (c) => {
    const raw = getCookie(c, sessionCookie);
    const next = safeNext(c.req.query('next'));
    if (raw) {
      if (await getSession(deps.db, await deps.secret(), raw, deps.now())) return c.redirect(next, 302);
    }
    return c.html(loginPage(c, deps, { next }));
  });

  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const username = typeof body.username === 'string' ? body.username.trim().slice(0, 64) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const next = safeNext(body.next);
    const cookieToken = getCookie(c, csrfCookie);
    const formToken = typeof body._csrf === 'string' ? body._csrf : '';
    if (!cookieToken || !safeEqual(cookieToken, formToken))
      return c.html(
        loginPage(c, deps, { next, username, error: 'The sign-in form expired. Please try again.' }),
        403,
      );
    if (!username || !password)
      return c.html(loginPage(c, deps, { next, username, error: 'Enter your username and password.' }), 400);

    const secret = await deps.secret();
    const now = deps.now();
    const ip = clientIp(c, deps.trustedProxies);
    const name = username.toLowerCase();
    // A browser that signed in to this account before is throttled on its own key: strangers failing
    // on the account cannot keep its clinician out. Everyone else shares the account's key.
    const nonce = deviceNonce(secret, name, getCookie(c, deviceCookie));
    const accountKey: ThrottleKey = nonce
      ? { hash: keyedHash(secret, `throttle|device|${name}|${nonce}`), rule: THROTTLE_RULES.device }
      : { hash: keyedHash(secret, `throttle|account|${name}`), rule: THROTTLE_RULES.account };
    const addressKey: ThrottleKey = {
      hash: keyedHash(secret, `throttle|address|${ip}`),
      rule: THROTTLE_RULES.address,
    };
    // Unknown browsers: the address first, so a flood of made-up usernames from one address stops
    // there before it creates a row per name; a known browser has its own lane, which neither strangers
    // on the account nor others behind the same address can slow. Throttled attempts are not audited
    // one by one (a flood would fill the log); the failures that led to the delay are.
    const keys = nonce ? [accountKey] : [addressKey, accountKey];
    const claim = await claimThrottle(deps.db, keys, now);
    if (!claim.ok) {
      const wait = Math.max(1, Math.ceil((claim.retryAt - now) / 1000));
      c.header('Retry-After', String(wait));
      return c.html(
        loginPage(c, deps, {
          next,
          username,
          error: `Too many sign-in attempts. Try again in ${wait < 90 ? `${wait} s` : `${Math.ceil(wait / 60)} min`}.`,
        }),
        429,
      );
    }
    let user: Awaited<ReturnType<typeof authenticate>>;
    try {
      user = await authenticate(deps.db, secret, username, password);
    } catch (err) {
      await releaseThrottle(
        deps.db,
        keys.map((k) => [k, 'none'] as const),
        now,
      );
      throw err;
    }
    // A success clears the account's (or browser's) streak, not the address's.
    const outcome = (k: ThrottleKey) =>
      k === accountKey ? (user ? 'success' : 'failure') : user ? 'none' : 'failure';
    await releaseThrottle(
      deps.db,
      keys.map((k) => [k, outcome(k)] as const),
      deps.now(),
    );
    await auditAccount(deps.db, {
      actor: name,
      action: user ? 'login' : 'login-failed',
      username: name,
      clientIp: ip,
      at: now,
    });
    if (!user)
      return c.html(loginPage(c, deps, { next, username, error: 'Wrong username or password.' }), 401);

    // Housekeeping piggybacks on sign-ins: cheap, and needs no background job on any replica.
    await purgeExpiredSessions(deps.db, now);
    await purgeThrottle(deps.db, now);
    const s = await createSession(deps.db, secret, user.id, now);
    setCookie(c, sessionCookie, s.id, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: deps.secureCookies,
      path: '/',
      maxAge: Math.floor(SESSION_MAX_MS / 1000),
    });
    if (!nonce)
      setCookie(c, deviceCookie, deviceToken(secret, name), {
        httpOnly: true,
        sameSite: 'Strict',
        secure: deps.secureCookies,
        path: '/',
        maxAge: DEVICE_MAX_AGE_S,
      });
    deleteCookie(c, csrfCookie, { path: '/', secure: deps.secureCookies });
    return c.redirect(next, 303);
  });

  // Behind authMiddleware (CSRF-checked like every state change).
  app.post('/logout', async (c) => {
    const raw = getCookie(c, sessionCookie);
    if (raw) await deleteSession(deps.db, await deps.secret(), raw);
    const user = c.get('user');
    await auditAccount(deps.db, {
      actor: user.username,
      action: 'logout',
      username: user.username,
      clientIp: clientIp(c, deps.trustedProxies),
      at: deps.now(),
    });
    deleteCookie(c, sessionCookie, { path: '/', secure: deps.secureCookies });
    return c.redirect('/login', 303);
  });
  return app;
}
