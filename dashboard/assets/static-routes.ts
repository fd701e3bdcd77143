// /static/*: the dashboard's own ES modules, CSS and icon (dashboard/static/) and chart.js's UMD build
// from node_modules (no CDN: the wards may have no internet), from the asset store. Hashed names are
// immutable for a year; plain names revalidate by ETag. Brotli or gzip as the browser accepts.

import { type Context, Hono } from 'hono';
import type { AppEnv } from '../context.ts';
import { type Asset, assetStore } from './asset-store.ts';

const YEAR_S = 365 * 24 * 3600;

/** The best encoding the request accepts (q > 0), brotli first. */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | 'identity' {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(token, q === undefined ? 1 : Number(q));
  }
  const ok = (e: string) => (accepted.get(e) ?? accepted.get('*') ?? 0) > 0;
  return ok('br') ? 'br' : ok('gzip') ? 'gzip' : 'identity';
}

function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === etag || t === '*');
}

export function staticRoutes(): Hono<AppEnv> {
  const assets = assetStore();
  const app = new Hono<AppEnv>();
  const serve = (c: Context<AppEnv>, found: { asset: Asset; hashed: boolean }) => {
    const a = found.asset;
    const headers: Record<string, string> = {
      'content-type': a.type,
      'cache-control': found.hashed ? `public, max-age=${YEAR_S}, immutable` : 'no-cache',
      etag: a.etag,
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
    };
    if (etagMatches(c.req.header('if-none-match'), a.etag)) return c.body(null, 304, headers);
    const enc = pickEncoding(c.req.header('accept-encoding'));
    if (enc !== 'identity') headers['content-encoding'] = enc;
    const body = enc === 'br' ? a.br : enc === 'gzip' ? a.gzip : a.identity;
    return c.body(body as Uint8Array<ArrayBuffer>, 200, headers);
  };
  app.get('/static/:name', (c) => {
    const found = assets.get(c.req.param('name'));
    return found ? serve(c, found) : c.text('not found', 404);
  });
  // Browsers ask for /favicon.ico on their own; the icon is an SVG.
  app.get('/favicon.ico', (c) => serve(c, assets.get('favicon.svg')!));
  return app;
}
