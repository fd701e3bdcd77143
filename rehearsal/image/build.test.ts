// The scratch image build on a small context of its own: what the Dockerfile copies is there (and
// nothing .dockerignore leaves out), the deps stage's `npm ci --omit=dev` really ran, ENV paths map
// into the scratch root, and every way the real build would fail fails here too.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltImage, buildImage } from './build.ts';

const repoLock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, { version: string }>;
};
const npmVersion = execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim();

const RUNTIME = `FROM \${NODE_IMAGE}
ENV PORT=8080 DATA=/app/assets OTHER=/elsewhere
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
COPY assets ./assets
COPY assets/one.txt ./single.txt
`;

function dockerfile(runtimeExtra = '', base = 'node:20'): string {
  return `ARG NODE_IMAGE=${base}
ARG NPM_VERSION=${npmVersion}
FROM \${NODE_IMAGE} AS build
ARG NPM_VERSION
RUN npm install -g npm@\${NPM_VERSION}
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build
FROM \${NODE_IMAGE} AS deps
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
${RUNTIME}${runtimeExtra}USER 1000:1000
CMD ["node", "dist/cli/serve.js"]
`;
}

describe('buildImage on a small context', () => {
  const context = mkdtempSync(path.join(tmpdir(), 'vigil-build-ctx-'));
  const out = mkdtempSync(path.join(tmpdir(), 'vigil-build-out-'));
  const write = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(context, rel)), { recursive: true });
    writeFileSync(path.join(context, rel), text);
  };
  const logs: string[] = [];
  const build = (extra?: string, base?: string) => {
    write('Dockerfile', dockerfile(extra, base));
    return buildImage({ context, out, log: (l) => logs.push(l) });
  };
  let image: BuiltImage;

  beforeAll(async () => {
    const yaml = repoLock.packages['node_modules/yaml']!;
    write(
      'package.json',
      JSON.stringify({ name: 't', version: '1.0.0', dependencies: { yaml: yaml.version } }),
    );
    write(
      'package-lock.json',
      JSON.stringify({
        name: 't',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 't', version: '1.0.0', dependencies: { yaml: yaml.version } },
          'node_modules/yaml': yaml,
        },
      }),
    );
    write('tsconfig.json', '{}');
    write('tsconfig.build.json', JSON.stringify({ extends: './tsconfig.json', include: ['src'] }));
    write('src/a.ts', 'export {};\n');
    write('assets/one.txt', 'one\n');
    write('assets/sub/two.txt', 'two\n');
    write('assets/skip.test.ts', 'left out\n');
    write('secret', 'nope\n');
    write('.dockerignore', '**/*.test.ts\nsecret\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(context, 'src/a.ts'), old, old);
    write('dist/cli/serve.js', 'console.log("serving");\n');
    image = await build();
  }, 120_000);
  afterAll(() => {
    rmSync(context, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it('lays out every COPY of the runtime stage with Docker rules, and nothing .dockerignore hides', () => {
    const app = (p: string) => path.join(image.workdir, p);
    expect(image.workdir).toBe(path.join(out, 'rootfs', 'app'));
    expect(readFileSync(app('dist/cli/serve.js'), 'utf8')).toContain('serving');
    expect(readFileSync(app('assets/sub/two.txt'), 'utf8')).toBe('two\n');
    expect(readFileSync(app('single.txt'), 'utf8')).toBe('one\n');
    expect(existsSync(app('assets/skip.test.ts'))).toBe(false);
    expect(existsSync(app('package-lock.json'))).toBe(false);
  });

  it('installs the production dependencies with a real npm ci --omit=dev, once per lockfile', async () => {
    const installed = JSON.parse(
      readFileSync(path.join(image.workdir, 'node_modules/yaml/package.json'), 'utf8'),
    );
    expect(installed.version).toBe(repoLock.packages['node_modules/yaml']!.version);
    expect(logs.some((l) => l.includes('npm ci --omit=dev took'))).toBe(true);
    logs.length = 0;
    await build();
    expect(logs.some((l) => l.includes('unchanged') && l.includes('reused'))).toBe(true);
  });

  it('maps ENV paths inside the image into the scratch root, runs CMD with this node, keeps USER', () => {
    expect(image.env).toMatchObject({
      PORT: '8080',
      DATA: path.join(image.workdir, 'assets'),
      OTHER: '/elsewhere',
    });
    expect(image.cmd).toEqual([process.execPath, 'dist/cli/serve.js']);
    expect(image.layout.user).toEqual({ uid: 1000, gid: 1000 });
  });

  it('fails when a COPY source is missing, as docker build does', async () => {
    await expect(build('COPY models/model.onnx ./models/\n')).rejects.toThrow(
      /line \d+: COPY models\/model.onnx: not found in the build context/,
    );
  });

  it('fails when .dockerignore leaves a COPY source out of the context', async () => {
    await expect(build('COPY secret ./\n')).rejects.toThrow(/COPY secret: .dockerignore leaves it out/);
  });

  it('fails when a stage copies a path its stage does not have', async () => {
    await expect(build('COPY --from=deps /app/nothing ./x\n')).rejects.toThrow(
      /COPY \/app\/nothing: not found in stage deps/,
    );
  });

  it('fails on another Node major version than the base image', async () => {
    await expect(build('', 'node:18-slim')).rejects.toThrow(/runs Node 18, this is Node 20/);
  });

  it('fails when dist/ is older than a source the build compiles', async () => {
    write('src/b.ts', 'export {};\n');
    try {
      await expect(build()).rejects.toThrow(/src\/b.ts is newer than dist\//);
    } finally {
      rmSync(path.join(context, 'src/b.ts'));
    }
  });

  it('fails when the CMD script is not in the image', async () => {
    rmSync(path.join(context, 'dist/cli/serve.js'));
    write('dist/cli/other.js', '');
    await expect(build()).rejects.toThrow(/dist\/cli\/serve.js is not in the image/);
  });
});
