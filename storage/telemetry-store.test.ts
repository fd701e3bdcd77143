// The telemetry store on both real backends: what is recorded reads back typed (EEG bit-exact as
// float32 rows), writes are idempotent, ranges page on (time, seq), and rows written in the stored
// format before the store existed still read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './db.ts';
import { samplesToBytes } from './float32-samples.ts';
import {
  countEegChunks,
  countHeartRateSamples,
  countPredictions,
  detectorBuckets,
  type EegChunkRecord,
  eegChunkBySeq,
  eegChunkPlaces,
  eegChunks,
  eegChunksOfEvents,
  eventsAfter,
  eventsBySeq,
  heartRateBuckets,
  heartRateSampleBySeq,
  heartRateSamples,
  latestEegStart,
  latestEventSeq,
  latestPlausibleHeartRate,
  latestPrediction,
  predictionBySeq,
  predictions,
  recordTelemetry,
  type TelemetryBatch,
} from './telemetry-store.ts';
import { testBackends } from './testing.ts';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const bits = (rows: readonly Float32Array[]) =>
  rows.map((r) => Array.from(new Uint32Array(r.slice().buffer)));

const chunk = (i: number, patientId = 'p1'): EegChunkRecord => ({
  source: '/devices/d1',
  eventId: `eeg-${i}`,
  patientId,
  deviceId: 'd1',
  startTime: T0 + i * 1000,
  sampleRateHz: 4,
  channels: ['C3', 'C4'],
  samples: [
    Float32Array.of(1.401298464324817e-45, -0, 0.1, i),
    Float32Array.of(-3.4028234663852886e38, 2, 3, 4),
  ],
});

function batch(): TelemetryBatch {
  const chunks = [0, 1, 2].map((i) => chunk(i));
  return {
    events: [
      ...chunks.map((c) => ({
        source: c.source,
        id: c.eventId,
        type: 'org.vigil.eeg.chunk',
        subject: c.patientId,
        time: c.startTime,
        receivedAt: T0 + 5000,
        data: JSON.stringify({ patientId: c.patientId, nSamples: 4 }),
      })),
      {
        source: '/devices/w1',
        id: 'hr-1',
        type: 'org.vigil.heartrate.sample',
        subject: 'p2',
        time: T0,
        receivedAt: T0 + 5000,
        data: null,
      },
    ],
    eegChunks: chunks,
    heartRate: [72, 74, 400, 0].map((bpm, i) => ({
      patientId: 'p1',
      deviceId: 'w1',
      time: T0 + i * 1000,
      bpm,
      min: i === 0 ? 70 : null,
      max: i === 0 ? 75 : null,
      sourceName: 'watch',
      eventSource: '/devices/w1',
      eventId: 'hr-1',
      index: i,
    })),
    predictions: chunks.map((c, i) => ({
      eventSource: '/functions/seizure-detector',
      eventId: `${c.eventId}.prediction`,
      patientId: 'p1',
      chunkEventId: c.eventId,
      windowStart: c.startTime,
      chunkProbability: i === 1 ? 0.9 : 0.1,
      label: i === 1 ? 'seizure' : 'normal',
      windowProbabilities: [[i === 1 ? 0.9 : 0.1, 0.2]],
      modelVersion: 'm1',
    })),
  };
}

