// The clinician dashboard: a Hono app reading everything from storage (so replicas need nothing
// shared but the database), served by @hono/node-server.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { secureHeaders } from 'hono/secure-headers';
import { getConfig } from '../config/env.ts';
import { createFhirRoutes } from '../fhir/routes.ts';
import type { Db } from '../storage/db.ts';
import { resolveSecret } from '../storage/users-store.ts';
import { alertsRoutes } from './api/alerts-routes.ts';
import { createLimitsRoutes } from './api/limits-routes.ts';
import { patientsRoutes } from './api/patients-routes.ts';
import { staticRoutes } from './assets/static-routes.ts';
import { loginRoutes } from './auth/login-routes.ts';
import { authMiddleware } from './auth/middleware.ts';
import type { AppEnv, DashboardDeps } from './context.ts';
import { BadParam, problem } from './http/problem.ts';
import { EventPoller } from './live/poller.ts';
import { streamRoutes } from './live/stream-route.ts';
import { errorPage, wantsHtml } from './pages/error-page.ts';
import { pageRoutes } from './pages/routes.ts';

export interface DashboardOptions {
  db: Db;
  /** Mark cookies Secure (and use the __Host- prefix); on behind TLS. Default: VIGIL_SECURE_COOKIES. */
  secureCookies?: boolean;
  now?: () => number;
  /** Poll interval of the shared live-event loop (ms). */
  pollIntervalMs?: number;
  /** The ward's IANA time zone. Default: VIGIL_WARD_TIMEZONE. */
  wardTimeZone?: string;
}

export type DashboardApp = Hono<AppEnv> & { poller: EventPoller };

export function createDashboardApp(opts: DashboardOptions): DashboardApp {
  const now = opts.now ?? Date.now;
  let secret: Promise<string> | undefined;
  const deps: DashboardDeps = {
    db: opts.db,
    now,
    secret: () => {
      secret ??= resolveSecret(opts.db).catch((err) => {
        secret = undefined;
        throw err;
      });
      return secret;
    },
    secureCookies: opts.secureCookies ?? getConfig().VIGIL_SECURE_COOKIES,
    poller: new EventPoller(opts.db, { intervalMs: opts.pollIntervalMs ?? 150, now }),
    wardTimeZone: opts.wardTimeZone ?? getConfig().VIGIL_WARD_TIMEZONE,
  };

  const app = new Hono<AppEnv>();
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
      // The token/patient pages must not be cached by shared proxies.
      strictTransportSecurity: deps.secureCookies ? 'max-age=31536000' : false,
    }),
  );
  app.get('/healthz', async (c) => {
    try {
      await opts.db.get('SELECT 1 AS ok');
      return c.json({ status: 'ok' });
    } catch {
      return problem(c, 503 as never, 'storage is not reachable');
    }
  });
  app.route('/', staticRoutes());
  // JSON (history, trends, FHIR) is compressed on the fly. HTML is not: it carries the CSRF token next
  // to text an attacker could choose (query filters), the setting a BREACH-style attack needs; pages are
  // small and their assets come precompressed. SSE is never compressed (it must flush per event).
  app.use('*', compress({ contentTypeFilter: /^application\/(?:[a-z.+-]+\+)?json\b/ }));
  app.use('*', authMiddleware(deps));
  app.use('*', async (c, next) => {
    await next();
    if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store');
  });
  app.route('/', loginRoutes(deps));
  app.route('/', streamRoutes(deps));
  app.route('/', patientsRoutes(deps));
  app.route('/', alertsRoutes(deps));
  // Sub-apps of other areas, behind the same authentication and CSRF check (c.get('user') is set).
  app.route('/', createLimitsRoutes(opts.db, now) as unknown as Hono<AppEnv>);
  app.route('/fhir', createFhirRoutes(opts.db) as unknown as Hono<AppEnv>);
  app.route('/', pageRoutes(deps));

  app.notFound((c) =>
    wantsHtml(c)
      ? errorPage(
          c,
          deps,
          404,
          'There is no page at this address. It may have moved, or the link is mistyped.',
        )
      : problem(c, 404, `no route ${c.req.method} ${c.req.path}`),
  );
  app.onError((err, c) => {
    if (err instanceof BadParam)
      return wantsHtml(c)
        ? errorPage(c, deps, 400, `${err.message}.`)
        : problem(c, 400, err.message, { field: err.field });
    // No request data in logs: it may identify a patient.
    console.error(`dashboard: ${c.req.method} ${c.req.routePath} failed: ${err.name}: ${err.message}`);
    return wantsHtml(c)
      ? errorPage(
          c,
          deps,
          500,
          'The dashboard hit an internal error; it has been logged. Try again in a moment.',
        )
      : problem(c, 500, 'the dashboard hit an internal error; it has been logged');
  });
  return Object.assign(app, { poller: deps.poller });
}

export interface StartOptions {
  db: Db;
  port: number;
  host?: string;
  secureCookies?: boolean;
  wardTimeZone?: string;
}

export async function startDashboard(opts: StartOptions): Promise<{ url: string; close(): Promise<void> }> {
  const app = createDashboardApp({
    db: opts.db,
    ...(opts.secureCookies !== undefined ? { secureCookies: opts.secureCookies } : {}),
    ...(opts.wardTimeZone !== undefined ? { wardTimeZone: opts.wardTimeZone } : {}),
  });
  const host = opts.host ?? '127.0.0.1';
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}`,
    close: async () => {
      await app.poller.drain();
      // SSE responses never end on their own: close idle and streaming connections too.
      const s = server as unknown as { closeAllConnections?: () => void };
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        s.closeAllConnections?.();
      });
    },
  };
}
