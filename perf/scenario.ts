// Load scenarios as data, k6-style: an executor, a rate, a duration and thresholds that fail the run.
// The same objects drive the local autocannon runs and are mirrored by the k6 scripts in perf/k6/.
import type { PayloadKind } from './payloads.ts';

export interface Scenario {
  name: string;
  description: string;
  /** `constant-arrival-rate`: `rate` requests per second whatever the latency (open model). `max`: closed loop. */
  executor: 'constant-arrival-rate' | 'max-throughput';
  payload: PayloadKind;
  /** Requests per second (constant-arrival-rate). */
  rate?: number;
  durationS: number;
  /** Connections (k6 preAllocatedVUs). */
  connections: number;
  /** Heart-rate samples per event (payload heart-rate). */
  samplesPerEvent?: number;
  /**
   * k6 threshold syntax. Metrics: http_req_duration (ms; p(N), avg, max), http_req_failed (rate),
   * stored_per_s (value: rows stored per second, ingest → storage), rss_mb (value: runtime peak RSS).
   */
  thresholds: Record<string, string[]>;
}

export interface ThresholdResult {
  metric: string;
  expression: string;
  actual: number;
  ok: boolean;
}

const EXPR = /^(p\((\d+(?:\.\d+)?)\)|avg|max|rate|value|count)\s*(<=|>=|<|>|==)\s*(-?\d+(?:\.\d+)?)$/;

/** Metric values by aggregation: { http_req_duration: { 'p(99)': 12, avg: 3 }, stored_per_s: { value: 2100 } }. */
export type MetricValues = Record<string, Record<string, number>>;

export function checkThresholds(
  thresholds: Record<string, string[]>,
  values: MetricValues,
): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  for (const [metric, expressions] of Object.entries(thresholds))
    for (const expression of expressions) {
      const m = EXPR.exec(expression.replace(/\s+/g, ''));
      if (!m) throw new Error(`threshold ${metric}: cannot parse ${JSON.stringify(expression)}`);
      const agg = m[1]!;
      const actual = values[metric]?.[agg];
      if (actual === undefined) throw new Error(`threshold ${metric}: no measured value for ${agg}`);
      const limit = Number(m[4]);
      const ok =
        m[3] === '<'
          ? actual < limit
          : m[3] === '<='
            ? actual <= limit
            : m[3] === '>'
              ? actual > limit
              : m[3] === '>='
                ? actual >= limit
                : actual === limit;
      out.push({ metric, expression, actual, ok });
    }
  return out;
}
