// Static assets: content-hashed names cached for a year, plain names revalidated by ETag, brotli or
// gzip as the browser accepts, module imports rewritten to hashed names.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { assetStore, buildAssets } from './asset-store.ts';
import { pickEncoding, staticRoutes } from './static-routes.ts';

const app = new Hono().route('/', staticRoutes() as unknown as Hono);

describe('static assets', () => {
  it('serves hashed names immutable for a year, brotli-compressed, and the same bytes as the file', async () => {
    const url = assetStore().url('chart.umd.js');
    expect(url).toMatch(/^\/static\/chart\.umd\.[0-9a-f]{10}\.js$/);
    const res = await app.request(url, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    const body = Buffer.from(await res.arrayBuffer());
    const plain = await app.request('/static/chart.umd.js');
    const identity = Buffer.from(await plain.arrayBuffer());
    expect(brotliDecompressSync(body).equals(identity)).toBe(true);
    // chart.js is about 200 KB; compressed it is a third of that or less.
    expect(body.length).toBeLessThan(identity.length / 3);
    const gz = await app.request(url, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).equals(identity)).toBe(true);
  });

  it('revalidates plain names by ETag: 304 without a body', async () => {
    const first = await app.request('/static/style.css');
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await app.request('/static/style.css', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    expect((await app.request('/static/style.css', { headers: { 'if-none-match': '"other"' } })).status).toBe(
      200,
    );
    expect((await app.request('/static/nope.js')).status).toBe(404);
  });

  it('rewrites module imports to hashed names, so a changed dependency changes the importer’s name', () => {
    const enc = (s: string) => Buffer.from(s, 'utf8');
    const v1 = buildAssets(
      new Map([
        ['common.js', enc('export const a = 1;')],
        ['page.js', enc("import { a } from './common.js';")],
      ]),
    );
    const v2 = buildAssets(
      new Map([
        ['common.js', enc('export const a = 2;')],
        ['page.js', enc("import { a } from './common.js';")],
      ]),
    );
    const text = Buffer.from(v1.get('page.js')!.identity).toString('utf8');
    expect(text).toBe(`import { a } from './${v1.get('common.js')!.hashedName}';`);
    expect(v1.get('page.js')!.hashedName).not.toBe(v2.get('page.js')!.hashedName);
    expect(() => buildAssets(new Map([['a.js', enc("import './b.js';")]]))).toThrow(/b\.js is imported/);
  });

  it('picks brotli, then gzip, and honours q=0', () => {
    expect(pickEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(pickEncoding('gzip')).toBe('gzip');
    expect(pickEncoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(pickEncoding('*;q=0')).toBe('identity');
    expect(pickEncoding(undefined)).toBe('identity');
  });

  it('serves the favicon', async () => {
    const res = await app.request('/favicon.ico');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
  });
});
