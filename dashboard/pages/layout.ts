// The page shell every server-rendered page shares: header with navigation, the signed-in user, logout.
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ActingUser } from '../context.ts';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const NAV = [
  { href: '/', label: 'Ward' },
  { href: '/alerts', label: 'Alerts' },
  { href: '/capacity', label: 'Capacity' },
  { href: '/admin', label: 'Admin', admin: true },
] as const;

export interface PageOptions {
  title: string;
  active?: string;
  user?: ActingUser | undefined;
  csrfToken?: string | undefined;
  /** ES module under /static/ to load for this page. */
  script?: string;
  /** Load chart.js (UMD global `Chart`) before the page module. */
  chart?: boolean;
  /** JSON handed to the page module via <script type="application/json" id="page-data">. */
  data?: unknown;
}

/** JSON safe to embed inside <script>: `<` is escaped so `</script>` cannot close the tag. */
export function embedJson(v: unknown): string {
  return JSON.stringify(v ?? null)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function page(opts: PageOptions, body: Html): Html {
  const u = opts.user;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${opts.csrfToken ? html`<meta name="csrf-token" content="${opts.csrfToken}">` : ''}
<title>${opts.title} · Vigil</title>
<link rel="stylesheet" href="/static/style.css">
${opts.chart ? html`<script src="/static/chart.umd.js"></script>` : ''}
${opts.script ? html`<script type="module" src="/static/${opts.script}"></script>` : ''}
</head>
<body>
<header class="topbar">
  <a class="brand" href="/">Vigil</a>
  ${
    u
      ? html`<nav aria-label="Main">${NAV.filter((n) => !('admin' in n) || u.role === 'admin').map(
          (n) =>
            html`<a href="${n.href}"${opts.active === n.href ? raw(' aria-current="page"') : ''}>${n.label}</a>`,
        )}</nav>
  <div class="who"><span id="live-status" class="live-status" role="status"></span>
  <span><a href="/account">${u.username}</a> (${u.role})</span>
  <form method="post" action="/logout"><input type="hidden" name="_csrf" value="${opts.csrfToken ?? ''}"><button type="submit">Sign out</button></form></div>`
      : ''
  }
</header>
<main id="main">
${body}
</main>
${opts.data !== undefined ? html`<script type="application/json" id="page-data">${raw(embedJson(opts.data))}</script>` : ''}
</body>
</html>`;
}
