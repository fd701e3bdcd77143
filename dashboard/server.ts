// The clinician dashboard: a Hono app reading everything from storage (so replicas need nothing
// shared but the database), served by @hono/node-server.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { getConfig } from '../config/env.ts';
import { createFhirRoutes } from '../fhir/routes.ts';
import { ProblemError } from '../http/problem.ts';
import type { Db } from '../storage/db.ts';
import { resolveSecret } from '../storage/users-store.ts';
import { alertsRoutes } from './api/alerts-routes.ts';
import { createLimitsRoutes } from './api/limits-routes.ts';
import { patientsRoutes } from './api/patients-routes.ts';
import { loginRoutes } from './auth/login-routes.ts';
import { authMiddleware } from './auth/middleware.ts';
import type { AppEnv, DashboardDeps } from './context.ts';
import { EventPoller } from './live/poller.ts';
import { streamRoutes } from './live/stream-route.ts';
import { pageRoutes } from './pages/routes.ts';
import { staticRoutes } from './static-routes.ts';

export interface DashboardOptions {
  db: Db;
  /** Mark cookies Secure (and use the __Host- prefix); on behind TLS. Default: VIGIL_SECURE_COOKIES. */
  secureCookies?: boolean;
  now?: () => number;
  /** Poll interval of the shared live-event loop (ms). */
  pollIntervalMs?: number;
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
      return new ProblemError(503, 'storage is not reachable').getResponse();
    }
  });
  app.route('/', staticRoutes());
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
    c.req.path.startsWith('/api/')
      ? new ProblemError(404, `no route ${c.req.method} ${c.req.path}`).getResponse()
      : c.html('<!doctype html><title>Not found</title><p>Not found. <a href="/">Ward</a></p>', 404),
  );
  app.onError((err, c) => {
    if (err instanceof ProblemError) return err.getResponse();
    // No request data in logs: it may identify a patient.
    console.error(`dashboard: ${c.req.method} ${c.req.routePath} failed: ${err.name}: ${err.message}`);
    return new ProblemError(500, 'the dashboard hit an internal error; it has been logged').getResponse();
  });
  return Object.assign(app, { poller: deps.poller });
}

export interface StartOptions {
  db: Db;
  port: number;
  host?: string;
  secureCookies?: boolean;
}

export async function startDashboard(opts: StartOptions): Promise<{ url: string; close(): Promise<void> }> {
  const app = createDashboardApp({
    db: opts.db,
    ...(opts.secureCookies !== undefined ? { secureCookies: opts.secureCookies } : {}),
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
