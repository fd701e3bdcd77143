// The kubelet-like supervisor with a real process: a tiny HTTP server started the way a pod's
// container is, killed, failing its liveness probe.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuiltImage } from '../image/build.ts';
import { freePort } from '../image/container.ts';
import { Pod, probeFrom, restartDelayMs } from './kubelet.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-kubelet-'));
// Answers /healthz 200, or 500 once /sick was called; a pod that fails its liveness probe.
writeFileSync(
  path.join(dir, 'server.mjs'),
  `import http from 'node:http';
let sick = false;
http.createServer((req, res) => {
  if (req.url === '/sick') sick = true;
  res.writeHead(req.url === '/healthz' && sick ? 500 : 200).end(String(process.pid));
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
);
const image = {
  layout: { user: undefined },
  workdir: dir,
  env: {},
  cmd: [process.execPath, 'server.mjs'],
} as unknown as BuiltImage;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fast = {
  path: '/healthz',
  initialDelaySeconds: 0,
  periodSeconds: 0.1,
  failureThreshold: 2,
  timeoutSeconds: 1,
};

async function until(what: string, cond: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('kubelet', () => {
  it('backs off restarts as Kubernetes does: at once, then 10 s doubling up to 5 minutes', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(restartDelayMs)).toEqual([
      0, 10e3, 20e3, 40e3, 80e3, 160e3, 300e3, 300e3,
    ]);
  });

  it('reads probes with Kubernetes defaults for missing fields', () => {
    expect(probeFrom({ httpGet: { path: '/healthz' }, periodSeconds: 5 })).toEqual({
      path: '/healthz',
      initialDelaySeconds: 0,
      periodSeconds: 5,
      failureThreshold: 3,
      timeoutSeconds: 1,
    });
    expect(probeFrom(undefined)).toBeUndefined();
  });

  it('marks a pod ready by its probe, not ready the moment it dies, and restarts it on the same port', async () => {
    const port = await freePort();
    const changes: boolean[] = [];
    const pod = new Pod(
      { name: 'p', port, env: { PORT: String(port) }, readiness: fast },
      image,
      (_p, r) => changes.push(r),
      () => {},
    );
    pod.start();
    try {
      await until('ready', () => pod.ready);
      const first = await (await fetch(`${pod.url}/`)).text();
      pod.kill('SIGKILL');
      await until('not ready', () => !pod.ready, 2000);
      await until('restarted and ready', () => pod.restarts === 1 && pod.ready);
      const second = await (await fetch(`${pod.url}/`)).text();
      expect(second).not.toBe(first); // another process behind the same port
      expect(changes).toEqual([true, false, true]);
    } finally {
      await pod.delete();
    }
    expect(pod.container?.child.exitCode !== null || pod.container?.child.signalCode !== null).toBe(true);
  });

  it('kills and restarts a container that fails its liveness probe failureThreshold times', async () => {
    const port = await freePort();
    const pod = new Pod(
      {
        name: 'l',
        port,
        env: { PORT: String(port) },
        readiness: fast,
        // As in the manifests: liveness probing starts once the process had time to listen.
        liveness: { ...fast, initialDelaySeconds: 1 },
        terminationGracePeriodSeconds: 1,
      },
      image,
      () => {},
      () => {},
    );
    pod.start();
    try {
      await until('ready', () => pod.ready);
      await fetch(`${pod.url}/sick`);
      await until('restarted after the liveness failures', () => pod.restarts === 1 && pod.ready);
      expect((await fetch(`${pod.url}/healthz`)).status).toBe(200);
    } finally {
      await pod.delete();
    }
  });
});
