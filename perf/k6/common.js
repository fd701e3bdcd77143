// Shared by the k6 scripts: target, credentials and request bodies. Run against a cluster, e.g.
//   BASE_URL=https://ingest.healthcare-cluster.com DEVICE_TOKEN=... PATIENT_ID=... DEVICE_ID=... k6 run perf/k6/eeg-latency.js
// The EEG chunk is 23 channels × 256 samples (CHB-MIT montage, values generated per request by a
// fixed formula so the body size matches a real JSON chunk; the local benches use the real excerpt).
export const BASE_URL = __ENV.BASE_URL;
export const TOKEN = __ENV.DEVICE_TOKEN;
export const PATIENT_ID = __ENV.PATIENT_ID || 'patient-1';
export const DEVICE_ID = __ENV.DEVICE_ID || 'device-1';
if (!BASE_URL || !TOKEN)
  throw new Error('set BASE_URL and DEVICE_TOKEN (and PATIENT_ID, DEVICE_ID of that token)');

const CHANNELS = [
  'FP1-F7',
  'F7-T7',
  'T7-P7',
  'P7-O1',
  'FP1-F3',
  'F3-C3',
  'C3-P3',
  'P3-O1',
  'FP2-F4',
  'F4-C4',
  'C4-P4',
  'P4-O2',
  'FP2-F8',
  'F8-T8',
  'T8-P8',
  'P8-O2',
  'FZ-CZ',
  'CZ-PZ',
  'P7-T7',
  'T7-FT9',
  'FT9-FT10',
  'FT10-T8',
  'T8-P8b',
];
const SAMPLES = JSON.stringify(
  CHANNELS.map((_, c) =>
    Array.from({ length: 256 }, (_, i) => Math.round(Math.sin((i + c) / 7) * 40000) / 1000),
  ),
);

function headers(type, id, time, contentType) {
  return {
    'content-type': contentType,
    authorization: `Bearer ${TOKEN}`,
    'ce-specversion': '1.0',
    'ce-id': id,
    'ce-source': `/devices/${DEVICE_ID}`,
    'ce-type': type,
    'ce-subject': PATIENT_ID,
    'ce-time': time,
  };
}

export function eegChunk(id) {
  const time = new Date().toISOString();
  const body =
    `{"patientId":"${PATIENT_ID}","deviceId":"${DEVICE_ID}","startTime":"${time}","sampleRateHz":256,` +
    `"channels":${JSON.stringify(CHANNELS)},"unit":"uV","samples":${SAMPLES}}`;
  return { body, params: { headers: headers('org.vigil.eeg.chunk', id, time, 'application/json') } };
}

export function heartRate(id, n) {
  const t0 = Date.now() - 3600000;
  const samples = Array.from({ length: n }, (_, i) => ({
    time: new Date(t0 + i * 1000).toISOString(),
    bpm: 70 + (i % 10),
  }));
  const body = JSON.stringify({ patientId: PATIENT_ID, deviceId: DEVICE_ID, source: 'k6', samples });
  return {
    body,
    params: {
      headers: headers('org.vigil.heartrate.sample', id, new Date().toISOString(), 'application/json'),
    },
  };
}

export function uniqueId(prefix) {
  return `${prefix}-${__VU}-${__ITER}-${Date.now()}`;
}
