// Mirrors perf/scenarios/eeg-latency.ts: EEG chunks at a constant 1,000/s, p99 acknowledgement < 50 ms.

import { check } from 'k6';
import http from 'k6/http';
import { BASE_URL, eegChunk, uniqueId } from './common.js';

export const options = {
  scenarios: {
    eeg: {
      executor: 'constant-arrival-rate',
      rate: 1000,
      timeUnit: '1s',
      duration: '15s',
      preAllocatedVUs: 64,
      maxVUs: 256,
    },
  },
  thresholds: { http_req_duration: ['p(99)<50'], http_req_failed: ['rate<0.01'] },
};

export default function () {
  const { body, params } = eegChunk(uniqueId('k6-eeg'));
  const res = http.post(`${BASE_URL}/`, body, params);
  check(res, { 'accepted (202)': (r) => r.status === 202 });
}
