// The image's runtime stage, read from the Dockerfile itself: its base, WORKDIR, ENV, USER, CMD and
// every COPY (from the build context or from another stage), and how each stage it copies from is
// produced. Part of the rehearsal, a test fixture for the cluster path: there is no container engine
// here, so rehearsal/image/build.ts replays this plan in a scratch folder and starts what it built.
import {
  commandArgv,
  copyArgs,
  type Dockerfile,
  DockerfileError,
  envPairs,
  type Stage,
  stageArgs,
  substitute,
  words,
} from './dockerfile.ts';

export interface CopyStep {
  line: number;
  /** Stage name, or undefined for the build context. */
  from?: string;
  sources: string[];
  /** Absolute path inside the image (relative destinations resolved against WORKDIR). */
  dest: string;
}

/**
 * What a RUN command does to a stage, and how the rehearsal reproduces it:
 * - `npm-ci-omit-dev`: run for real in the stage's scratch folder: the proof that the production
 *   dependencies are enough;
 * - `npm-ci`, `npm-build`: the build stage; the checkout already ran the same `npm ci` on the same
 *   lockfile and `npm run build` on the same sources (.ci/run does, just before), so its dist/ is the
 *   stage's output: the rehearsal checks it is there and newer than every source it compiles;
 * - `npm-version`: the npm the stage installs; the host's must have the same major version (npm 11
 *   honours package.json `allowScripts`, npm 10 does not);
 * - `toolchain`: apt packages that compile native addons; the host provides them (npm ci fails
 *   without them);
 * - `cleanup`: shrinks a layer only; not replayed (`npm cache clean --force` would empty this
 *   machine's shared npm cache).
 */
export type RunEffect = 'npm-ci-omit-dev' | 'npm-ci' | 'npm-build' | 'npm-version' | 'toolchain' | 'cleanup';

export interface RunStep {
  line: number;
  command: string;
  effect: RunEffect;
  /** npm-version: the version installed. */
  version?: string;
}

const RUN_COMMANDS: Array<{ re: RegExp; effect: RunEffect }> = [
  { re: /^apt-get update$/, effect: 'toolchain' },
  { re: /^apt-get install( -y| --no-install-recommends)* [\w.+ -]+$/, effect: 'toolchain' },
  { re: /^rm -rf \/var\/lib\/apt\/lists\/\*$/, effect: 'cleanup' },
  { re: /^npm install -g npm@(\S+)$/, effect: 'npm-version' },
  { re: /^npm ci --omit=dev$/, effect: 'npm-ci-omit-dev' },
  { re: /^npm ci$/, effect: 'npm-ci' },
  { re: /^npm run build$/, effect: 'npm-build' },
  { re: /^npm cache clean --force$/, effect: 'cleanup' },
];

export interface StagePlan {
  name: string;
  from: string;
  workdir: string;
  env: Record<string, string>;
  copies: CopyStep[];
  runs: RunStep[];
  /** The stage that compiles the sources: the checkout stands for it (see RunEffect). */
  isBuild: boolean;
}

export interface RuntimeLayout extends StagePlan {
  user?: { uid: number; gid: number };
  cmd: string[];
  expose: number[];
  /** The stages the runtime stage copies from, by name. */
  sourceStages: Record<string, StagePlan>;
}

/** A stage's instructions as a plan; refuses instructions the rehearsal cannot reproduce. */
export function stagePlan(df: Dockerfile, stage: Stage): StagePlan {
  const vars = stageArgs(df, stage);
  let workdir = '/';
  const env: Record<string, string> = {};
  const copies: CopyStep[] = [];
  const runs: RunStep[] = [];
  const scope = () => ({ ...vars, ...env });
  for (const ins of stage.body) {
    switch (ins.op) {
      case 'ARG':
      case 'USER':
      case 'CMD':
      case 'ENTRYPOINT':
      case 'EXPOSE':
      case 'LABEL':
        break;
      case 'WORKDIR':
        workdir = resolveIn(workdir, substitute(ins.args, scope()));
        break;
      case 'ENV':
        for (const [k, v] of envPairs(ins, scope())) env[k] = v;
        break;
      case 'COPY': {
        const c = copyArgs(ins, scope());
        copies.push({ line: ins.line, ...c, dest: resolveIn(workdir, c.dest, c.dest.endsWith('/')) });
        break;
      }
      case 'RUN':
        for (const command of substitute(ins.args, scope())
          .split('&&')
          .map((c) => c.trim())) {
          const known = RUN_COMMANDS.find((r) => r.re.test(command));
          if (!known)
            throw new DockerfileError(
              `line ${ins.line}: the rehearsal cannot reproduce RUN "${command}"; teach rehearsal/image/layout.ts what it does`,
            );
          const version = known.effect === 'npm-version' ? known.re.exec(command)![1] : undefined;
          runs.push({ line: ins.line, command, effect: known.effect, ...(version ? { version } : {}) });
        }
        break;
      default:
        throw new DockerfileError(`line ${ins.line}: the rehearsal cannot reproduce ${ins.op}`);
    }
  }
  return {
    name: stage.name,
    from: stage.from,
    workdir,
    env,
    copies,
    runs,
    isBuild: runs.some((r) => r.effect === 'npm-build'),
  };
}

/** The last stage (what `docker build` ships) and the stages it copies from. */
export function runtimeLayout(df: Dockerfile): RuntimeLayout {
  const runtime = df.stages.at(-1)!;
  const plan = stagePlan(df, runtime);
  const last = (op: string) => runtime.body.findLast((i) => i.op === op);
  const cmd = last('CMD');
  if (!cmd) throw new DockerfileError(`stage ${runtime.name} has no CMD`);
  if (last('ENTRYPOINT')) throw new DockerfileError('ENTRYPOINT is not reproduced by the rehearsal');
  const user = last('USER');
  const sourceStages: Record<string, StagePlan> = {};
  for (const c of plan.copies) {
    if (c.from === undefined || sourceStages[c.from]) continue;
    const s = df.stages.find((x) => x.name === c.from);
    if (!s) throw new DockerfileError(`line ${c.line}: COPY --from=${c.from}: no such stage`);
    sourceStages[c.from] = stagePlan(df, s);
  }
  return {
    ...plan,
    ...(user ? { user: numericUser(user.args, user.line) } : {}),
    cmd: commandArgv(cmd),
    expose: runtime.body
      .filter((i) => i.op === 'EXPOSE')
      .flatMap((i) => words(i.args).map((p) => Number.parseInt(p, 10))),
    sourceStages,
  };
}

function numericUser(args: string, line: number): { uid: number; gid: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(args.trim());
  // Kubernetes can only verify runAsNonRoot for a numeric user.
  if (!m) throw new DockerfileError(`line ${line}: USER must be numeric uid[:gid], got "${args}"`);
  return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
}

/** Docker's WORKDIR/COPY destination resolution (POSIX paths inside the image). */
export function resolveIn(cwd: string, p: string, keepSlash = false): string {
  const joined = p.startsWith('/') ? p : `${cwd.replace(/\/$/, '')}/${p}`;
  const parts: string[] = [];
  for (const seg of joined.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  const out = `/${parts.join('/')}`;
  return keepSlash && out !== '/' ? `${out}/` : out;
}
