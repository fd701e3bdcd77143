// The findings, end to end (device -> ingest -> broker -> rules -> recorder -> alerts) with the
// real functions: a sample dated in the future is refused at the door naming its field, and cannot keep
// the patient's alarms from being raised, on this device or another.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../eventing/contract.ts';
import { samplesToBytes } from '../../eventing/eeg-codec.ts';
import { BONN_SAMPLE_RATE_HZ, parseBonnText } from '../../recordings/bonn.ts';
import { startTestRuntime, type TestRuntime } from '../../runtime/testing.ts';
import { listAlerts } from '../../storage/alert-queries.ts';
import { addPatient, enrollDevice } from '../../storage/patients-store.ts';
import { recordingChunks } from '../seizure-detector/preprocess.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const bonn = (rel: string) =>
  parseBonnText(
    readFileSync(fileURLToPath(new URL(`../../data/demo/eeg/bonn/${rel}`, import.meta.url)), 'latin1'),
    rel,
  );

describe.each(['sqlite', 'mysql'] as const)('time at the door on %s', (backend) => {
  let rt: TestRuntime;
  let n = 0;
  beforeAll(async () => {
    rt = await startTestRuntime(backend, { now: () => NOW });
  });
  afterAll(async () => {
    await rt?.stop();
  });

  const post = (token: string, body: BodyInit, headers: Record<string, string>, path = '/') =>
    fetch(`${rt.ingestUrl}${path}`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${token}`, ...headers },
    });

  function hr(deviceId: string, patientId: string, samples: { time: string; bpm: number }[]) {
    return JSON.stringify({
      specversion: '1.0',
      id: `hr-${n++}`,
      source: `/devices/${deviceId}`,
      type: EVENT_TYPES.heartRateSample,
      subject: patientId,
      data: { patientId, deviceId, source: 'test-watch', samples },
    });
  }
  const structured = { 'content-type': 'application/cloudevents+json' };
  /** n samples at 1 Hz ending at NOW. */
  const realTime = (bpm: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      time: new Date(NOW - (count - 1 - i) * 1000).toISOString(),
      bpm,
    }));
  const open = async (patientId: string, kind: string) =>
    (await listAlerts(rt.db, { patientId, kind: kind as 'seizure', status: 'open', limit: 10 })).items;

  async function newPatientDevice(patientId: string) {
    await addPatient(rt.db, { id: patientId, name: 'Test Patient' });
    return enrollDevice(rt.db, { patientId, kind: 'test' });
  }

  it('refuses a sample dated 2099 (422 naming the field); 16 s of 185 bpm after it still alarm', async () => {
    const dev = await newPatientDevice('p-future');
    const res = await post(
      dev.token,
      hr(dev.deviceId, 'p-future', [{ time: '2099-01-01T00:00:00Z', bpm: 72 }]),
      structured,
    );
    expect(res.status).toBe(422);
    const problem = await res.json();
    expect(problem.detail).toContain('data.samples[0].time');
    expect(problem.field).toBe('data.samples[0].time');
    expect(problem.errors[0].pointer).toBe('/data/samples/0/time');
    expect((await post(dev.token, hr(dev.deviceId, 'p-future', realTime(185, 16)), structured)).status).toBe(
      202,
    );
    await rt.idle();
    const alerts = await open('p-future', 'tachycardia');
    expect(alerts).toHaveLength(1);
    // raised at the rule's own delay (10 s sustained) in sample time
    expect(alerts[0]!.raisedAt).toBe(NOW - 15_000 + 10_000);
  });

  it('names data.startTime for a JSON EEG chunk and the index for a batch', async () => {
    const dev = await newPatientDevice('p-json-eeg');
    const chunk = (id: string, start: string) => ({
      specversion: '1.0',
      id,
      source: `/devices/${dev.deviceId}`,
      type: EVENT_TYPES.eegChunk,
      data: {
        patientId: 'p-json-eeg',
        deviceId: dev.deviceId,
        startTime: start,
        sampleRateHz: 256,
        channels: ['C3'],
        unit: 'uV',
        samples: [Array.from({ length: 256 }, (_, i) => Math.sin(i))],
      },
    });
    const one = await post(dev.token, JSON.stringify(chunk('j-1', '2099-01-01T00:00:00Z')), structured);
    expect(one.status).toBe(422);
    expect((await one.json()).errors[0].pointer).toBe('/data/startTime');
    const batch = await post(
      dev.token,
      JSON.stringify([chunk('j-2', new Date(NOW).toISOString()), chunk('j-3', '2099-01-01T00:00:00Z')]),
      { 'content-type': 'application/cloudevents-batch+json' },
    );
    expect(batch.status).toBe(422);
    const problem = await batch.json();
    expect([problem.field, problem.errors[0].pointer]).toEqual(['[1].data.startTime', '/1/data/startTime']);
  });

  it('accepts up to the allowed skew and refuses beyond it', async () => {
    const dev = await newPatientDevice('p-skew');
    const at = (s: number) => [{ time: new Date(NOW + s * 1000).toISOString(), bpm: 70 }];
    expect((await post(dev.token, hr(dev.deviceId, 'p-skew', at(30)), structured)).status).toBe(202);
    expect((await post(dev.token, hr(dev.deviceId, 'p-skew', at(31)), structured)).status).toBe(422);
    // late data (a watch syncing an hour later) is accepted
    expect((await post(dev.token, hr(dev.deviceId, 'p-skew', at(-3600)), structured)).status).toBe(202);
  });

  it("refuses a Health Auto Export entry dated 9999; the patient's other device still raises bradycardia", async () => {
    const watch = await newPatientDevice('p-hae');
    const other = await enrollDevice(rt.db, { patientId: 'p-hae', kind: 'test' });
    const body = JSON.stringify({
      data: {
        metrics: [
          {
            name: 'heart_rate',
            units: 'count/min',
            data: [
              { date: '2026-11-26 12:59:00 +0100', Avg: 70 },
              { date: '9999-11-26 10:00:00 +0100', Avg: 72 },
            ],
          },
        ],
      },
    });
    const res = await post(
      watch.token,
      body,
      { 'content-type': 'application/json' },
      '/v1/health-auto-export',
    );
    expect(res.status).toBe(422);
    const problem = await res.json();
    expect(problem.field).toBe('data.metrics[0].data[1].date');
    expect(problem.errors[0].pointer).toBe('/data/metrics/0/data/1/date');
    expect((await post(other.token, hr(other.deviceId, 'p-hae', realTime(30, 15)), structured)).status).toBe(
      202,
    );
    await rt.idle();
    expect(await open('p-hae', 'bradycardia')).toHaveLength(1);
  });

  it('refuses a binary EEG chunk dated 2099; the seizure after it raises an alert', async () => {
    const dev = await newPatientDevice('p-eeg');
    const chunk = (id: string, startMs: number, samples: Float64Array) =>
      post(dev.token, new Uint8Array(samplesToBytes([samples])), {
        'content-type': 'application/octet-stream',
        'ce-specversion': '1.0',
        'ce-id': id,
        'ce-source': `/devices/${dev.deviceId}`,
        'ce-type': EVENT_TYPES.eegChunk,
        'ce-patientid': 'p-eeg',
        'ce-deviceid': dev.deviceId,
        'ce-starttime': new Date(startMs).toISOString(),
        'ce-samplerate': String(BONN_SAMPLE_RATE_HZ),
        'ce-channels': 'T5',
        'ce-unit': 'uV',
      });
    const seizure = recordingChunks(bonn('setE/S046.txt'), BONN_SAMPLE_RATE_HZ);
    const res = await chunk('eeg-2099', Date.parse('2099-01-01T00:00:00Z'), seizure[0]!);
    expect(res.status).toBe(422);
    const problem = await res.json();
    expect(problem.field).toBe('ce-starttime');
    expect(problem.errors[0].pointer).toBe('header:ce-starttime');
    for (const [i, part] of seizure.entries())
      expect((await chunk(`eeg-${i}`, NOW - 30_000 + i * 10_000, part)).status).toBe(202);
    await rt.idle();
    expect(await open('p-eeg', 'seizure')).toHaveLength(1);
  });

  it('raises the technical alarm "device clock wrong" after repeated refusals from one device', async () => {
    const dev = await newPatientDevice('p-clock');
    const ahead = [{ time: new Date(NOW + 600_000).toISOString(), bpm: 70 }];
    for (let i = 0; i < 2; i++)
      expect((await post(dev.token, hr(dev.deviceId, 'p-clock', ahead), structured)).status).toBe(422);
    await rt.idle();
    expect(await open('p-clock', 'device-clock-wrong')).toHaveLength(0);
    expect((await post(dev.token, hr(dev.deviceId, 'p-clock', ahead), structured)).status).toBe(422);
    await rt.idle();
    const alerts = await open('p-clock', 'device-clock-wrong');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      category: 'technical',
      evidence: expect.objectContaining({ deviceId: dev.deviceId }),
    });
  });
});
