// /static/*: the dashboard's own ES modules and CSS (dashboard/static/), and chart.js's UMD build
// from node_modules (no CDN: the wards may have no internet). Loaded once into memory; tiny.

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { Hono } from 'hono';
import { projectPath } from '../config/project-root.ts';
import type { AppEnv } from './context.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function chartJsPath(): string {
  // chart.js's `exports` hides dist/chart.umd.js; resolve the CJS entry and take its sibling.
  const cjs = createRequire(import.meta.url).resolve('chart.js');
  return join(dirname(cjs), 'chart.umd.js');
}

function loadAssets(): Map<string, { body: Uint8Array; type: string }> {
  const dir = projectPath('dashboard/static');
  const assets = new Map<string, { body: Uint8Array; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { body: readFileSync(join(dir, name)), type });
  }
  assets.set('chart.umd.js', { body: readFileSync(chartJsPath()), type: TYPES['.js']! });
  return assets;
}

export function staticRoutes(): Hono<AppEnv> {
  const assets = loadAssets();
  const app = new Hono<AppEnv>();
  app.get('/static/:name', (c) => {
    const a = assets.get(c.req.param('name'));
    if (!a) return c.text('not found', 404);
    return c.body(a.body as Uint8Array<ArrayBuffer>, 200, {
      'content-type': a.type,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
  });
  return app;
}
