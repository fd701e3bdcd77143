// The page shell every server-rendered page shares: skip link, header with navigation, the signed-in
// user, logout, the ward's time zone, and the live region that announces new alerts.
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { assetStore } from '../assets/asset-store.ts';
import type { ActingUser } from '../context.ts';
import { badgeTemplates, type WardClock } from './format.ts';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const NAV = [
  { href: '/', label: 'Ward' },
  { href: '/alerts', label: 'Alerts' },
  { href: '/capacity', label: 'Capacity' },
  { href: '/admin', label: 'Admin', admin: true },
] as const;

export interface PageOptions {
  title: string;
  clock: WardClock;
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
  const assets = assetStore();
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="ward-timezone" content="${opts.clock.zone}">
${opts.csrfToken ? html`<meta name="csrf-token" content="${opts.csrfToken}">` : ''}
<title>${opts.title} · Vigil</title>
<link rel="icon" href="${assets.url('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assets.url('style.css')}">
${opts.chart ? html`<script src="${assets.url('chart.umd.js')}"></script>` : ''}
${opts.script ? html`<script type="module" src="${assets.url(opts.script)}"></script>` : ''}
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header class="topbar">
  <a class="brand" href="/">Vigil</a>
  ${
    u
      ? html`<nav aria-label="Main">${NAV.filter((n) => !('admin' in n) || u.role === 'admin').map(
          (n) =>
            html`<a href="${n.href}"${opts.active === n.href ? raw(' aria-current="page"') : ''}>${n.label}</a>`,
        )}</nav>
  <div class="who"><span id="live-status" class="live-status" role="status"></span>
  <span class="small" title="The ward's time zone: every time on these pages is in it">${opts.clock.zone === 'UTC' ? 'UTC' : `${opts.clock.zone} (${opts.clock.zoneName})`}</span>
  <span><a href="/account">${u.username}</a> (${u.role})</span>
  <form method="post" action="/logout"><input type="hidden" name="_csrf" value="${opts.csrfToken ?? ''}"><button type="submit">Sign out</button></form></div>`
      : ''
  }
</header>
<div id="live-lost" class="live-lost-banner" role="alert" hidden></div>
<div id="alarm-banner" class="alarm-banner" role="status" hidden></div>
<main id="main" tabindex="-1">
${body}
</main>
<div id="announcer" class="sr-only" aria-live="assertive" aria-atomic="true"></div>
${badgeTemplates()}
${opts.data !== undefined ? html`<script type="application/json" id="page-data">${raw(embedJson(opts.data))}</script>` : ''}
</body>
</html>`;
}
