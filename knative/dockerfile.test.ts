// The Dockerfile cannot be built here (no Docker engine), so its invariants are checked as text:
// multi-stage, production deps only, non-root numeric USER, the model inside, the serve CMD.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  name: string;
  from: string;
  body: Instruction[];
}

/** Dockerfile → stages of instructions (comments dropped, `\` continuations joined). */
function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let buf = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (!buf && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (!buf) start = i + 1;
    if (line.trimStart().startsWith('#')) return;
    buf += (buf ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (!line.endsWith('\\')) {
      const m = /^(\w+)\s+(.*)$/.exec(buf)!;
      instructions.push({ op: m[1]!.toUpperCase(), args: m[2]!, line: start });
      buf = '';
    }
  });
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
      stages.push({ from: m[1]!, name: m[2] ?? String(stages.length), body: [] });
    } else if (stages.length === 0) args.push(ins);
    else stages.at(-1)!.body.push(ins);
  }
  return { args, stages };
}

const text = readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
const { args, stages } = parseDockerfile(text);
const final = stages.at(-1)!;
const runs = (s: Stage) => s.body.filter((i) => i.op === 'RUN').map((i) => i.args);

describe('Dockerfile', () => {
  it('has build, production-deps and runtime stages from the same Node 20 base', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    const base = args.find((a) => a.op === 'ARG' && a.args.startsWith('NODE_IMAGE='))?.args.split('=')[1];
    expect(base).toMatch(/^node:20[-.\w]*$/);
    for (const s of stages) expect(s.from).toBe('${NODE_IMAGE}');
  });

  it('builds with npm ci + npm run build, and ships only `npm ci --omit=dev` node_modules', () => {
    const build = stages.find((s) => s.name === 'build')!;
    expect(runs(build).join('\n')).toMatch(/(^|&& )npm ci(\s|$)/m);
    expect(runs(build)).toContain('npm run build');
    const deps = stages.find((s) => s.name === 'deps')!;
    expect(runs(deps).join('\n')).toContain('npm ci --omit=dev');
    const copies = final.body.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=deps /app/node_modules ./node_modules');
    expect(copies).toContain('--from=build /app/dist ./dist');
    expect(copies.some((c) => c.includes('--from=build') && c.includes('node_modules'))).toBe(false);
    expect(runs(final)).toEqual([]);
  });

  it('keeps onnxruntime-node install scripts off (npm 11 allowScripts, plus the install switch)', () => {
    const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
    expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
    const npm = args.find((a) => a.args.startsWith('NPM_VERSION='))?.args.split('=')[1];
    expect(Number(npm?.split('.')[0])).toBeGreaterThanOrEqual(11);
    for (const s of stages.slice(0, 2)) {
      expect(runs(s).join('\n')).toContain('npm install -g npm@${NPM_VERSION}');
      expect(s.body.some((i) => i.op === 'ENV' && i.args.includes('ONNXRUNTIME_NODE_INSTALL=skip'))).toBe(
        true,
      );
    }
  });

  it('copies the seizure model into the runtime image and points the detector at it', () => {
    const copy = final.body.find((i) => i.op === 'COPY' && i.args.includes('models/seizure/model.onnx'));
    expect(copy?.args).toContain('./models/seizure/');
    expect(existsSync(path.join(repo, 'models/seizure/model.onnx'))).toBe(true);
    const env = final.body
      .filter((i) => i.op === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toContain('VIGIL_SEIZURE_MODEL_DIR=/app/models/seizure');
    expect(env).toContain('PORT=8080');
  });

  it('runs as a numeric non-root user with the serve CMD in exec form', () => {
    const users = final.body.filter((i) => i.op === 'USER');
    expect(users).toHaveLength(1);
    const [uid] = users[0]!.args.split(':');
    expect(Number(uid)).toBeGreaterThan(0);
    expect(final.body.findIndex((i) => i.op === 'USER')).toBeGreaterThan(
      final.body.findLastIndex((i) => i.op === 'COPY'),
    );
    const cmd = final.body.filter((i) => i.op === 'CMD');
    expect(cmd).toHaveLength(1);
    expect(JSON.parse(cmd[0]!.args)).toEqual(['node', 'dist/cli/serve.js']);
    expect(stages.flatMap((s) => s.body).some((i) => i.op === 'HEALTHCHECK')).toBe(false);
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const ignore = readFileSync(path.join(repo, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const ins of final.body.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = ins.args.split(/\s+/).slice(0, -1);
      for (const src of sources) {
        expect(existsSync(path.join(repo, src)), `line ${ins.line}: ${src}`).toBe(true);
        expect(
          ignore.some((p) => src === p || src.startsWith(`${p}/`)),
          `.dockerignore hides ${src}`,
        ).toBe(false);
      }
    }
    for (const needed of ['package-lock.json', 'models', 'tsconfig.build.json'])
      expect(ignore).not.toContain(needed);
  });
});
