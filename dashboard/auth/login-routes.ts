// Sign-in and sign-out. Failed attempts are counted per username+IP in the database, so the limit
// holds across replicas; a pre-login double-submit cookie stops login CSRF.
import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import {
  attemptKey,
  authenticate,
  createSession,
  deleteSession,
  getSession,
  LOGIN_WINDOW_MS,
  loginThrottle,
  purgeExpiredSessions,
  purgeLoginAttempts,
  randomToken,
  recordLoginAttempt,
  SESSION_MAX_MS,
} from '../../storage/users-store.ts';
import type { AppEnv, DashboardDeps } from '../context.ts';
import { wardClock } from '../pages/format.ts';
import { page } from '../pages/layout.ts';
import { safeEqual, sessionCookieName } from './middleware.ts';

const LOGIN_CSRF_COOKIE = 'vigil_login_csrf';

function clientIp(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // app.request() in tests has no socket
  }
}

/** Only same-site relative paths, so `next` cannot send the user elsewhere. */
function safeNext(raw: unknown): string {
  return typeof raw === 'string' && /^\/(?![/\\])/.test(raw) && raw !== '/login' ? raw : '/';
}

function loginPage(
  c: Context,
  deps: DashboardDeps,
  opts: { next: string; error?: string; username?: string },
) {
  const token = randomToken(18);
  setCookie(c, LOGIN_CSRF_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: deps.secureCookies,
    path: '/login',
    maxAge: 3600,
  });
  return page(
    { title: 'Sign in', clock: wardClock(deps.wardTimeZone, deps.now()) },
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

export function loginRoutes(deps: DashboardDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const cookieName = sessionCookieName(deps.secureCookies);

  app.get('/login', async (c) => {
    const raw = getCookie(c, cookieName);
    const next = safeNext(c.req.query('next'));
    if (raw) {
      if (await getSession(deps.db, await deps.secret(), raw, deps.now())) return c.redirect(next, 302);
    }
    return c.html(loginPage(c, deps, { next }));
  });

  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const username = typeof body.username === 'string' ? body.username.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const next = safeNext(body.next);
    const cookieToken = getCookie(c, LOGIN_CSRF_COOKIE);
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
    const key = attemptKey(secret, username, clientIp(c));
    const throttle = await loginThrottle(deps.db, key, now);
    if (throttle.retryAt !== undefined) {
      const wait = Math.max(1, Math.ceil((throttle.retryAt - now) / 1000));
      c.header('Retry-After', String(wait));
      return c.html(
        loginPage(c, deps, {
          next,
          username,
          error: `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} min.`,
        }),
        429,
      );
    }
    const user = await authenticate(deps.db, secret, username, password);
    await recordLoginAttempt(deps.db, key, now, user !== undefined);
    if (!user)
      return c.html(loginPage(c, deps, { next, username, error: 'Wrong username or password.' }), 401);

    // Housekeeping piggybacks on sign-ins: cheap, and needs no background job on any replica.
    await purgeExpiredSessions(deps.db, now);
    await purgeLoginAttempts(deps.db, now - 2 * LOGIN_WINDOW_MS);
    const s = await createSession(deps.db, secret, user.id, now);
    setCookie(c, cookieName, s.id, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: deps.secureCookies,
      path: '/',
      maxAge: Math.floor(SESSION_MAX_MS / 1000),
    });
    deleteCookie(c, LOGIN_CSRF_COOKIE, { path: '/login' });
    return c.redirect(next, 303);
  });

  // Behind authMiddleware (CSRF-checked like every state change).
  app.post('/logout', async (c) => {
    const raw = getCookie(c, cookieName);
    if (raw) await deleteSession(deps.db, await deps.secret(), raw);
    deleteCookie(c, cookieName, { path: '/', secure: deps.secureCookies });
    return c.redirect('/login', 303);
  });
  return app;
}
