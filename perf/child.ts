// Starts a benchmark helper (runtime, sink, baseline) as a separate Node process and talks to it over IPC.

import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { childEnv, toolSettings } from '../config/env.ts';
import { RUNTIME_NODE_FLAGS } from '../runtime/node-flags.ts';

export interface Child<Ready> {
  proc: ChildProcess;
  ready: Ready;
  /** Sends {cmd} and resolves with the next message of type `expect`. */
  ask<T>(cmd: string, expect: string): Promise<T>;
  /** Resident set size of the child process, from /proc (Linux). */
  rssBytes(): number;
  stop(): Promise<void>;
}

export async function startChild<Ready>(
  script: string,
  env: Record<string, string>,
  {
    timeoutMs = 60_000,
    nodeFlags = RUNTIME_NODE_FLAGS,
  }: { timeoutMs?: number; nodeFlags?: readonly string[] | undefined } = {},
): Promise<Child<Ready>> {
  const cpuProf = toolSettings().BENCH_CPU_PROF;
  const proc = fork(script, [], {
    // BENCH_CPU_PROF=DIR writes a V8 CPU profile of the child there (open in Chrome DevTools).
    // The same Node flags as `npm start`: the runtime measured is the one users run. A compiled script
    // (.js, from dist/) runs as it ships; a TypeScript one through tsx.
    execArgv: [
      ...nodeFlags,
      ...(script.endsWith('.ts') ? ['--import', 'tsx'] : []),
      ...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : []),
    ],
    env: childEnv(env),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script}: not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    proc.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as Ready);
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with code ${code} before it was ready`));
    });
  });
  const ask = <T>(cmd: string, expect: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const on = (m: { type: string; message?: string }) => {
        if (m.type === 'error') reject(new Error(m.message));
        else if (m.type !== expect) return;
        else resolve(m as T);
        proc.off('message', on);
      };
      proc.on('message', on);
      proc.send({ cmd });
    });
  return {
    proc,
    ready,
    ask,
    rssBytes: () => {
      const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+) kB/.exec(status);
      return kb ? Number(kb[1]) * 1024 : 0;
    },
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      if (proc.connected) proc.send({ cmd: 'stop' });
      const t = setTimeout(() => proc.kill('SIGTERM'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}
