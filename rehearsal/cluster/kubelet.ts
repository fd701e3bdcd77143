// Pods of the rehearsal, kept running as a kubelet keeps them (restartPolicy Always), as a TEST
// FIXTURE for the cluster path: a pod's container is started from the scratch image; its readiness
// probe (the manifest's path, initialDelaySeconds, periodSeconds, failureThreshold) decides whether its
// Service sends it requests; a container that exits, is killed or fails its liveness probe
// failureThreshold times in a row is not ready at once and is restarted in the same pod (same port):
// right away the first time, then after 10 s, 20 s, 40 s … at most 5 minutes, the delay reset once it
// has run for 10 minutes (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#restart-policy).
// On deletion: SIGTERM, then SIGKILL after terminationGracePeriodSeconds (30 s by default).

import type { BuiltImage } from '../image/build.ts';
import { type Container, startContainer } from '../image/container.ts';

export interface Probe {
  path: string;
  initialDelaySeconds: number;
  periodSeconds: number;
  failureThreshold: number;
  timeoutSeconds: number;
}

export interface PodSpec {
  name: string;
  port: number;
  env: Record<string, string>;
  readiness: Probe;
  liveness?: Probe | undefined;
  terminationGracePeriodSeconds?: number;
}

const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
const BACKOFF_RESET_MS = 600_000;

/** Kubernetes' probe defaults for the fields a manifest leaves out. */
export function probeFrom(
  p: Record<string, unknown> | undefined,
  fallbackPath = '/healthz',
): Probe | undefined {
  if (!p) return undefined;
  const http = (p.httpGet ?? {}) as { path?: string };
  const n = (k: string, d: number) => (typeof p[k] === 'number' ? (p[k] as number) : d);
  return {
    path: http.path ?? fallbackPath,
    initialDelaySeconds: n('initialDelaySeconds', 0),
    periodSeconds: n('periodSeconds', 10),
    failureThreshold: n('failureThreshold', 3),
    timeoutSeconds: n('timeoutSeconds', 1),
  };
}

/** Delay before restart number `restarts` (0 = the first): 0, 10 s, 20 s, … 5 min. */
export function restartDelayMs(restarts: number): number {
  return restarts === 0 ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** (restarts - 1));
}

async function probeOnce(port: number, p: Probe): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${p.path}`, {
      signal: AbortSignal.timeout(p.timeoutSeconds * 1000),
    });
    await res.arrayBuffer();
    // Kubernetes: any status from 200 to 399 is a success.
    return res.status >= 200 && res.status < 400;
  } catch {
    return false;
  }
}

export class Pod {
  container: Container | undefined;
  ready = false;
  restarts = 0;
  private backoffCount = 0;
  private startedAt = 0;
  private deleted = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    readonly spec: PodSpec,
    private readonly image: BuiltImage,
    private readonly onReady: (pod: Pod, ready: boolean) => void,
    private readonly log: (line: string) => void,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  start(): void {
    this.startedAt = Date.now();
    const c = startContainer(this.image, { name: this.spec.name, env: this.spec.env }, this.log);
    this.container = c;
    this.probeLoop(c, this.spec.readiness, 'readiness');
    if (this.spec.liveness) this.probeLoop(c, this.spec.liveness, 'liveness');
    void c.exited.then(({ code, signal }) => {
      if (this.container !== c) return;
      this.setReady(false);
      if (this.deleted) return;
      if (Date.now() - this.startedAt >= BACKOFF_RESET_MS) this.backoffCount = 0;
      const delay = restartDelayMs(this.backoffCount++);
      this.log(`[kubelet] ${this.spec.name} exited (${code ?? signal}); restarting in ${delay / 1000} s`);
      this.later(() => {
        if (this.deleted) return;
        this.restarts++;
        this.start();
      }, delay);
    });
  }

  private setReady(ready: boolean): void {
    if (this.ready === ready) return;
    this.ready = ready;
    this.onReady(this, ready);
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers = this.timers.filter((x) => x !== t);
      fn();
    }, ms);
    this.timers.push(t);
  }

  private probeLoop(c: Container, p: Probe, kind: 'readiness' | 'liveness'): void {
    let failures = 0;
    const tick = async () => {
      if (this.container !== c || this.deleted || c.child.exitCode !== null || c.child.signalCode !== null)
        return;
      const ok = await probeOnce(this.spec.port, p);
      if (this.container !== c || this.deleted) return;
      failures = ok ? 0 : failures + 1;
      if (kind === 'readiness') {
        if (ok) this.setReady(true);
        else if (failures >= p.failureThreshold) this.setReady(false);
      } else if (failures >= p.failureThreshold) {
        this.log(`[kubelet] ${this.spec.name} failed its liveness probe ${failures} times: killing it`);
        void c.stop((this.spec.terminationGracePeriodSeconds ?? 30) * 1000);
        return;
      }
      this.later(tick, p.periodSeconds * 1000);
    };
    this.later(() => void tick(), p.initialDelaySeconds * 1000);
  }

  /** What the check does to a pod: a signal to its container's process, nothing else. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.container?.child.kill(signal);
  }

  async delete(): Promise<void> {
    this.deleted = true;
    for (const t of this.timers.splice(0)) clearTimeout(t);
    this.setReady(false);
    await this.container?.stop((this.spec.terminationGracePeriodSeconds ?? 30) * 1000);
  }
}
