// Issue #4's bar as data: heart-rate ingest → alert stored, p99 < 200 ms at 1,000 samples/s.
// Not an autocannon Scenario (perf/scenario.ts): every request carries its own patient, sample time and bpm,
// so perf/bench-latency.ts drives it with its own constant-rate sender.
import { DEFAULT_RULE } from '../../functions/heart-rate-monitor/rule.ts';
import { DEFAULT_LIMITS } from '../../storage/limits-store.ts';

const SAMPLE_STEP_MS = 1000;
/** The rule raises on the sample that makes the run last sustainSeconds with at least minSamples samples. */
const RAISING_INDEX = Math.max(
  DEFAULT_RULE.minSamples - 1,
  (DEFAULT_RULE.sustainSeconds * 1000) / SAMPLE_STEP_MS,
);

export const HR_ALERT_LATENCY = {
  /**
   * Patients (one device, one keep-alive connection each); BENCH_DEVICES overrides. Even-numbered ones
   * breach. 100 × 10 samples/s rather than 20 × 50/s: one connection carrying 50 requests/s (20 ms apart)
   * queues behind any stall of the runtime, and that queueing, not the alert path, dominated: on a loaded
   * 2-core machine (load average ~4), SQLite, `npx tsx perf/bench-latency.ts --duration 5` with 20 patients
   * measured ack p50 927 ms; the same with BENCH_DEVICES=100, 14 ms.
   */
  patients: 100,
  /** 1-sample events per second, all patients together. */
  samplesPerS: 1000,
  /** Sample time advances this much per sample, independently of wall time (the rule uses sample time). */
  sampleStepMs: SAMPLE_STEP_MS,
  /**
   * Each breaching patient repeats: breachSamples above the limit (raises at raisingSampleIndex), then
   * normal samples, long enough (> clearSeconds) for the episode to clear before the next breach.
   * At 10 samples/s per patient a cycle is 6 s of wall time.
   */
  cycleSamples: 60,
  /** Normal samples before a patient's first breach (plus its stagger). */
  leadSamples: 5,
  breachSamples: RAISING_INDEX + 2,
  raisingSampleIndex: RAISING_INDEX,
  breachBpm: 150,
  normalBpm: 72,
  highLimitBpm: DEFAULT_LIMITS.high,
  thresholds: {
    alert_latency: ['p(99)<200'],
    alerts: ['count>=20'],
    http_req_failed: ['rate<0.01'],
  } as Record<string, string[]>,
} as const;
