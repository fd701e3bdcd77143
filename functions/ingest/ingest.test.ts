import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../eventing/contract.ts';
import { bytesToSamples, samplesToBytes } from '../../eventing/eeg-codec.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type { VigilFunction } from '../../eventing/subscriber.ts';
import { startTestRuntime, type TestRuntime } from '../../runtime/testing.ts';
import { addPatient, enrollDevice } from '../../storage/patients-store.ts';
import { recorder } from '../recorder/index.ts';
import { heldFunctions } from '../testing.ts';

const HAE = readFileSync(new URL('./fixtures/health-auto-export.json', import.meta.url), 'utf8');

// Only the recorder matters here; the other subscribers just take their deliveries.
const quiet = (name: string): VigilFunction => ({ name, handle: async () => [] });
const FUNCTIONS = new Map<string, VigilFunction>([
  ['recorder', recorder],
  ['seizure-detector', quiet('seizure-detector')],
  ['heart-rate-monitor', quiet('heart-rate-monitor')],
  ['technical-alarms', quiet('technical-alarms')],
]);

let n = 0;
const nextId = () => `evt-${Date.now()}-${n++}`;

function eegData(deviceId: string, channels = 2, samples = 256, rate = 256) {
  return {
    patientId: 'patient-1',
    deviceId,
    startTime: '2026-11-26T10:00:00.000Z',
    sampleRateHz: rate,
    channels: ['FP1-F7', 'C3', 'O2', 'T4', 'FZ', 'CZ'].slice(0, channels),
    unit: 'uV',
    samples: Array.from({ length: channels }, (_, c) =>
      Array.from({ length: samples }, (_, i) => c * 1000 + i * 0.5),
    ),
  };
}

function hrEvent(deviceId: string, bpm = 72, id = nextId()): VigilEvent {
  return {
    specversion: '1.0',
    id,
    source: `/devices/${deviceId}`,
    type: EVENT_TYPES.heartRateSample,
    subject: 'patient-1',
    time: '2026-11-26T10:00:01Z',
    datacontenttype: 'application/json',
    data: {
      patientId: 'patient-1',
      deviceId,
      source: 'test-watch',
      samples: [{ time: `2026-11-26T10:00:${String(n % 60).padStart(2, '0')}Z`, bpm }],
    },
  };
}

