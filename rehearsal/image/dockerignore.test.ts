import { describe, expect, it } from 'vitest';
import { isIgnored, parseDockerignore } from './dockerignore.ts';

describe('.dockerignore', () => {
  const p = parseDockerignore(
    [
      '# comment',
      '/.git',
      'node_modules',
      '**/*.test.ts',
      'perf/results',
      'data',
      '!data/keep.txt',
      'a?c',
      'x/*/z',
    ].join('\n'),
  );

  it('leaves out a listed path and everything under it', () => {
    expect(isIgnored(p, '.git')).toBe(true);
    expect(isIgnored(p, '.git/config')).toBe(true);
    expect(isIgnored(p, 'node_modules/hono/package.json')).toBe(true);
    expect(isIgnored(p, 'perf/results/x.json')).toBe(true);
    expect(isIgnored(p, 'perf/load.ts')).toBe(false);
  });

  it('matches ** across folders and * ? within one segment', () => {
    expect(isIgnored(p, 'a.test.ts')).toBe(true);
    expect(isIgnored(p, 'functions/x/y.test.ts')).toBe(true);
    expect(isIgnored(p, 'functions/x/y.ts')).toBe(false);
    expect(isIgnored(p, 'abc')).toBe(true);
    expect(isIgnored(p, 'abbc')).toBe(false);
    expect(isIgnored(p, 'x/y/z')).toBe(true);
    expect(isIgnored(p, 'x/y/w/z')).toBe(false);
  });

  it('lets a later ! pattern re-include, and the last match decide', () => {
    expect(isIgnored(p, 'data/keep.txt')).toBe(false);
    expect(isIgnored(p, 'data/other.txt')).toBe(true);
    const again = parseDockerignore('models\n!models\nmodels/big.bin');
    expect(isIgnored(again, 'models/seizure/model.onnx')).toBe(false);
    expect(isIgnored(again, 'models/big.bin')).toBe(true);
  });

  it('reads the repository .dockerignore so the image keeps what it needs', async () => {
    const { readFileSync } = await import('node:fs');
    const repo = parseDockerignore(readFileSync(new URL('../../.dockerignore', import.meta.url), 'utf8'));
    for (const kept of [
      'package-lock.json',
      'models/seizure/model.onnx',
      'tsconfig.build.json',
      'cli/serve.ts',
    ])
      expect(isIgnored(repo, kept), kept).toBe(false);
    for (const left of ['node_modules/x', 'functions/http-adapter.test.ts', 'dist/cli/serve.js', 'data/demo'])
      expect(isIgnored(repo, left), left).toBe(true);
  });
});
