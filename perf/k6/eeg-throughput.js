// Mirrors perf/scenarios/eeg-throughput.ts at the bar's rate: 2,000 EEG chunks/s offered for 15 s. k6 sees only
// acknowledgements; count the stored rows (eeg_chunks) afterwards to get ingest → stored throughput.

import { check } from 'k6';
import http from 'k6/http';
import { BASE_URL, eegChunk, uniqueId } from './common.js';

export const options = {
  scenarios: {
    eeg: {
      executor: 'constant-arrival-rate',
      rate: 2000,
      timeUnit: '1s',
      duration: '15s',
      preAllocatedVUs: 128,
      maxVUs: 512,
    },
  },
  thresholds: { http_req_failed: ['rate<0.01'], dropped_iterations: ['count<300'] },
};

export default function () {
  const { body, params } = eegChunk(uniqueId('k6-eegt'));
  const res = http.post(`${BASE_URL}/`, body, params);
  check(res, { 'accepted (202)': (r) => r.status === 202 });
}
