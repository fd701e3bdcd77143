// Builds the image's runtime stage in a scratch folder, from the plan rehearsal/image/layout.ts reads
// out of the Dockerfile: a root folder stands for the image's `/`, every COPY is replayed with Docker's
// rules (the context filtered by .dockerignore; a source that is missing or ignored fails the build,
// as `docker build` does), the deps stage's `npm ci --omit=dev` runs for real, and the build stage's
// output is the checkout's own `npm run build` (same sources, same lockfile; see RunEffect).
// Part of the rehearsal, a test fixture for the cluster path, never a way to run Vigil in production.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { childEnv } from '../../config/env.ts';
import { DockerfileError, parseDockerfile } from './dockerfile.ts';
import { type IgnorePattern, isIgnored, parseDockerignore } from './dockerignore.ts';
import { type CopyStep, type RuntimeLayout, runtimeLayout, type StagePlan } from './layout.ts';

export interface BuiltImage {
  layout: RuntimeLayout;
  /** Host folder standing for the image's `/`. */
  rootfs: string;
  /** Host folder of the image's WORKDIR: the containers' working directory. */
  workdir: string;
  /** The image's ENV, with paths inside the image mapped into rootfs (there is no chroot here). */
  env: Record<string, string>;
  /** The CMD, with `node` being this Node (its major version checked against the base image). */
  cmd: string[];
  /** Maps a path inside the image to the host. */
  hostPath(imagePath: string): string;
}

export interface BuildOptions {
  /** The build context (the checkout). */
  context: string;
  dockerfile?: string;
  /** Where the scratch image goes; default a folder per checkout under the temp dir. */
  out?: string;
  /** Install the production dependencies again even if the lockfile did not change. */
  fresh?: boolean;
  log?: (line: string) => void;
}

export class ImageBuildError extends Error {}

/** Default scratch folder of a checkout: one per checkout, reused so `npm ci` runs once per lockfile. */
export function defaultImageDir(context: string): string {
  const key = createHash('sha256').update(path.resolve(context)).digest('hex').slice(0, 12);
  return path.join(tmpdir(), `vigil-image-${key}`);
}

export async function buildImage(opts: BuildOptions): Promise<BuiltImage> {
  const log = opts.log ?? (() => {});
  const context = path.resolve(opts.context);
  const dockerfile = opts.dockerfile ?? path.join(context, 'Dockerfile');
  const layout = runtimeLayout(parseDockerfile(readFileSync(dockerfile, 'utf8')));
  const ignoreFile = path.join(context, '.dockerignore');
  const ignore = existsSync(ignoreFile) ? parseDockerignore(readFileSync(ignoreFile, 'utf8')) : [];
  const out = opts.out ?? defaultImageDir(context);
  checkNode(layout.from);

  const stageFs: Record<string, (imagePath: string) => string> = {};
  // The checks of the checkout-backed stages first: they fail in milliseconds, an npm ci takes minutes.
  const stages = Object.entries(layout.sourceStages).sort(
    ([, a], [, b]) => Number(b.isBuild) - Number(a.isBuild),
  );
  for (const [name, stage] of stages) {
    checkNode(stage.from);
    if (stage.isBuild) stageFs[name] = checkBuildStage(stage, context, ignore);
    else {
      const root = await replayStage(stage, context, ignore, out, opts.fresh ?? false, log);
      stageFs[name] = (p) => path.join(root, p);
    }
  }

  const rootfs = path.join(out, 'rootfs');
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(rootfs, { recursive: true });
  const inImage = (root: string) => (p: string) => path.join(root, p);
  for (const c of layout.copies) {
    if (c.from === undefined) copyFromContext(c, context, ignore, inImage(rootfs));
    else copyStep(c, stageFs[c.from]!, inImage(rootfs), `stage ${c.from}`);
  }
  const workdir = path.join(rootfs, layout.workdir);
  mkdirSync(workdir, { recursive: true });
  const hostPath = (p: string) => path.join(rootfs, p);
  const env = Object.fromEntries(
    Object.entries(layout.env).map(([k, v]) => [
      k,
      v === layout.workdir || v.startsWith(`${layout.workdir.replace(/\/$/, '')}/`) ? hostPath(v) : v,
    ]),
  );
  const [bin, ...args] = layout.cmd;
  if (bin !== 'node') throw new ImageBuildError(`CMD runs ${bin}; the rehearsal runs node programs only`);
  const script = args.find((a) => !a.startsWith('-'));
  if (script && !existsSync(path.join(workdir, script)))
    throw new ImageBuildError(`CMD ${JSON.stringify(layout.cmd)}: ${script} is not in the image`);
  log(`image: ${layout.copies.length} COPY steps into ${rootfs}`);
  return { layout, rootfs, workdir, env, cmd: [process.execPath, ...args], hostPath };
}

