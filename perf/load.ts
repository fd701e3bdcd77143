// Runs one scenario's HTTP load with autocannon (in this process; the target runs in another) and
// returns k6-named metrics. Every request gets a fresh `ce-id` so the runtime never drops it as a duplicate.
import autocannon from 'autocannon';
import { buildPayload, type Device, heartRateBody, idSequence } from './payloads.ts';
import type { MetricValues, Scenario } from './scenario.ts';

export interface LoadResult {
  requests: number;
  acknowledged: number;
  failed: number;
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
  const result = await autocannon({
    url: url.replace(/\/$/, '') + template.path,
    method: 'POST',
    connections: scenario.connections,
    duration: scenario.durationS,
    ...(scenario.executor === 'constant-arrival-rate' ? { overallRate: scenario.rate } : {}),
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
