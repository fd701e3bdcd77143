// One process started from the scratch image the way a container runtime starts it: the image's
// working directory, USER (when this process may switch users), CMD (or a command, as the migrate
// Job gives one), and an environment made only of what a container sees: PATH and HOME of the base
// image's user, the image's ENV, then what the orchestrator adds (PORT, K_SINK, the manifest's env).
// Nothing is inherited from the shell that started the rehearsal. A test fixture for the cluster path.
import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BuiltImage } from './build.ts';

export interface ContainerSpec {
  /** For logs: pod or job name. */
  name: string;
  /** Overrides the image's CMD (a Job's `command`). `node` is this Node. */
  command?: string[];
  env: Record<string, string>;
  stdin?: string;
}

export interface Container {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines it wrote (stdout and stderr), for failure reports. */
  tail(): string;
  stdout(): string;
  /** SIGTERM, then SIGKILL after graceMs, as the kubelet does on pod deletion. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let home: string | undefined;
/** The base image's user home (node: /home/node): a scratch folder the image's user owns. */
function userHome(image: BuiltImage): string {
  if (!home) {
    home = mkdtempSync(path.join(tmpdir(), 'vigil-home-'));
    if (image.layout.user && canSwitchUser()) chownSync(home, image.layout.user.uid, image.layout.user.gid);
  }
  return home;
}

export function canSwitchUser(): boolean {
  return process.getuid?.() === 0;
}

/** A folder the image's user may write (an emptyDir volume, VIGIL_DATA_DIR). */
export function writableDir(image: BuiltImage, prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  if (image.layout.user && canSwitchUser()) chownSync(dir, image.layout.user.uid, image.layout.user.gid);
  return dir;
}

/** The PATH the node:<major> base images set (where their `node` lives, /usr/local/bin). */
export const BASE_IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function containerEnv(image: BuiltImage, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: BASE_IMAGE_PATH,
    HOME: userHome(image),
    ...image.env,
    ...extra,
  };
}

export function startContainer(
  image: BuiltImage,
  spec: ContainerSpec,
  log: (line: string) => void = () => {},
): Container {
  const [bin, ...args] = spec.command ?? image.cmd;
  const user = image.layout.user && canSwitchUser() ? image.layout.user : undefined;
  mkdirSync(image.workdir, { recursive: true });
  const child = spawn(bin === 'node' ? process.execPath : bin!, args, {
    cwd: image.workdir,
    env: containerEnv(image, spec.env),
    stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  if (spec.stdin !== undefined) child.stdin!.end(spec.stdin);
  const lines: string[] = [];
  let out = '';
  const collect = (stream: 'out' | 'err') => (b: Buffer) => {
    const text = b.toString();
    if (stream === 'out') out += text;
    for (const l of text.split('\n')) {
      if (!l) continue;
      lines.push(l);
      if (lines.length > 60) lines.shift();
      log(`[${spec.name}] ${l}`);
    }
  };
  child.stdout!.on('data', collect('out'));
  child.stderr!.on('data', collect('err'));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      lines.push(String(err));
      resolve({ code: null, signal: null });
    });
  });
  return {
    name: spec.name,
    child,
    pid: child.pid ?? -1,
    exited,
    tail: () => lines.join('\n'),
    stdout: () => out,
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const r = await exited;
        clearTimeout(timer);
        return r;
      }
      return exited;
    },
  };
}

/** Runs a one-shot command (a Job's container, a CLI call) to completion. */
export async function runToCompletion(
  image: BuiltImage,
  spec: ContainerSpec,
  log?: (line: string) => void,
): Promise<{ code: number | null; stdout: string; tail: string }> {
  const c = startContainer(image, spec, log);
  const { code } = await c.exited;
  return { code, stdout: c.stdout(), tail: c.tail() };
}

/** Polls GET url until it answers `status` (a readiness probe), or throws after timeoutMs. */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  alive: () => boolean = () => true,
  status = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`${url}: the process exited before it answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === status) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}: no ${status} within ${timeoutMs / 1000} s (${last})`);
}

/** A port nothing listens on now (the orchestrator hands it to a container as PORT). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
