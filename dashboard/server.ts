// The clinician dashboard: a Hono app reading everything from storage (so replicas need nothing
// shared but the database), served by @hono/node-server.
import type { BlockList } from 'node:net';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { getConfig } from '../config/env.ts';
import { createFhirRoutes } from '../fhir/routes.ts';
import { limitBody } from '../http/body-limit.ts';
import { requireDecodableUrl } from '../http/decodable.ts';
import { listen } from '../http/listen.ts';
import { ProblemError } from '../http/problem.ts';
import type { Db } from '../storage/db.ts';
import { resolveSecret } from '../storage/users-store.ts';
import { alertsRoutes } from './api/alerts-routes.ts';
import { createLimitsRoutes } from './api/limits-routes.ts';
import { patientsRoutes } from './api/patients-routes.ts';
import { loginRoutes } from './auth/login-routes.ts';
import { authMiddleware } from './auth/middleware.ts';
import type { AppEnv, DashboardDeps } from './context.ts';
import { MAX_BODY_BYTES } from './http/body.ts';
import { EventPoller } from './live/poller.ts';
import { streamRoutes } from './live/stream-route.ts';
import { accountRoutes } from './pages/account-routes.ts';
import { pageRoutes } from './pages/routes.ts';
import { staticRoutes } from './static-routes.ts';

export interface DashboardOptions {
  db: Db;
  /** The public origin (default VIGIL_PUBLIC_URL); https:// makes cookies Secure with the __Host- prefix and adds HSTS. */
  publicUrl?: string | URL | undefined;
  /** Proxies whose X-Forwarded-For is believed (default VIGIL_TRUSTED_PROXIES). */
  trustedProxies?: BlockList | undefined;
  now?: () => number;
  /** Poll interval of the shared live-event loop (ms). */
  pollIntervalMs?: number;
}

export type DashboardApp = Hono<AppEnv> & { poller: EventPoller };

export function createDashboardApp(opts: DashboardOptions): DashboardApp {
  const now = opts.now ?? Date.now;
  const configured = 'publicUrl' in opts ? opts.publicUrl : getConfig().VIGIL_PUBLIC_URL;
  const publicUrl = configured === undefined ? undefined : new URL(configured);
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
    publicUrl,
    secureCookies: publicUrl?.protocol === 'https:',
    trustedProxies: 'trustedProxies' in opts ? opts.trustedProxies : getConfig().VIGIL_TRUSTED_PROXIES,
    poller: new EventPoller(opts.db, { intervalMs: opts.pollIntervalMs ?? 150, now }),
  };

  const app = new Hono<AppEnv>();
  // Before anything reads a body (the login form, the CSRF field of a form post): 64 KiB.
  app.use('*', limitBody(MAX_BODY_BYTES));
  app.use('*', requireDecodableUrl());
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
      strictTransportSecurity: deps.secureCookies ? 'max-age=31536000; includeSubDomains' : false,
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
  app.route('/', accountRoutes(deps));
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
}

export async function startDashboard(opts: StartOptions): Promise<{ url: string; close(): Promise<void> }> {
  const app = createDashboardApp({
    db: opts.db,
  });
  const listening = await listen(app, opts.port, opts.host ?? '127.0.0.1');
  return {
    url: listening.url,
    close: async () => {
      await app.poller.drain();
      // SSE responses never end on their own: listening.close() closes streaming connections too.
      await listening.close();
    },
  };
}