/** The image's base is node:<major>…: this Node must be the same major version. */
function checkNode(from: string): void {
  const m = /^node:(\d+)/.exec(from);
  if (!m) throw new ImageBuildError(`base image ${from}: the rehearsal needs a node:<major> image`);
  const host = process.versions.node.split('.')[0];
  if (host !== m[1]) throw new ImageBuildError(`the image runs Node ${m[1]}, this is Node ${host}`);
}

function checkNpm(stage: StagePlan): void {
  for (const r of stage.runs.filter((x) => x.effect === 'npm-version')) {
    const host = execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim();
    if (host.split('.')[0] !== r.version!.split('.')[0])
      throw new ImageBuildError(
        `line ${r.line}: the image uses npm ${r.version}, this machine has npm ${host}`,
      );
  }
}

/**
 * The build stage: its WORKDIR is the checkout (its COPYs are the checkout's files, its `npm ci` and
 * `npm run build` the ones the checkout ran). Checks what the stage would read is in the context and
 * that dist/ is newer than every source the build compiles.
 */
function checkBuildStage(
  stage: StagePlan,
  context: string,
  ignore: IgnorePattern[],
): (imagePath: string) => string {
  checkNpm(stage);
  for (const c of stage.copies) {
    if (c.from !== undefined)
      throw new ImageBuildError(`line ${c.line}: the build stage copies from ${c.from}`);
    for (const src of c.sources) contextSource(src, context, ignore, c.line);
  }
  const tsconfig = path.join(context, 'tsconfig.build.json');
  const build = JSON.parse(readFileSync(tsconfig, 'utf8')) as { include?: string[]; extends?: string };
  const include = build.include ?? [];
  for (const dir of ['tsconfig.build.json', build.extends ?? 'tsconfig.json', ...include])
    if (isIgnored(ignore, dir))
      throw new ImageBuildError(`.dockerignore hides ${dir}, which tsconfig.build.json compiles`);
  const built = path.join(context, 'dist');
  if (!existsSync(built)) throw new ImageBuildError('dist/ is missing: run `npm run build` first');
  const builtAt = statSync(built).mtimeMs;
  for (const dir of include) {
    const newer = newestSource(path.join(context, dir));
    if (newer && newer.mtimeMs > builtAt)
      throw new ImageBuildError(
        `${path.relative(context, newer.file)} is newer than dist/: run \`npm run build\` first`,
      );
  }
  // The stage's WORKDIR is the checkout; nothing else of that stage is ever copied.
  return (imagePath: string) => {
    const rel = path.posix.relative(stage.workdir, imagePath);
    if (rel.startsWith('..'))
      throw new ImageBuildError(`${imagePath}: outside the build stage's WORKDIR ${stage.workdir}`);
    return path.join(context, rel);
  };
}

function newestSource(dir: string): { file: string; mtimeMs: number } | undefined {
  let best: { file: string; mtimeMs: number } | undefined;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.ts') || e.name.endsWith('.test.ts')) continue;
    const file = path.join(e.parentPath, e.name);
    const mtimeMs = statSync(file).mtimeMs;
    if (!best || mtimeMs > best.mtimeMs) best = { file, mtimeMs };
  }
  return best;
}

