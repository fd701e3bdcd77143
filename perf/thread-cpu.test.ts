import { describe, expect, it } from 'vitest';
import { threadCpuMs, threadCpuSince } from './thread-cpu.ts';

describe('threadCpuMs', () => {
  it('reads every thread of a process, the main thread under the process id, and sees it work', () => {
    const before = threadCpuMs(process.pid);
    expect(before.has(process.pid)).toBe(true);
    // spin until the process itself has spent 300 ms of user CPU, all on this thread
    const start = process.cpuUsage();
    let x = 0;
    while (process.cpuUsage(start).user < 300_000) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    const spent = threadCpuSince(before, threadCpuMs(process.pid));
    // /proc counts in 10 ms ticks; the other threads of this process are near idle meanwhile
    expect(spent.get(process.pid)!).toBeGreaterThanOrEqual(250);
    expect(spent.get(process.pid)!).toBeLessThan(2_000);
  });

  it('counts a thread that started between two readings from zero', () => {
    const before = new Map([[1, 5]]);
    const after = new Map([
      [1, 25],
      [2, 40],
    ]);
    expect([...threadCpuSince(before, after)]).toEqual([
      [1, 20],
      [2, 40],
    ]);
  });
});
