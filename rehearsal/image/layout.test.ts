import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DockerfileError, parseDockerfile } from './dockerfile.ts';
import { resolveIn, runtimeLayout } from './layout.ts';

const layoutOf = (text: string) => runtimeLayout(parseDockerfile(text));

describe("the repository's Dockerfile, as the rehearsal reads it", () => {
  const text = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  const layout = layoutOf(text);

  it('ships a node:20 runtime stage that runs `node --single-threaded-gc dist/cli/serve.js` as a numeric non-root user', () => {
    expect(layout.from).toMatch(/^node:20[-.\w]*$/);
    expect(layout.cmd).toEqual(['node', '--single-threaded-gc', 'dist/cli/serve.js']);
    expect(layout.user?.uid).toBeGreaterThan(0);
    expect(layout.workdir).toBe('/app');
    expect(layout.runs).toEqual([]);
    expect(layout.expose).toEqual([8080]);
  });

  it('sets the ENV the code needs, the model folder inside the image', () => {
    expect(layout.env).toMatchObject({
      NODE_ENV: 'production',
      PORT: '8080',
      VIGIL_SEIZURE_MODEL_DIR: '/app/models/seizure',
    });
  });

  it('takes node_modules from a stage that runs `npm ci --omit=dev`, never from the build stage', () => {
    const nm = layout.copies.find((c) => c.dest === '/app/node_modules');
    expect(nm?.from).toBeDefined();
    const deps = layout.sourceStages[nm!.from!]!;
    expect(deps.runs.map((r) => r.effect)).toContain('npm-ci-omit-dev');
    expect(deps.runs.map((r) => r.effect)).not.toContain('npm-ci');
    expect(deps.env.ONNXRUNTIME_NODE_INSTALL).toBe('skip');
    const dist = layout.copies.find((c) => c.dest === '/app/dist');
    expect(layout.sourceStages[dist!.from!]!.isBuild).toBe(true);
  });

  it('copies the model, the dashboard assets, the capacity plan and the routing YAML from the context', () => {
    const fromContext = layout.copies.filter((c) => c.from === undefined).flatMap((c) => c.sources);
    expect(fromContext).toEqual(
      expect.arrayContaining([
        'package.json',
        'dashboard/static',
        'capacity/plan.json',
        'eventing/triggers.yaml',
        'models/seizure/model.onnx',
        'models/seizure/model.json',
      ]),
    );
  });

  it('installs npm 11 in both building stages (package.json allowScripts needs it)', () => {
    for (const s of Object.values(layout.sourceStages)) {
      const npm = s.runs.find((r) => r.effect === 'npm-version');
      expect(Number(npm?.version?.split('.')[0]), s.name).toBeGreaterThanOrEqual(11);
    }
  });
});

describe('runtime layout rules', () => {
  it('resolves WORKDIR and COPY destinations like Docker', () => {
    expect(resolveIn('/', 'app')).toBe('/app');
    expect(resolveIn('/app', 'x/../y/')).toBe('/app/y');
    expect(resolveIn('/app', './y/', true)).toBe('/app/y/');
    expect(resolveIn('/app', '/abs')).toBe('/abs');
    const l = layoutOf('FROM node:20\nWORKDIR /srv\nWORKDIR sub\nCOPY a ./\nCMD ["node","a"]\n');
    expect(l.workdir).toBe('/srv/sub');
    expect(l.copies[0]!.dest).toBe('/srv/sub/');
  });

  it('refuses what it cannot reproduce: an unknown RUN, ENTRYPOINT, a named USER, a missing stage', () => {
    expect(() =>
      layoutOf('FROM node:20 AS d\nRUN curl x\nFROM node:20\nCOPY --from=d /a /a\nCMD ["node"]'),
    ).toThrow(/cannot reproduce RUN "curl x"/);
    expect(() => layoutOf('FROM node:20\nENTRYPOINT ["x"]\nCMD ["node"]')).toThrow(/ENTRYPOINT/);
    expect(() => layoutOf('FROM node:20\nUSER node\nCMD ["node"]')).toThrow(/numeric/);
    expect(() => layoutOf('FROM node:20\nCOPY --from=nope /a /a\nCMD ["node"]')).toThrow(/no such stage/);
    expect(() => layoutOf('FROM node:20\nHEALTHCHECK CMD x\nCMD ["node"]')).toThrow(DockerfileError);
    expect(() => layoutOf('FROM node:20\nRUN echo\n')).toThrow(/cannot reproduce RUN/);
    expect(() => layoutOf('FROM node:20\nWORKDIR /a\n')).toThrow(/no CMD/);
  });

  it('splits RUN on && and names each command', () => {
    const l = layoutOf(
      'ARG V=11.1.0\nFROM node:20 AS deps\nARG V\nRUN apt-get update && npm install -g npm@${V} && npm ci --omit=dev && npm cache clean --force\nFROM node:20\nCOPY --from=deps /n /n\nCMD ["node"]',
    );
    expect(l.sourceStages.deps!.runs.map((r) => [r.effect, r.version])).toEqual([
      ['toolchain', undefined],
      ['npm-version', '11.1.0'],
      ['npm-ci-omit-dev', undefined],
      ['cleanup', undefined],
    ]);
  });
});
