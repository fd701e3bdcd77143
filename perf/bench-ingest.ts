// Ingest → stored throughput and acknowledgement latency of the embedded runtime (run in its own
// process), per scenario in perf/scenarios/, with the runtime's peak RSS. Exit code 1 if a threshold fails.
// Usage: npx tsx perf/bench-ingest.ts [--backend sqlite|mysql] [--scenario NAME]... [--duration S]

import { parseArgs } from 'node:util';
import { toolSettings } from '../config/env.ts';
import { runLoad } from './load.ts';
import { allPassed, type BenchReport, printReport } from './report.ts';
import { type Backend, rssSampler, startRuntimeProcess } from './runtime-process.ts';
import { checkThresholds, type Scenario } from './scenario.ts';
import { SCENARIOS } from './scenarios/index.ts';

/** Seconds of the same load before measuring; BENCH_WARMUP_S=0 measures from a cold start. */
const WARMUP_S = toolSettings().BENCH_WARMUP_S ?? 5;

export async function benchScenario(backend: Backend, scenario: Scenario): Promise<BenchReport> {
  const rt = await startRuntimeProcess(backend, 1);
  try {
    // Warm-up (k6's ramp-up): the same load, not counted, so a cold start is not what is measured.
    if (WARMUP_S > 0) {
      await runLoad(
        rt.url,
        { ...scenario, name: `${scenario.name}-warmup`, durationS: WARMUP_S },
        rt.devices[0]!,
      );
      await rt.idle();
    }
    const before = await rt.counts();
    const rss = rssSampler(() => rt.child.rssBytes());
    const t0 = performance.now();
    const load = await runLoad(rt.url, scenario, rt.devices[0]!);
    await rt.idle();
    const storedS = (performance.now() - t0) / 1000;
    const peakRss = rss.stop();
    const after = await rt.counts();
    const eeg = scenario.payload !== 'heart-rate';
    const stored = eeg
      ? after.eegChunks - before.eegChunks
      : after.heartRateSamples - before.heartRateSamples;
    const metrics = {
      ...load.metrics,
      stored_per_s: { value: stored / storedS },
      rss_mb: { value: peakRss / 2 ** 20 },
    };
    return {
      bench: `ingest ${scenario.name} (${backend}): ${scenario.description}`,
      figures: {
        'warm-up before measuring (s, same load, not counted)': WARMUP_S,
        'requests sent': load.requests,
        'acknowledged (2xx)': load.acknowledged,
        ...(scenario.executor === 'constant-arrival-rate'
          ? { 'dropped (every connection busy at the scheduled start)': load.dropped }
          : {}),
        'failed (non-2xx, errors, timeouts)': load.failed,
        'offered req/s': load.metrics.http_reqs!.rate!,
        [`stored ${eeg ? 'EEG chunks' : 'heart-rate samples'}`]: stored,
        'seconds from first request until the runtime was idle': storedS,
        [`stored ${eeg ? 'chunks' : 'samples'}/s (ingest → stored)`]: stored / storedS,
        'ack latency p50 ms': load.metrics.http_req_duration!['p(50)']!,
        'ack latency p99 ms': load.metrics.http_req_duration!['p(99)']!,
        'runtime peak RSS MB': peakRss / 2 ** 20,
      },
      thresholds: checkThresholds(scenario.thresholds, metrics),
    };
  } finally {
    await rt.stop();
  }
}

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      backend: { type: 'string', default: 'sqlite' },
      scenario: { type: 'string', multiple: true },
      duration: { type: 'string' },
    },
  });
  const backend = values.backend as Backend;
  if (backend !== 'sqlite' && backend !== 'mysql')
    throw new Error(`--backend: sqlite or mysql, got ${backend}`);
  const names = values.scenario ?? SCENARIOS.map((s) => s.name);
  const reports: BenchReport[] = [];
  for (const name of names) {
    const s = SCENARIOS.find((x) => x.name === name);
    if (!s)
      throw new Error(`--scenario: unknown ${name} (known: ${SCENARIOS.map((x) => x.name).join(', ')})`);
    const scenario = values.duration ? { ...s, durationS: Number(values.duration) } : s;
    const r = await benchScenario(backend, scenario);
    printReport(r);
    reports.push(r);
  }
  return allPassed(reports) ? 0 : 1;
}

if (process.argv[1] === import.meta.filename) process.exitCode = await main(process.argv.slice(2));
