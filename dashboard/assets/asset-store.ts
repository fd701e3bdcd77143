// The dashboard's static files, prepared once per process: every file gets a content-hashed name
// (`patient.3f9a1c2b.js`) so browsers may keep it for a year, ES-module imports between them are
// rewritten to those names, and each is compressed ahead of time (brotli and gzip), so serving costs
// a map look-up. The unhashed names stay reachable with ETag revalidation for anything that links them.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { projectPath } from '../../config/project-root.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface Asset {
  /** The file's own name, e.g. `patient.js`. */
  name: string;
  /** Content-hashed name, e.g. `patient.3f9a1c2b.js`. */
  hashedName: string;
  type: string;
  etag: string;
  identity: Uint8Array;
  gzip: Uint8Array;
  br: Uint8Array;
}

export interface AssetStore {
  /** By plain or hashed name. */
  get(name: string): { asset: Asset; hashed: boolean } | undefined;
  /** `/static/<hashed name>` of a file, for pages to link. */
  url(name: string): string;
}

function chartJsPath(): string {
  // chart.js's `exports` hides dist/chart.umd.js; resolve the CJS entry and take its sibling.
  const cjs = createRequire(import.meta.url).resolve('chart.js');
  return join(dirname(cjs), 'chart.umd.js');
}

const IMPORT_RE = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])\.\/([A-Za-z0-9_.-]+\.js)\2/g;

function hashedNameOf(name: string, body: Uint8Array): string {
  const h = createHash('sha256').update(body).digest('hex').slice(0, 10);
  const ext = extname(name);
  return `${name.slice(0, -ext.length)}.${h}${ext}`;
}

/** Hashes files in dependency order: a module's hash covers the hashed names it imports. */
export function buildAssets(sources: Map<string, Uint8Array>): Map<string, Asset> {
  const done = new Map<string, Asset>();
  const visiting = new Set<string>();
  const build = (name: string): Asset => {
    const ready = done.get(name);
    if (ready) return ready;
    if (visiting.has(name)) throw new Error(`static modules import each other in a cycle at ${name}`);
    visiting.add(name);
    const raw = sources.get(name);
    if (!raw) throw new Error(`static file ${name} is imported but does not exist`);
    let body = raw;
    if (extname(name) === '.js') {
      const text = Buffer.from(raw).toString('utf8');
      const rewritten = text.replace(IMPORT_RE, (_m, lead: string, q: string, dep: string) => {
        return `${lead}${q}./${build(dep).hashedName}${q}`;
      });
      body = Buffer.from(rewritten, 'utf8');
    }
    const asset: Asset = {
      name,
      hashedName: hashedNameOf(name, body),
      type: TYPES[extname(name)] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      identity: body,
      gzip: gzipSync(body, { level: 9 }),
      br: brotliCompressSync(body, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
      }),
    };
    visiting.delete(name);
    done.set(name, asset);
    return asset;
  };
  for (const name of sources.keys()) build(name);
  return done;
}

/** The files a dashboard serves: every script, style and icon of `staticDir`, and chart.js's UMD build. */
export function readSources(
  staticDir = projectPath('dashboard/static'),
  chartUmd = chartJsPath(),
): Map<string, Uint8Array> {
  const sources = new Map<string, Uint8Array>();
  for (const name of readdirSync(staticDir).sort())
    if (TYPES[extname(name)] && !name.endsWith('.test.js'))
      sources.set(name, readFileSync(join(staticDir, name)));
  sources.set('chart.umd.js', readFileSync(chartUmd));
  return sources;
}

let store: AssetStore | undefined;

/** The process's assets, built on first use (brotli at quality 11 takes a few hundred ms, once). */
export function assetStore(): AssetStore {
  if (store) return store;
  const assets = buildAssets(readSources());
  const byName = new Map<string, { asset: Asset; hashed: boolean }>();
  for (const a of assets.values()) {
    byName.set(a.name, { asset: a, hashed: false });
    byName.set(a.hashedName, { asset: a, hashed: true });
  }
  store = {
    get: (name) => byName.get(name),
    url: (name) => {
      const a = assets.get(name);
      if (!a) throw new Error(`no static file ${name}`);
      return `/static/${a.hashedName}`;
    },
  };
  return store;
}
