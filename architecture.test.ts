// The shape of the tree, checked: the layers import only downwards, the environment has one door,
// and the image's production dependencies are exactly what its runtime code imports.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './config/project-root.ts';

const SKIP = new Set(['node_modules', 'dist', 'dist-bench', '.git', 'test-output', '.vigil', 'coverage']);

function sources(dir = PROJECT_ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return SKIP.has(e.name) ? [] : sources(full);
    return /\.(ts|js|mjs)$/.test(e.name) ? [full] : [];
  });
}
const rel = (f: string) => path.relative(PROJECT_ROOT, f);
const isTest = (f: string) => /\.test\.ts$/.test(f);

/** Every module specifier a file names: imports, re-exports, dynamic imports, require and require.resolve. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const info = ts.preProcessFile(text, true, true);
  const resolved = [...text.matchAll(/createRequire\([^)]*\)\.resolve\(\s*(['"])([^'"]+)\1/g)].map(
    (m) => m[2]!,
  );
  return [...info.importedFiles.map((f) => f.fileName), ...resolved];
}

/** Project files a file imports, as paths relative to the root. */
function localImports(file: string): string[] {
  return specifiers(file)
    .filter((s) => s.startsWith('.'))
    .map((s) => rel(path.resolve(path.dirname(file), s)));
}

const all = sources();
const code = all.filter((f) => !isTest(f));

describe('layers', () => {
  const under = (dir: string) => code.filter((f) => rel(f).startsWith(`${dir}/`));

  it('eventing/event.ts, the event model, imports nothing', () => {
    expect(specifiers(path.join(PROJECT_ROOT, 'eventing/event.ts'))).toEqual([]);
  });

  it('eventing/ and storage/ import nothing from functions/', () => {
    const offenders = [...under('eventing'), ...under('storage')].flatMap((f) =>
      localImports(f)
        .filter((i) => i.startsWith('functions/'))
        .map((i) => `${rel(f)} -> ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it('storage/ imports nothing from eventing/', () => {
    const offenders = all
      .filter((f) => rel(f).startsWith('storage/'))
      .flatMap((f) =>
        localImports(f)
          .filter((i) => i.startsWith('eventing/'))
          .map((i) => `${rel(f)} -> ${i}`),
      );
    expect(offenders).toEqual([]);
  });

  it('the functions the image serves import nothing from training/, perf/ or simulator/', () => {
    const offenders = under('functions').flatMap((f) =>
      localImports(f)
        .filter((i) => /^(training|perf|simulator)\//.test(i))
        .map((i) => `${rel(f)} -> ${i}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe('the environment', () => {
  it('is read only by config/env.ts', () => {
    const readers = code.filter(
      (f) => rel(f) !== 'config/env.ts' && /process\.env\b/.test(readFileSync(f, 'utf8')),
    );
    expect(readers.map(rel)).toEqual([]);
  });
});

describe('what the image ships', () => {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const configFile = ts.readConfigFile(path.join(PROJECT_ROOT, 'tsconfig.build.json'), ts.sys.readFile);
  const built = ts.parseJsonConfigFileContent(configFile.config, ts.sys, PROJECT_ROOT).fileNames;
  const packageOf = (s: string) => s.match(/^(@[^/]+\/[^/]+|[^/]+)/)![1]!;

  it('compiles only runtime code', () => {
    expect(built.length).toBeGreaterThan(50);
    const dev = built
      .map(rel)
      .filter((f) => /^(training|perf|simulator|recordings|deploy|knative|rehearsal)\//.test(f));
    expect(dev).toEqual([]);
    expect(built.map(rel).filter(isTest)).toEqual([]);
  });

  it('every file the build compiles imports only files the build compiles', () => {
    const inBuild = new Set(built.map(rel));
    const missing = built.flatMap((f) =>
      localImports(f)
        .filter((i) => /\.ts$/.test(i) && !inBuild.has(i))
        .map((i) => `${rel(f)} -> ${i}`),
    );
    expect(missing).toEqual([]);
  });

  it('has as production dependencies exactly the packages runtime code imports', () => {
    const imported = new Set(
      built.flatMap((f) =>
        specifiers(f)
          .filter((s) => !s.startsWith('.') && !s.startsWith('node:'))
          .map(packageOf),
      ),
    );
    expect([...imported].sort()).toEqual(Object.keys(pkg.dependencies).sort());
  });
});
