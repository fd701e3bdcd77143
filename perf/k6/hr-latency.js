// Mirrors perf/scenarios/hr-latency.ts: 100 heart-rate events/s of 100 samples (10,000 samples/s), p99 < 50 ms.

import { check } from 'k6';
import http from 'k6/http';
import { BASE_URL, heartRate, uniqueId } from './common.js';

export const options = {
  scenarios: {
    hr: {
      executor: 'constant-arrival-rate',
      rate: 100,
      timeUnit: '1s',
      duration: '15s',
      preAllocatedVUs: 16,
      maxVUs: 128,
    },
  },
  thresholds: { http_req_duration: ['p(99)<50'], http_req_failed: ['rate<0.01'] },
};

export default function () {
  const { body, params } = heartRate(uniqueId('k6-hr'), 100);
  const res = http.post(`${BASE_URL}/`, body, params);
  check(res, { 'accepted (202)': (r) => r.status === 202 });
}
