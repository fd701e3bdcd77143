import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../eventing/contract.ts';
import type { VigilEvent } from '../eventing/event.ts';
import type { VigilFunction } from '../eventing/subscriber.ts';
import { recorder } from '../functions/recorder/index.ts';
import { startTestRuntime, type TestRuntime } from './testing.ts';

const quiet = (name: string): VigilFunction => ({ name, handle: async () => [] });
function functions(rec: VigilFunction) {
  return new Map<string, VigilFunction>([
    ['recorder', rec],
    ['seizure-detector', quiet('seizure-detector')],
    ['heart-rate-monitor', quiet('heart-rate-monitor')],
    ['technical-alarms', quiet('technical-alarms')],
  ]);
}

/** A recorder that takes its time, so events are still queued when the runtime stops. */
const slowRecorder: VigilFunction = {
  name: 'recorder',
  async handle(e, ctx) {
    await new Promise((r) => setTimeout(r, 50));
    return recorder.handle(e, ctx);
  },
};

describe.each(['sqlite', 'mysql'] as const)('runtime restart on %s', (backend) => {
  let rt: TestRuntime | undefined;
  afterEach(async () => {
    await rt?.stop();
  });

  it('delivers every acknowledged event after a stop with events queued', async () => {
    rt = await startTestRuntime(backend, {
      functions: functions(slowRecorder),
      subscribers: { recorder: { maxBatch: 1, concurrency: 1 } },
    });
    const { deviceId, token } = rt.device;
    const ids: string[] = [];
    const events: VigilEvent[] = Array.from({ length: 40 }, (_, i) => ({
      specversion: '1.0',
      id: `q-${i}`,
      source: `/devices/${deviceId}`,
      type: EVENT_TYPES.heartRateSample,
      data: {
        patientId: 'patient-1',
        deviceId,
        source: 'w',
        samples: [{ time: new Date(1_700_000_000_000 + i * 1000).toISOString(), bpm: 60 + i }],
      },
    }));
    const res = await fetch(`${rt.ingestUrl}/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(events),
    });
    expect(res.status).toBe(202);
    ids.push(...events.map((e) => e.id));
    const second = await rt.restart({ functions: functions(recorder) });
    const storedBefore = Number((await second.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM events'))?.n);
    expect(storedBefore).toBeLessThan(40); // the slow recorder had not finished when we stopped
    await second.idle();
    const rows = await second.db.all<{ id: string }>('SELECT id FROM events ORDER BY id');
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    const queued = await second.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM broker_deliveries');
    expect(Number(queued?.n)).toBe(0);
  });
});
