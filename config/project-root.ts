// Where Vigil is installed: the folder holding its package.json. Source files (run with tsx) and the
// compiled ones under dist/ find the same root, so the assets beside package.json (models, dashboard
// assets, Trigger YAML, the capacity plan) resolve alike in a checkout and in the container image.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vigil')
      return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json of vigil above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** A path under the install root, e.g. projectPath('models/seizure'). */
export function projectPath(...parts: string[]): string {
  return resolve(PROJECT_ROOT, ...parts);
}
