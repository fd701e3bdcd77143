import type { Scenario } from '../scenario.ts';

/** Bar: p99 acknowledgement < 50 ms at half the 20,000 samples/s bar (100 events/s × 100 samples). */
export const scenario: Scenario = {
  name: 'hr-latency',
  description:
    'heart-rate events of 100 samples at a constant 100/s (10,000 samples/s); acknowledgement latency',
  executor: 'constant-arrival-rate',
  payload: 'heart-rate',
  samplesPerEvent: 100,
  rate: 100,
  durationS: 15,
  connections: 16,
  thresholds: { http_req_duration: ['p(99)<50'], http_req_failed: ['rate<0.01'] },
};
