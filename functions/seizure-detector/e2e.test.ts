// Device -> ingest -> broker -> seizure-detector -> broker -> recorder -> predictions + alerts, in the
// embedded runtime, on a real Bonn ictal segment (data/demo/eeg, see PROVENANCE.md there).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../eventing/contract.ts';
import { BONN_SAMPLE_RATE_HZ, parseBonnText } from '../../recordings/bonn.ts';
import { postAsDevice, startTestRuntime, type TestRuntime } from '../../runtime/testing.ts';
import { alertAudit } from '../../storage/alert-audit.ts';
import { listAlerts } from '../../storage/alert-queries.ts';
import { recordingChunks } from './preprocess.ts';

const T0 = Date.UTC(2024, 4, 1, 9, 0, 0);
const demo = (rel: string) => fileURLToPath(new URL(`../../data/demo/eeg/bonn/${rel}`, import.meta.url));
const load = (rel: string) => parseBonnText(readFileSync(demo(rel), 'latin1'), rel);

describe.each(['sqlite', 'mysql'] as const)('seizure detection end to end on %s', (backend) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime(backend, { now: () => T0 + 3_600_000 });
  });
  afterAll(async () => {
    await rt?.stop();
  });

  const post = (id: string, startMs: number, samples: Float64Array): Promise<number> =>
    postAsDevice(rt, {
      id,
      type: EVENT_TYPES.eegChunk,
      time: new Date(startMs).toISOString(),
      data: {
        startTime: new Date(startMs).toISOString(),
        sampleRateHz: BONN_SAMPLE_RATE_HZ,
        channels: ['T5'],
        unit: 'uV',
        samples: [Array.from(samples)],
      },
    });

  it('stores a prediction per chunk and one seizure alert (device retry included), its condition ended when the EEG calms', async () => {
    const seizure = recordingChunks(load('setE/S046.txt'), BONN_SAMPLE_RATE_HZ);
    for (const [i, part] of seizure.entries()) {
      expect(await post(`sz-${i}`, T0 + i * 10_000, part)).toBe(202);
      if (i === 0) expect(await post('sz-0', T0, part)).toBe(202); // the device retried
    }
    await rt.idle();
    const predictions = await rt.db.all<{ chunk_event_id: string; label: string; model_version: string }>(
      'SELECT chunk_event_id, label, model_version FROM predictions WHERE patient_id = ? ORDER BY chunk_event_id',
      [rt.device.patientId],
    );
    expect(predictions.map((p) => [p.chunk_event_id, p.label])).toEqual([
      ['sz-0', 'seizure'],
      ['sz-1', 'seizure'],
      ['sz-2', 'seizure'],
    ]);
    expect(predictions[0]!.model_version).toMatch(/^seizure-mlp-/);
    const raised = await listAlerts(rt.db, { patientId: rt.device.patientId, kind: 'seizure', limit: 10 });
    expect(raised.total).toBe(1);
    expect(raised.items[0]).toMatchObject({
      kind: 'seizure',
      category: 'patient',
      severity: 'critical',
      status: 'raised',
      raisedBy: '/functions/seizure-detector',
      raisedAt: T0 + 3_600_000,
    });
    expect(raised.items[0]!.alertId).toMatch(
      new RegExp(`^seizure-${rt.device.patientId}-${rt.device.deviceId}-\\d+$`),
    );

    const normal = recordingChunks(load('setA/Z004.txt'), BONN_SAMPLE_RATE_HZ);
    for (const [i, part] of normal.entries())
      expect(await post(`n-${i}`, T0 + 30_000 + i * 10_000, part)).toBe(202);
    await rt.idle();
    const after = await listAlerts(rt.db, { patientId: rt.device.patientId, kind: 'seizure', limit: 10 });
    // latched: the condition ended, the alert waits for a person to acknowledge it
    expect(after.items.map((a) => [a.status, a.conditionActive, a.priority])).toEqual([
      ['raised', false, 'high'],
    ]);
    expect((await alertAudit(rt.db, after.items[0]!.alertId)).map((e) => [e.action, e.actor])).toEqual([
      ['raised', '/functions/seizure-detector'],
      ['condition-ended', 'seizure-detector'],
    ]);
  });
});
