import type { Scenario } from '../scenario.ts';

/** Bar: p99 acknowledgement < 50 ms at half the 2,000 chunks/s throughput bar. */
export const scenario: Scenario = {
  name: 'eeg-latency',
  description: 'EEG chunks (JSON) at a constant 1,000/s; acknowledgement latency',
  executor: 'constant-arrival-rate',
  payload: 'eeg-json',
  rate: 1000,
  durationS: 15,
  connections: 64,
  thresholds: { http_req_duration: ['p(99)<50'], http_req_failed: ['rate<0.01'], rss_mb: ['value<300'] },
};