describe.each(['sqlite', 'mysql'] as const)('ingest gateway on %s', (backend) => {
  let rt: TestRuntime;
  let token: string;
  let deviceId: string;
  const post = (body: BodyInit, headers: Record<string, string>, path = '/') =>
    fetch(`${rt.ingestUrl}${path}`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${token}`, ...headers },
    });
  const structured = (ev: unknown) =>
    post(JSON.stringify(ev), { 'content-type': 'application/cloudevents+json' });
  const count = async (sql: string, params: (string | number)[] = []) =>
    Number((await rt.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${sql}`, params))?.n);

  beforeAll(async () => {
    rt = await startTestRuntime(backend, { functions: FUNCTIONS });
    token = rt.device.token;
    deviceId = rt.device.deviceId;
  });
  afterAll(async () => {
    await rt.stop();
  });

  it('accepts a structured-mode heart-rate event and stores its samples', async () => {
    const ev = hrEvent(deviceId, 77);
    const res = await structured(ev);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 1, duplicates: 0, ids: [ev.id] });
    await rt.idle();
    const row = await rt.db.get<{ bpm: number; source_name: string }>(
      'SELECT bpm, source_name FROM heart_rate_samples WHERE event_id = ?',
      [ev.id],
    );
    expect(row).toEqual({ bpm: 77, source_name: 'test-watch' });
  });

  it('accepts binary mode with JSON data and stores EEG as float32', async () => {
    const id = nextId();
    const data = eegData(deviceId);
    const res = await post(JSON.stringify(data), {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': `/devices/${deviceId}`,
      'ce-type': EVENT_TYPES.eegChunk,
      'ce-subject': 'patient-1',
      'ce-time': '2026-11-26T10:00:01Z',
    });
    expect(res.status).toBe(202);
    await rt.idle();
    const row = await rt.db.get<{ samples: Buffer; channels: string; n_samples: number }>(
      'SELECT samples, channels, n_samples FROM eeg_chunks WHERE event_id = ?',
      [id],
    );
    expect(row?.channels).toBe('FP1-F7,C3');
    expect(Number(row?.n_samples)).toBe(256);
    const back = bytesToSamples(row!.samples, 2);
    expect(Array.from(back[1]!.slice(0, 3))).toEqual([1000, 1000.5, 1001]);
    const stored = await rt.db.get<{ data: string }>('SELECT data FROM events WHERE id = ?', [id]);
    expect(JSON.parse(stored!.data)).not.toHaveProperty('samples');
  });

  it('accepts compact binary EEG (float32 LE, channel-major, fields as extensions)', async () => {
    const id = nextId();
    const samples = [
      [1.25, -2.5, 3],
      [4, 5.5, -6.75],
    ];
    const res = await post(new Uint8Array(samplesToBytes(samples)), {
      'content-type': 'application/octet-stream',
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': `/devices/${deviceId}`,
      'ce-type': EVENT_TYPES.eegChunk,
      'ce-patientid': 'patient-1',
      'ce-deviceid': deviceId,
      'ce-starttime': '2026-11-26T10:00:00Z',
      'ce-samplerate': '256',
      'ce-channels': 'C3,C4',
      'ce-unit': 'uV',
    });
    expect(res.status).toBe(202);
    await rt.idle();
    const row = await rt.db.get<{ samples: Buffer }>('SELECT samples FROM eeg_chunks WHERE event_id = ?', [
      id,
    ]);
    expect(bytesToSamples(row!.samples, 2).map((r) => Array.from(r))).toEqual(samples);
  });

  it('accepts a batch all-or-nothing and names the index of a bad event', async () => {
    const good = [hrEvent(deviceId), hrEvent(deviceId)];
    const ok = await post(JSON.stringify(good), { 'content-type': 'application/cloudevents-batch+json' });
    expect(ok.status).toBe(202);
    expect((await ok.json()).accepted).toBe(2);

    const bad = [
      hrEvent(deviceId),
      {
        ...hrEvent(deviceId),
        data: { patientId: 'patient-1', deviceId, source: 'w', samples: [{ time: 'yesterday', bpm: 70 }] },
      },
    ];
    const res = await post(JSON.stringify(bad), { 'content-type': 'application/cloudevents-batch+json' });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = await res.json();
    expect(problem.errors[0].pointer).toBe('/1/data/samples/0/time');
    expect(problem.detail).toMatch(/^event 1: /);
    await rt.idle();
    expect(await count('events WHERE id = ?', [bad[0]!.id])).toBe(0);
  });

  it('converts a Health Auto Export body and lists the metrics it ignored', async () => {
    const res = await post(HAE, { 'content-type': 'application/json' }, '/v1/health-auto-export');
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body.samples).toBe(3);
    expect(body.ignored).toEqual([
      { name: 'workouts', entries: 0, reason: 'not monitored by Vigil' },
      { name: 'resting_heart_rate', entries: 1, reason: 'not monitored by Vigil' },
      { name: 'blood_oxygen_saturation', entries: 2, reason: 'not monitored by Vigil' },
    ]);
    await rt.idle();
    const rows = await rt.db.all<{ time: number; bpm: number; min_bpm: number; source_name: string }>(
      'SELECT time, bpm, min_bpm, source_name FROM heart_rate_samples WHERE device_id = ? AND time BETWEEN ? AND ? ORDER BY time',
      [deviceId, Date.parse('2024-02-06T22:30:00Z'), Date.parse('2024-02-07T00:00:00Z')],
    );
    expect(rows.map((r) => Number(r.time))).toEqual([
      Date.parse('2024-02-06T22:30:00Z'),
      Date.parse('2024-02-06T22:31:00Z'),
      Date.parse('2024-02-06T22:32:00Z'),
    ]);
    expect(rows[2]!.min_bpm).toBeCloseTo(46, 9);
    expect(rows[1]!.source_name).toBe('Ada’s Apple Watch|iPhone');
    // The app re-sends after a timeout: accepted again, stored once.
    const again = await post(HAE, { 'content-type': 'application/json' }, '/v1/health-auto-export');
    expect(again.status).toBe(202);
    await rt.idle();
    expect(
      await count('heart_rate_samples WHERE device_id = ? AND time BETWEEN ? AND ?', [
        deviceId,
        Date.parse('2024-02-06T22:30:00Z'),
        Date.parse('2024-02-07T00:00:00Z'),
      ]),
    ).toBe(3);
  });

  it('stores a duplicate event (same source and id) once', async () => {
    const ev = hrEvent(deviceId, 90);
    expect((await structured(ev)).status).toBe(202);
    await rt.idle();
    const res = await structured(ev);
    expect(res.status).toBe(202);
    await rt.idle();
    expect(await count('events WHERE source = ? AND id = ?', [ev.source, ev.id])).toBe(1);
    expect(await count('heart_rate_samples WHERE event_id = ?', [ev.id])).toBe(1);
  });

  it('answers 401 without a token or with an unknown one', async () => {
    const noAuth = await fetch(`${rt.ingestUrl}/`, {
      method: 'POST',
      body: JSON.stringify(hrEvent(deviceId)),
      headers: { 'content-type': 'application/cloudevents+json' },
    });
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await noAuth.json()).errors[0].pointer).toBe('header:authorization');
    const bad = await fetch(`${rt.ingestUrl}/`, {
      method: 'POST',
      body: JSON.stringify(hrEvent(deviceId)),
      headers: { 'content-type': 'application/cloudevents+json', authorization: 'Bearer vgl_dev_nope' },
    });
    expect(bad.status).toBe(401);
  });

  it("answers 403 when a device sends another patient's data or another device's source", async () => {
    await addPatient(rt.db, { id: 'patient-2', name: 'Other' });
    const other = await enrollDevice(rt.db, { patientId: 'patient-2' });
    const ev = hrEvent(deviceId);
    (ev.data as { patientId: string }).patientId = 'patient-2';
    ev.subject = 'patient-2';
    const res = await structured(ev);
    expect(res.status).toBe(403);
    expect((await res.json()).errors[0].pointer).toBe('/data/patientId');
    const spoof = { ...hrEvent(deviceId), source: `/devices/${other.deviceId}` };
    const res2 = await structured(spoof);
    expect(res2.status).toBe(403);
    expect((await res2.json()).errors[0].pointer).toBe('/source');
  });

  it('answers 400 for malformed JSON and missing CloudEvents attributes', async () => {
    const res = await post('{"specversion":"1.0",', { 'content-type': 'application/cloudevents+json' });
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toMatch(/not valid JSON/);
    const { id: _id, ...noId } = hrEvent(deviceId);
    const res2 = await structured(noId);
    expect(res2.status).toBe(400);
    expect((await res2.json()).errors[0].pointer).toBe('/id');
    const res3 = await post('{}', {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-type': EVENT_TYPES.heartRateSample,
    });
    expect(res3.status).toBe(400);
    expect((await res3.json()).errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      'header:ce-id',
      'header:ce-source',
    ]);
  });

  it('answers 413 for a body over 1 MiB and a batch over 500 events', async () => {
    const big = 'x'.repeat(1024 * 1024 + 1);
    const res = await post(big, { 'content-type': 'application/cloudevents+json' });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    // Without a content-length (chunked), the limit is enforced while reading.
    const chunks = Array.from({ length: 9 }, () => new TextEncoder().encode('x'.repeat(128 * 1024)));
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        const next = chunks.shift();
        if (next) ctrl.enqueue(next);
        else ctrl.close();
      },
    });
    const chunked = await fetch(`${rt.ingestUrl}/`, {
      method: 'POST',
      body: stream,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/cloudevents+json' },
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const many = Array.from({ length: 501 }, () => hrEvent(deviceId));
    const res2 = await post(JSON.stringify(many), { 'content-type': 'application/cloudevents-batch+json' });
    expect(res2.status).toBe(413);
    expect((await res2.json()).detail).toMatch(/at most 500/);
  });

  it('answers 415 for unsupported media types', async () => {
    const res = await post('hello', {
      'content-type': 'text/plain',
      'ce-specversion': '1.0',
      'ce-id': nextId(),
      'ce-source': `/devices/${deviceId}`,
      'ce-type': EVENT_TYPES.heartRateSample,
    });
    expect(res.status).toBe(415);
    const res2 = await post('<x/>', { 'content-type': 'application/cloudevents+xml' });
    expect(res2.status).toBe(415);
    const res3 = await post('{}', { 'content-type': 'text/plain' }, '/v1/health-auto-export');
    expect(res3.status).toBe(415);
  });

  it('answers 422 for schema violations with the offending field', async () => {
    const cases: [unknown, string][] = [
      [{ ...eegData(deviceId), sampleRateHz: 5000 }, '/data/sampleRateHz'],
      [eegData(deviceId, 1, 256 * 11, 256), '/data/samples'],
      [{ ...eegData(deviceId), channels: Array.from({ length: 65 }, (_, i) => `E${i}`) }, '/data/channels'],
      [{ ...eegData(deviceId), samples: [[1, 2], [3]] }, '/data/samples/1'],
      [{ ...eegData(deviceId), unit: 'mV' }, '/data/unit'],
      [{ ...eegData(deviceId), extra: true }, '/data'],
    ];
    for (const [data, ptr] of cases) {
      const res = await structured({
        specversion: '1.0',
        id: nextId(),
        source: `/devices/${deviceId}`,
        type: EVENT_TYPES.eegChunk,
        data,
      });
      expect(res.status, ptr).toBe(422);
      const p = await res.json();
      expect(
        p.errors.map((e: { pointer: string }) => e.pointer),
        ptr,
      ).toContain(ptr);
    }
    const unknownType = await structured({ ...hrEvent(deviceId), type: 'org.vigil.alert.raised' });
    expect(unknownType.status).toBe(422);
    expect((await unknownType.json()).errors[0].pointer).toBe('/type');
    const nan = await post(new Uint8Array(samplesToBytes([[1, Number.NaN]])), {
      'content-type': 'application/octet-stream',
      'ce-specversion': '1.0',
      'ce-id': nextId(),
      'ce-source': `/devices/${deviceId}`,
      'ce-type': EVENT_TYPES.eegChunk,
      'ce-patientid': 'patient-1',
      'ce-deviceid': deviceId,
      'ce-starttime': '2026-11-26T10:00:00Z',
      'ce-samplerate': '256',
      'ce-channels': 'C3',
      'ce-unit': 'uV',
    });
    expect(nan.status).toBe(422);
    expect((await nan.json()).errors[0].pointer).toBe('/data/samples/0/1');
    const badHae = await post(
      '{"data":{"metrics":[{"name":"heart_rate","units":"count/min","data":[{"date":"2024-02-06T14:30:00Z","Avg":80}]}]}}',
      { 'content-type': 'application/json' },
      '/v1/health-auto-export',
    );
    expect(badHae.status).toBe(422);
    expect((await badHae.json()).errors[0].pointer).toBe('/data/metrics/0/data/0/date');
  });

  it('serves JSON Schemas, health and Prometheus metrics', async () => {
    const s = await fetch(`${rt.ingestUrl}/schemas/org.vigil.eeg.chunk`);
    expect(s.status).toBe(200);
    const schema = await s.json();
    expect(schema.required).toEqual(expect.arrayContaining(['patientId', 'samples', 'sampleRateHz']));
    expect(schema.properties.sampleRateHz.maximum).toBe(4096);
    expect((await fetch(`${rt.ingestUrl}/schemas/org.vigil.nope`)).status).toBe(404);
    expect((await fetch(`${rt.ingestUrl}/healthz`)).status).toBe(200);
    // Metrics are on their own port, not the public one.
    expect((await fetch(`${rt.ingestUrl}/metrics`)).status).toBe(404);
    const m = await (await fetch(rt.metricsUrl)).text();
    const accepted = m
      .split('\n')
      .find((l) => l.startsWith('vigil_requests_total{') && l.includes('outcome="accepted"'));
    expect(accepted).toContain('function="ingest"');
    expect(Number(accepted?.split(' ')[1])).toBeGreaterThan(0);
    expect(m).toMatch(/^http_request_duration_seconds_count\{.*outcome="422".*\} [1-9]/m);
  });
});

describe('ingest under back-pressure', () => {
  it('answers 503 with Retry-After when the broker cannot take more, and 202 again once it can', async () => {
    const { functions, release } = heldFunctions([
      'recorder',
      'seizure-detector',
      'heart-rate-monitor',
      'technical-alarms',
    ]);
    const rt = await startTestRuntime('sqlite', {
      functions,
      subscribers: {},
      maxPendingEvents: 2,
    });
    try {
      const send = (ev: VigilEvent) =>
        fetch(`${rt.ingestUrl}/`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${rt.device.token}`,
            'content-type': 'application/cloudevents+json',
          },
          body: JSON.stringify(ev),
        });
      expect((await send(hrEvent(rt.device.deviceId))).status).toBe(202);
      expect((await send(hrEvent(rt.device.deviceId))).status).toBe(202);
      const full = await send(hrEvent(rt.device.deviceId));
      expect(full.status).toBe(503);
      expect(full.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(full.headers.get('content-type')).toBe('application/problem+json');
      release();
      await rt.idle();
      expect((await send(hrEvent(rt.device.deviceId))).status).toBe(202);
    } finally {
      release();
      await rt.stop();
    }
  });
});
