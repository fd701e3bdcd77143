// The container entry as Kubernetes drives it: started with FUNCTION_TARGET and PORT, it serves
// /healthz, and on SIGTERM (pod deletion, scale-down) it exits 0 promptly instead of hanging until
// the kubelet's SIGKILL. Storage pools left open kept the event loop alive on MariaDB.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../storage/open.ts';
import { createMysqlTestDatabase, dropMysqlTestDatabase } from '../storage/testing.ts';

const ROOT = join(import.meta.dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe.each(['sqlite', 'mysql'] as const)('cli/serve.ts on %s', (backend) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-serve-'));
  let databaseUrl: string | undefined;
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) await dropMysqlTestDatabase(databaseUrl);
  });

  it.each(['recorder', 'ingest'])(
    '%s exits 0 within 5 s of SIGTERM',
    async (target) => {
      if (backend === 'mysql' && !databaseUrl) {
        databaseUrl = await createMysqlTestDatabase();
        await (await openDb({ dataDir, databaseUrl })).close();
      }
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/serve.ts')], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          FUNCTION_TARGET: target,
          PORT: String(port),
          // Ingest's metrics listener: its own free port, as a pod has its own network namespace.
          VIGIL_METRICS_PORT: String(await freePort()),
          K_SINK: 'http://127.0.0.1:9/',
          VIGIL_DATA_DIR: dataDir,
          ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b));
      child.stderr.on('data', (b: Buffer) => (out += b));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const deadline = Date.now() + 30_000;
      let healthy = false;
      while (!healthy && Date.now() < deadline && child.exitCode === null) {
        healthy = await fetch(`http://127.0.0.1:${port}/healthz`)
          .then((r) => r.ok)
          .catch(() => false);
        if (!healthy) await new Promise((r) => setTimeout(r, 100));
      }
      expect(healthy, out).toBe(true);
      // A delivery first, so the storage pool is really in use.
      const delivered = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify({
          specversion: '1.0',
          id: `serve-test-${target}`,
          source: '/serve-test',
          type: 'org.vigil.technical.check',
          data: {},
        }),
      });
      await delivered.arrayBuffer();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      expect(code, out).toBe(0);
    },
    40_000,
  );
});
