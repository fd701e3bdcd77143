// Authentication (session cookie or API token), CSRF protection and role checks for every
// non-public route. Public: the login page, /healthz and /static/*.
import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { ProblemError } from '../../http/problem.ts';
import { getSession, type Role, userForApiToken } from '../../storage/users-store.ts';
import type { AppEnv, DashboardDeps } from '../context.ts';
import { badParam } from '../http/params.ts';

/** __Host- binds a cookie to this exact origin over TLS (Secure, no Domain, Path=/). */
export function cookieName(name: string, secure: boolean): string {
  return secure ? `__Host-${name}` : name;
}

export function sessionCookieName(secure: boolean): string {
  return cookieName('vigil_session', secure);
}

export function isPublicPath(path: string): boolean {
  return path === '/healthz' || path === '/login' || path.startsWith('/static/') || path === '/favicon.ico';
}

/** Programs and fetch() calls get problem+json; browsers navigating to a page get the login page. */
function wantsJson(c: Context): boolean {
  const p = c.req.path;
  if (p.startsWith('/api/') || p.startsWith('/fhir') || p === '/api') return true;
  return !(c.req.header('accept') ?? '').includes('text/html');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The origin browsers use: VIGIL_PUBLIC_URL when set (behind a TLS-terminating ingress the request
 * itself arrives as plain http), else the request's own.
 */
function requestOrigin(c: Context, deps: DashboardDeps): string {
  if (deps.publicUrl) return deps.publicUrl.origin;
  const url = new URL(c.req.url);
  return `${url.protocol}//${c.req.header('host') ?? url.host}`;
}

export function authMiddleware(deps: DashboardDeps): MiddlewareHandler<AppEnv> {
  const cookieName = sessionCookieName(deps.secureCookies);
  return async (c, next) => {
    if (isPublicPath(c.req.path)) return next();
    const secret = await deps.secret();
    const now = deps.now();
    const authz = c.req.header('authorization');
    if (authz !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(authz);
      const user = m ? await userForApiToken(deps.db, secret, m[1]!, now) : undefined;
      if (!user)
        throw new ProblemError(
          401,
          'the API token is not valid, has expired or has been revoked',
          [{ pointer: 'header:Authorization', detail: 'not a valid API token' }],
          {
            headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
            extensions: { field: 'Authorization' },
          },
        );
      if (user.scope === 'read-only' && !SAFE_METHODS.has(c.req.method))
        throw new ProblemError(403, 'this API token is read-only; create a read-write token to change data', [
          { pointer: 'header:Authorization', detail: 'read-only token' },
        ]);
      // API-token requests carry no ambient credential (no cookie), so they need no CSRF token.
      c.set('user', { id: user.id, username: user.username, role: user.role });
      c.set('session', undefined);
      return next();
    }
    const raw = getCookie(c, cookieName);
    const session = raw ? await getSession(deps.db, secret, raw, now) : undefined;
    if (!session) {
      if (wantsJson(c)) {
        throw new ProblemError(401, 'sign in, or send Authorization: Bearer <API token>', [], {
          headers: { 'www-authenticate': 'Bearer realm="vigil"' },
        });
      }
      const next = c.req.method === 'GET' ? c.req.path + (new URL(c.req.url).search || '') : '/';
      return c.redirect(`/login?next=${encodeURIComponent(next)}`, 302);
    }
    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header('origin');
      if (origin !== undefined && origin !== 'null' && origin !== requestOrigin(c, deps))
        throw badParam('Origin', 'cross-origin request refused', 'header', 403);
      let token = c.req.header('x-csrf-token');
      if (token === undefined) {
        const ct = c.req.header('content-type') ?? '';
        if (ct.startsWith('application/x-www-form-urlencoded') || ct.startsWith('multipart/form-data')) {
          const body = await c.req.parseBody();
          token = typeof body._csrf === 'string' ? body._csrf : undefined;
        }
      }
      if (token === undefined || !safeEqual(token, session.csrfToken))
        throw badParam(
          'X-CSRF-Token',
          'missing or wrong CSRF token (header X-CSRF-Token or form field _csrf)',
          'header',
          403,
        );
    }
    c.set('user', session.user);
    c.set('session', session);
    return next();
  };
}

export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = c.get('user');
    if (user.role !== role && !(role === 'clinician' && user.role === 'admin'))
      throw new ProblemError(403, `this needs the ${role} role; you are signed in as ${user.role}`);
    return next();
  };
}
