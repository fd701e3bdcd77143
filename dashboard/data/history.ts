// History of one patient as the dashboard serves it: heart rate, EEG (float32 rows as JSON traces) and
// predictions from the telemetry store, keyset-paginated on (time, seq) so pages stay stable while new
// rows arrive.

import type { Db } from '../../storage/db.ts';
import {
  countEegChunks,
  countHeartRateSamples,
  countPredictions,
  eegChunks,
  heartRateSamples,
  predictions,
  type TelemetryPage,
  type TelemetryRange,
} from '../../storage/telemetry-store.ts';
import { traceOf } from '../live/summarise.ts';
import { seizureThreshold } from './model-threshold.ts';
import { seizureWindows } from './seizure-windows.ts';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  total: number;
}

export interface RangeQuery {
  patientId: string;
  from: number;
  to: number;
  limit: number;
  cursor: { time: number; seq: number } | undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();
const cursorOf = (time: number, seq: number) =>
  Buffer.from(JSON.stringify([time, seq])).toString('base64url');

/** One page of a range: `limit` rows fetched plus one, to know whether another page follows. */
async function paged<R extends { seq: number }, T>(
  q: RangeQuery,
  rows: (page: TelemetryPage) => Promise<R[]>,
  count: (range: TelemetryRange) => Promise<number>,
  map: (r: R) => T,
  timeOf: (r: R) => number,
): Promise<Page<T>> {
  const range = { patientId: q.patientId, from: q.from, to: q.to };
  const [total, found] = await Promise.all([
    count(range),
    rows({ ...range, after: q.cursor, limit: q.limit + 1 }),
  ]);
  const page = found.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(map),
    nextCursor: found.length > q.limit && last ? cursorOf(timeOf(last), last.seq) : null,
    total,
  };
}

export interface HeartRatePoint {
  time: string;
  bpm: number;
  unit: 'count/min';
  min: number | null;
  max: number | null;
  deviceId: string;
}

export function heartRateHistory(db: Db, q: RangeQuery): Promise<Page<HeartRatePoint>> {
  return paged(
    q,
    (p) => heartRateSamples(db, p),
    (r) => countHeartRateSamples(db, r),
    (r) => ({
      time: iso(r.time),
      bpm: r.bpm,
      unit: 'count/min' as const,
      min: r.min,
      max: r.max,
      deviceId: r.deviceId,
    }),
    (r) => r.time,
  );
}

export interface PredictionPoint {
  time: string;
  probability: number;
  label: string;
  modelVersion: string;
  chunkEventId: string;
  /** Each one-second window: seizure-like or not (seizure-windows.ts). */
  windows: Array<{ start: string; seizureLike: boolean }>;
}

export function predictionHistory(db: Db, q: RangeQuery): Promise<Page<PredictionPoint>> {
  const threshold = seizureThreshold();
  return paged(
    q,
    (p) => predictions(db, p),
    (r) => countPredictions(db, r),
    (r) => ({
      time: iso(r.windowStart),
      probability: r.chunkProbability,
      label: r.label,
      modelVersion: r.modelVersion,
      chunkEventId: r.chunkEventId,
      windows: seizureWindows(r.windowStart, 1, r.windowProbabilities, threshold, r.label).map((w) => ({
        start: iso(w.start),
        seizureLike: w.seizureLike,
      })),
    }),
    (r) => r.windowStart,
  );
}

export interface EegChunkOut {
  time: string;
  deviceId: string;
  unit: 'uV';
  /** Rate of the returned samples (after downsampling); the recorded rate is sourceSampleRateHz. */
  sampleRateHz: number;
  sourceSampleRateHz: number;
  channels: string[];
  samples: number[][];
}

export function eegHistory(
  db: Db,
  q: RangeQuery & { channels: string[] | undefined; maxHz: number },
): Promise<Page<EegChunkOut>> {
  return paged(
    q,
    (p) => eegChunks(db, p),
    (r) => countEegChunks(db, r),
    (r) => {
      const decoded = traceOf(r.samples, r.sampleRateHz, q.maxHz);
      const keep = r.channels
        .map((c, i) => [c, i] as const)
        .filter(([c]) => !q.channels || q.channels.includes(c));
      return {
        time: iso(r.startTime),
        deviceId: r.deviceId,
        unit: 'uV' as const,
        sampleRateHz: decoded.hz,
        sourceSampleRateHz: r.sampleRateHz,
        channels: keep.map(([c]) => c),
        samples: keep.map(([, i]) => decoded.samples[i]!),
      };
    },
    (r) => r.startTime,
  );
}
