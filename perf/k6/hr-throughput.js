// Mirrors perf/scenarios/hr-throughput.ts at the bar's rate: 200 events/s × 100 samples = 20,000 samples/s offered.

import { check } from 'k6';
import http from 'k6/http';
import { BASE_URL, heartRate, uniqueId } from './common.js';

export const options = {
  scenarios: {
    hr: {
      executor: 'constant-arrival-rate',
      rate: 200,
      timeUnit: '1s',
      duration: '15s',
      preAllocatedVUs: 32,
      maxVUs: 256,
    },
  },
  thresholds: { http_req_failed: ['rate<0.01'], dropped_iterations: ['count<30'] },
};

export default function () {
  const { body, params } = heartRate(uniqueId('k6-hrt'), 100);
  const res = http.post(`${BASE_URL}/`, body, params);
  check(res, { 'accepted (202)': (r) => r.status === 202 });
}
