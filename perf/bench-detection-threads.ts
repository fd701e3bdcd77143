// Detection beside the event loop or on it: the embedded runtime with 0 and with 1 detection thread
// (BENCH_DETECTION_THREADS), alternating in one run on the same load as `compare` (SQLite, JSON and
// float32 bodies), with the runtime's peak RSS. It is what decides defaultDetectionThreads().
// Usage: npx tsx perf/bench-detection-threads.ts [--duration S] [--rounds N]
import { parseArgs } from 'node:util';
import { measureVigil, span, type VigilFigures, type VigilSystem } from './bench-compare.ts';
import { type BenchReport, printReport } from './report.ts';

const RSS_BAR_MB = 300;
const SYSTEMS: VigilSystem[] = ['sqlite-json', 'sqlite-float32'];
const THREADS = [0, 1] as const;

export async function benchDetectionThreads(durationS = 10, rounds = 2): Promise<BenchReport> {
  const runs = new Map<string, VigilFigures[]>();
  for (let r = 0; r < rounds; r++)
    for (const system of SYSTEMS) {
      // alternate which setting goes first, so drift on the machine does not favour one
      const order = r % 2 === 0 ? THREADS : [...THREADS].reverse();
      for (const t of order) {
        const key = `${system}, ${t} detection thread${t === 1 ? '' : 's'}`;
        const f = await measureVigil(system, durationS, { BENCH_DETECTION_THREADS: String(t) });
        runs.set(key, [...(runs.get(key) ?? []), f]);
      }
    }
  const figures: Record<string, number | string> = {
    load: `as compare: autocannon, 16 connections, closed loop, ${durationS} s, ${rounds} rounds alternating`,
  };
  for (const [key, f] of runs) {
    figures[`${key}: stored chunks/s`] = span(f.map((x) => x.stored));
    figures[`${key}: peak RSS (MB)`] = span(f.map((x) => x.rssMb));
  }
  const maxRss = Math.max(...[...runs.values()].flat().map((x) => x.rssMb));
  return {
    bench: 'detection-threads: stored EEG chunks/s with detection on the event loop vs one worker thread',
    figures,
    thresholds: [
      { metric: 'rss_mb', expression: `max<${RSS_BAR_MB}`, actual: maxRss, ok: maxRss < RSS_BAR_MB },
    ],
  };
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({
    options: { duration: { type: 'string', default: '10' }, rounds: { type: 'string', default: '2' } },
  });
  const r = await benchDetectionThreads(Number(values.duration), Number(values.rounds));
  printReport(r);
  process.exitCode = r.thresholds.every((t) => t.ok) ? 0 : 1;
}
