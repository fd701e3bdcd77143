// How long Erlang B answers take at the sizes the capacity CLI and dashboard use.
//   npx tsx perf/bench-capacity.ts
import { performance } from 'node:perf_hooks';
import { blockingCurve, erlangB, erlangBServers, erlangC } from '../capacity/erlang.ts';

function time(label: string, fn: () => unknown, runs = 20): void {
  fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  process.stdout.write(
    `${label.padEnd(48)} median ${t[runs >> 1]!.toFixed(3)} ms  max ${t.at(-1)!.toFixed(3)} ms\n`,
  );
}

time('erlangB(A=9500, m=10000)', () => erlangB(9500, 10_000));
time('erlangBServers(A=9500, P_B=0.01)', () => erlangBServers(9500, 0.01));
time('erlangC(A=9500, m=10000)', () => erlangC(9500, 10_000));
time('blockingCurve(mMax=100, aMax=100, steps=100)', () => blockingCurve(100, 100, 100));