describe.each(testBackends)('telemetry store on $name', ({ open }) => {
  let db: Db;
  const range = { patientId: 'p1', from: T0, to: T0 + 60_000 };
  beforeAll(async () => {
    db = await open();
    expect(await recordTelemetry(db, batch())).toBe(4);
  });
  afterAll(() => db.close());

  it('is idempotent: the same batch again stores nothing new', async () => {
    expect(await recordTelemetry(db, batch())).toBe(0);
    expect(await countEegChunks(db, range)).toBe(3);
    expect(await countHeartRateSamples(db, range)).toBe(4);
    expect(await countPredictions(db, range)).toBe(3);
  });

  it('reads EEG back as float32 rows, bit-exact, by range, by seq and by event', async () => {
    const all = await eegChunks(db, { ...range, limit: 10 });
    expect(all.map((c) => c.eventId)).toEqual(['eeg-0', 'eeg-1', 'eeg-2']);
    for (const c of all) {
      expect(c.samples.every((r) => r instanceof Float32Array)).toBe(true);
      expect(bits(c.samples)).toEqual(bits(chunk(Number(c.eventId.slice(4))).samples));
      expect(c).toMatchObject({ nSamples: 4, sampleRateHz: 4, channels: ['C3', 'C4'], deviceId: 'd1' });
    }
    expect(bits((await eegChunkBySeq(db, all[1]!.seq))!.samples)).toEqual(bits(chunk(1).samples));
    const byEvent = await eegChunksOfEvents(db, [{ source: '/devices/d1', eventId: 'eeg-2' }]);
    expect(byEvent.map((c) => c.startTime)).toEqual([T0 + 2000]);
    expect(await latestEegStart(db, 'p1')).toBe(T0 + 2000);
    expect(await latestEegStart(db, 'nobody')).toBeUndefined();
    const places = await eegChunkPlaces(db, { ...range, eventIds: ['eeg-0', 'nope'] });
    expect(places).toEqual([{ seq: all[0]!.seq, eventId: 'eeg-0', deviceId: 'd1' }]);
  });

  it('pages a range on (time, seq)', async () => {
    const first = await heartRateSamples(db, { ...range, limit: 2 });
    expect(first.map((s) => s.bpm)).toEqual([72, 74]);
    expect(first[0]).toMatchObject({ min: 70, max: 75, deviceId: 'w1', patientId: 'p1', time: T0 });
    const last = first[1]!;
    const next = await heartRateSamples(db, {
      ...range,
      after: { time: last.time, seq: last.seq },
      limit: 10,
    });
    expect(next.map((s) => s.bpm)).toEqual([400, 0]);
    expect((await heartRateSampleBySeq(db, last.seq))?.bpm).toBe(74);
  });

  it('finds the newest plausible heart rate and the newest prediction', async () => {
    expect((await latestPlausibleHeartRate(db, 'p1', 300))?.bpm).toBe(74);
    const p = await latestPrediction(db, 'p1');
    expect(p).toMatchObject({ chunkEventId: 'eeg-2', label: 'normal', windowProbabilities: [[0.1, 0.2]] });
    const page = await predictions(db, { ...range, limit: 10 });
    expect(page.map((x) => x.label)).toEqual(['normal', 'seizure', 'normal']);
    expect((await predictionBySeq(db, page[1]!.seq))?.chunkProbability).toBe(0.9);
  });

  it('buckets heart rate and detector verdicts per device', async () => {
    const hr = await heartRateBuckets(db, { ...range, bucketMs: 60_000 });
    expect(hr).toEqual([
      { deviceId: 'w1', start: T0, mean: (72 + 74 + 400) / 4, min: 0, max: 400, samples: 4 },
    ]);
    const det = await detectorBuckets(db, { ...range, bucketMs: 60_000 });
    expect(det).toEqual([{ deviceId: 'd1', start: T0, analysed: 3, seizure: 1 }]);
  });

  it('reads events by seq, after a seq, and per patient', async () => {
    const head = await latestEventSeq(db);
    const all = await eventsAfter(db, 0, 10);
    expect(all.map((e) => e.id)).toEqual(['eeg-0', 'eeg-1', 'eeg-2', 'hr-1']);
    expect(all[3]!.seq).toBe(head);
    expect(typeof all[0]!.seq).toBe('number');
    expect((await eventsAfter(db, 0, 10, 'p2')).map((e) => e.id)).toEqual(['hr-1']);
    expect((await eventsBySeq(db, [all[1]!.seq])).map((e) => e.id)).toEqual(['eeg-1']);
  });

  it('reads a chunk stored by the recorder before the store, as the raw float32 LE bytes', async () => {
    const samples = [Float32Array.of(1.5, -2)];
    const raw = Buffer.from([0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
    expect(samplesToBytes(samples).equals(raw)).toBe(true);
    await db.run(
      `INSERT INTO eeg_chunks (source, event_id, patient_id, device_id, start_time, sample_rate_hz, n_samples, channels, samples)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ['/devices/old', 'old-1', 'p-old', 'old', T0, 2, 2, 'FP1-F7', raw],
    );
    const [old] = await eegChunks(db, { patientId: 'p-old', from: T0, to: T0, limit: 1 });
    expect(old?.channels).toEqual(['FP1-F7']);
    expect(old?.samples).toEqual(samples);
  });
});
