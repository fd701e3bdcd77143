// Error pages for people (a browser navigating): the site's shell, what went wrong in plain words and
// a way on. Programs asking for JSON get problem+json instead (http/problem.ts).
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv, DashboardDeps } from '../context.ts';
import { wardClock } from './format.ts';
import { page } from './layout.ts';

const TITLES: Record<number, string> = {
  400: 'That request could not be understood',
  403: 'You do not have access to this',
  404: 'Page not found',
  409: 'Someone changed this first',
  500: 'Something went wrong',
};

/** A browser navigating to a page (not fetch(), not an API client). */
export function wantsHtml(c: Context): boolean {
  const p = c.req.path;
  if (p.startsWith('/api/') || p.startsWith('/fhir') || p.startsWith('/static/')) return false;
  return (c.req.header('accept') ?? '').includes('text/html');
}

export function errorPage(
  c: Context<AppEnv>,
  deps: DashboardDeps,
  status: ContentfulStatusCode,
  message: string,
) {
  const title = TITLES[status] ?? 'Error';
  // The user is set only behind authentication; an unknown URL may be reached before it ran.
  const user = c.get('user') as AppEnv['Variables']['user'] | undefined;
  return c.html(
    page(
      {
        title,
        clock: wardClock(deps.wardTimeZone, deps.now()),
        user,
        csrfToken: c.get('session')?.csrfToken,
      },
      html`<section class="card error-page" aria-labelledby="err-h">
  <p class="muted small">Error ${status}</p>
  <h1 id="err-h">${title}</h1>
  <p>${message}</p>
  <p><a href="/">Go to the ward</a> · <a href="/alerts">Open the alert inbox</a></p>
</section>`,
    ),
    status,
  );
}