/** A stage replayed in scratch (the deps stage): its COPYs from the context, then its RUN commands. */
async function replayStage(
  stage: StagePlan,
  context: string,
  ignore: IgnorePattern[],
  out: string,
  fresh: boolean,
  log: (line: string) => void,
): Promise<string> {
  checkNpm(stage);
  const inputs = createHash('sha256');
  inputs.update(JSON.stringify({ stage, node: process.version }));
  for (const c of stage.copies) {
    if (c.from !== undefined)
      throw new ImageBuildError(`line ${c.line}: stage ${stage.name} copies from a stage`);
    for (const src of c.sources) inputs.update(readFileSync(contextSource(src, context, ignore, c.line)));
  }
  const key = inputs.digest('hex').slice(0, 16);
  const root = path.join(out, `stage-${stage.name}-${key}`);
  const done = path.join(root, '.complete');
  if (!fresh && existsSync(done)) {
    log(`image: stage ${stage.name} unchanged (${key}), reused`);
    return root;
  }
  // One replay per checkout is kept: older ones (other lockfiles) only take disk.
  for (const e of existsSync(out) ? readdirSync(out) : [])
    if (e.startsWith(`stage-${stage.name}-`)) rmSync(path.join(out, e), { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const c of stage.copies) copyFromContext(c, context, ignore, (p) => path.join(root, p));
  const cwd = path.join(root, stage.workdir);
  mkdirSync(cwd, { recursive: true });
  for (const r of stage.runs) {
    if (r.effect !== 'npm-ci-omit-dev') continue;
    log(`image: stage ${stage.name}: ${r.command} (line ${r.line})`);
    const started = Date.now();
    await run('npm', [...r.command.split(' ').slice(1), '--no-audit', '--no-fund'], cwd, childEnv(stage.env));
    log(`image: stage ${stage.name}: ${r.command} took ${Math.round((Date.now() - started) / 1000)} s`);
  }
  writeFileSync(done, `${new Date().toISOString()}\n`);
  return root;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
    p.stderr.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new ImageBuildError(`${cmd} ${args.join(' ')} exited ${code}:\n${output}`)),
    );
  });
}

/** A COPY source in the build context: must exist and must not be left out by .dockerignore. */
function contextSource(src: string, context: string, ignore: IgnorePattern[], line: number): string {
  const rel = path.posix.normalize(src.replace(/^\/+/, ''));
  if (rel.startsWith('..'))
    throw new ImageBuildError(`line ${line}: COPY ${src} is outside the build context`);
  if (/[*?[]/.test(rel)) throw new ImageBuildError(`line ${line}: COPY ${src}: wildcards are not reproduced`);
  const abs = path.join(context, rel);
  if (rel !== '.' && isIgnored(ignore, rel))
    throw new ImageBuildError(`line ${line}: COPY ${src}: .dockerignore leaves it out of the build context`);
  if (!existsSync(abs))
    throw new ImageBuildError(`line ${line}: COPY ${src}: not found in the build context`);
  return abs;
}

function copyFromContext(
  c: CopyStep,
  context: string,
  ignore: IgnorePattern[],
  into: (imagePath: string) => string,
): void {
  for (const src of c.sources) contextSource(src, context, ignore, c.line);
  copyStep(
    c,
    (p) => path.join(context, p),
    into,
    'the build context',
    (abs) => {
      const rel = path.relative(context, abs);
      return rel === '' || !isIgnored(ignore, rel.split(path.sep).join('/'));
    },
  );
}

/**
 * One COPY with Docker's rules: several sources or a destination ending in `/` name a folder; a
 * source folder's contents (not the folder) are copied. Files under node_modules are hard-linked
 * instead of copied (same bytes, same tree, no 300 MB copy per run).
 */
function copyStep(
  c: CopyStep,
  from: (p: string) => string,
  into: (p: string) => string,
  what: string,
  keep: (abs: string) => boolean = () => true,
): void {
  const destIsDir = c.dest.endsWith('/') || c.sources.length > 1;
  for (const src of c.sources) {
    const abs = from(src);
    if (!existsSync(abs)) throw new ImageBuildError(`line ${c.line}: COPY ${src}: not found in ${what}`);
    const isDir = statSync(abs).isDirectory();
    const target = isDir
      ? into(c.dest)
      : destIsDir
        ? path.join(into(c.dest), path.basename(abs))
        : into(c.dest);
    if (isDir) copyTree(abs, target, keep);
    else {
      mkdirSync(path.dirname(target), { recursive: true });
      cpSync(abs, target);
    }
  }
}

function copyTree(src: string, dest: string, keep: (abs: string) => boolean): void {
  const real = statSync(src);
  if (!real.isDirectory()) throw new DockerfileError(`${src} is not a folder`);
  mkdirSync(dest, { recursive: true });
  for (const e of readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const d = path.join(dest, e.name);
    if (!keep(s)) continue;
    if (e.isDirectory()) copyTree(s, d, keep);
    else if (e.isSymbolicLink()) cpSync(s, d, { verbatimSymlinks: true });
    else if (s.includes(`${path.sep}node_modules${path.sep}`)) linkSync(s, d);
    else cpSync(s, d);
  }
}
