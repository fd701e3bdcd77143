// Runs one scenario's HTTP load (in this process; the target runs in another) and returns k6-named
// metrics: closed loop with autocannon, constant arrival rate with perf/arrival-rate.ts (autocannon's
// rate limit sends in bursts). Every request gets a fresh `ce-id` so none is dropped as a duplicate.
import autocannon from 'autocannon';
import { constantArrivalRate } from './arrival-rate.ts';
import { buildPayload, type Device, heartRateBody, idSequence } from './payloads.ts';
import { percentile } from './percentile.ts';
import type { MetricValues, Scenario } from './scenario.ts';

export interface LoadResult {
  requests: number;
  acknowledged: number;
  failed: number;
  /** Starts skipped because every connection was busy (k6 dropped_iterations; open model only). */
  dropped: number;
  durationS: number;
  metrics: MetricValues;
}

/** Heart-rate events are numbered across every load in this process, so a warm-up never reuses sample times. */
let hrEvent = 0;

export async function runLoad(url: string, scenario: Scenario, device: Device): Promise<LoadResult> {
  const template = await buildPayload(scenario.payload, device, scenario.samplesPerEvent);
  const nextId = idSequence(scenario.name);
  const headers = { ...template.headers, authorization: `Bearer ${device.token}` };
  const samplesPerEvent = scenario.samplesPerEvent ?? 100;
  if (scenario.executor === 'constant-arrival-rate') {
    const r = await constantArrivalRate(url, {
      rate: scenario.rate ?? 1,
      durationS: scenario.durationS,
      maxInFlight: scenario.connections,
      make: () => ({
        path: template.path,
        headers: { ...headers, 'ce-id': nextId() },
        body:
          scenario.payload === 'heart-rate'
            ? heartRateBody(device, hrEvent++, samplesPerEvent)
            : (template.body as string | Buffer),
      }),
    });
    const ok = r.statuses.filter((s) => s >= 200 && s < 300).length;
    const lat = [...r.latenciesMs].sort((a, b) => a - b);
    return {
      requests: r.requests,
      acknowledged: ok,
      failed: r.requests - ok,
      dropped: r.dropped,
      durationS: r.durationS,
      metrics: {
        http_req_duration: {
          avg: lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length),
          max: lat.at(-1) ?? Number.NaN,
          'p(50)': percentile(lat, 50),
          'p(90)': percentile(lat, 90),
          'p(99)': percentile(lat, 99),
        },
        http_req_failed: { rate: r.requests > 0 ? (r.requests - ok) / r.requests : 0 },
        http_reqs: { count: r.requests, rate: r.requests / r.durationS },
        dropped_iterations: { count: r.dropped },
      },
    };
  }
  const result = await autocannon({
    url: url.replace(/\/$/, '') + template.path,
    method: 'POST',
    connections: scenario.connections,
    duration: scenario.durationS,
    requests: [
      {
        method: 'POST',
        headers,
        body: template.body as string,
        setupRequest: (req: { headers: Record<string, string>; body?: string | Buffer }) => {
          req.headers = { ...headers, 'ce-id': nextId() };
          // Heart-rate samples are stored once per (patient, time): every event gets its own time range.
          if (scenario.payload === 'heart-rate') req.body = heartRateBody(device, hrEvent++, samplesPerEvent);
          return req;
        },
      },
    ],
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  const total = result.requests.total + result.errors + result.timeouts;
  const lat = result.latency;
  return {
    requests: total,
    acknowledged: result['2xx'],
    failed,
    dropped: 0,
    durationS: result.duration,
    metrics: {
      http_req_duration: {
        avg: lat.average,
        max: lat.max,
        'p(50)': lat.p50,
        'p(90)': lat.p90,
        'p(99)': lat.p99,
      },
      http_req_failed: { rate: total > 0 ? failed / total : 0 },
      http_reqs: { count: total, rate: total / result.duration },
    },
  };
}
