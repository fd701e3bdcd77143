// Validate once, at the door: an event checked by eventing/validate-event.ts reaches every handler
// typed, EEG samples as float32 rows, and no handler (nor the alert store, for the replies) runs a
// contract schema again.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DATA_SCHEMAS, EVENT_TYPES } from '../eventing/contract.ts';
import type { VigilEvent } from '../eventing/event.ts';
import type { FunctionContext } from '../eventing/subscriber.ts';
import { validateContractEvent } from '../eventing/validate-event.ts';
import type { Db } from '../storage/db.ts';
import { testBackends } from '../storage/testing.ts';
import { heartRateMonitor } from './heart-rate-monitor/index.ts';
import { recorder } from './recorder/index.ts';
import { seizureDetector } from './seizure-detector/index.ts';
import { technicalAlarms } from './technical-alarms/index.ts';

const sqlite = testBackends.find((b) => b.name === 'sqlite')!;
const T0 = Date.parse('2026-12-03T10:00:00.000Z');

/** A flat 10-s EEG chunk: it also raises the flat-line technical alarm, so there are replies to store. */
const eeg = (i: number): VigilEvent => ({
  specversion: '1.0',
  id: `eeg-${i}`,
  source: '/devices/dev-1',
  type: EVENT_TYPES.eegChunk,
  subject: 'pat-1',
  data: {
    patientId: 'pat-1',
    deviceId: 'dev-1',
    startTime: new Date(T0 + i * 10_000).toISOString(),
    sampleRateHz: 128,
    channels: ['C3', 'C4'],
    unit: 'uV',
    samples: [new Array(1280).fill(0), new Array(1280).fill(0)],
  },
});

/** A heart rate far below any limit: the monitor raises a bradycardia alarm. */
const heartRate: VigilEvent = {
  specversion: '1.0',
  id: 'hr-1',
  source: '/devices/watch-1',
  type: EVENT_TYPES.heartRateSample,
  subject: 'pat-1',
  data: {
    patientId: 'pat-1',
    deviceId: 'watch-1',
    source: 'test',
    samples: Array.from({ length: 60 }, (_, s) => ({ time: new Date(T0 + s * 1000).toISOString(), bpm: 25 })),
  },
};

describe('events validated at the door', () => {
  let db: Db;
  let ctx: FunctionContext;
  beforeAll(async () => {
    db = await sqlite.open();
    ctx = { db, now: () => T0 + 120_000 };
  });
  afterAll(() => db.close());
  afterEach(() => vi.restoreAllMocks());

  it('reach every handler with float32 samples, and no handler or the alert store parses them again', async () => {
    const chunks = [0, 1, 2, 3].map((i) => validateContractEvent(eeg(i)));
    const hr = validateContractEvent(heartRate);
    const samples = (chunks[0]!.data as { samples: unknown[] }).samples;
    expect(samples.every((r) => r instanceof Float32Array)).toBe(true);

    // Every parse path of zod (parse, safeParse, the standard-schema one) runs a schema's _zod.run.
    const runs = Object.values(DATA_SCHEMAS).map((s) => vi.spyOn(s._zod, 'run'));
    const replies: VigilEvent[] = [];
    for (const c of chunks) {
      replies.push(...(await seizureDetector.handle(c, ctx)));
      replies.push(...(await technicalAlarms.handle(c, ctx)));
    }
    replies.push(...(await heartRateMonitor.handle(hr, ctx)));
    await recorder.handleBatch!([...chunks, hr, ...replies], ctx);

    const types = new Set(replies.map((r) => r.type));
    expect(types).toContain(EVENT_TYPES.eegPrediction);
    expect(types).toContain(EVENT_TYPES.alertRaised);
    for (const run of runs) expect(run).not.toHaveBeenCalled();
    const stored = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM alerts WHERE patient_id = 'pat-1'");
    expect(Number(stored?.n)).toBeGreaterThanOrEqual(2);
  });
});
