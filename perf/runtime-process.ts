// Starts the embedded runtime in a child process on fresh storage (a temp SQLite dir, or a throw-away
// MariaDB database) and removes that storage again on stop. The child is compiled like `npm start`'s
// build (tsconfig.bench.json extends tsconfig.build.json into dist-bench/, which keeps bench code out of
// the image's dist/; `npm run bench` builds both first), so no tsx loader threads are measured (an idle
// runtime child: 200 MB RSS under tsx, 145 MB compiled).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectPath } from '../config/project-root.ts';
import { createMysqlTestDatabase, dropMysqlTestDatabase } from '../storage/testing.ts';
import { type Child, startChild } from './child.ts';
import type { ChildCounts, ChildReady } from './runtime-child.ts';

export type Backend = 'sqlite' | 'mysql';

export interface RuntimeProcess {
  child: Child<ChildReady>;
  url: string;
  devices: ChildReady['devices'];
  counts(): Promise<ChildCounts>;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRuntimeProcess(
  backend: Backend,
  devices = 1,
  /** More BENCH_* settings for the child (e.g. BENCH_DETECTION_THREADS). */
  env: Record<string, string> = {},
  /** Node flags of the child (default: npm start's, runtime/node-flags.ts). */
  nodeFlags?: readonly string[],
): Promise<RuntimeProcess> {
  const script = projectPath('dist-bench/perf/runtime-child.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: run npm run build:bench first`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-'));
  const databaseUrl = backend === 'mysql' ? await createMysqlTestDatabase() : '';
  const child = await startChild<ChildReady>(
    script,
    {
      BENCH_DATA_DIR: dataDir,
      BENCH_DATABASE_URL: databaseUrl,
      BENCH_DEVICES: String(devices),
      ...env,
    },
    { nodeFlags },
  );
  return {
    child,
    url: child.ready.ingestUrl,
    devices: child.ready.devices,
    counts: () => child.ask<ChildCounts>('counts', 'counts'),
    idle: async () => {
      await child.ask('idle', 'idle');
    },
    stop: async () => {
      await child.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (databaseUrl) await dropMysqlTestDatabase(databaseUrl);
    },
  };
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak in bytes. */
export function rssSampler(read: () => number, everyMs = 200): { stop(): number } {
  let peak = read();
  const t = setInterval(() => {
    try {
      peak = Math.max(peak, read());
    } catch {}
  }, everyMs);
  return {
    stop: () => {
      clearInterval(t);
      return peak;
    },
  };
}
