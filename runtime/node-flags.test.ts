import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../config/project-root.ts';
import { RUNTIME_NODE_FLAGS } from './node-flags.ts';

describe('the runtime’s Node flags', () => {
  it('are the flags `npm start` runs the compiled runtime with, so the benchmarks measure what ships', () => {
    const pkg = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    const run = pkg.scripts.start.split('&&').at(-1)!.trim().split(/\s+/);
    expect(run[0]).toBe('node');
    expect(run.slice(1, -2)).toEqual(RUNTIME_NODE_FLAGS);
    expect(run.slice(-2)).toEqual(['dist/cli/main.js', 'up']);
  });

  it('are flags this Node accepts', async () => {
    const { execFileSync } = await import('node:child_process');
    expect(
      execFileSync(process.execPath, [...RUNTIME_NODE_FLAGS, '-e', 'process.stdout.write("ok")']).toString(),
    ).toBe('ok');
  });
});
