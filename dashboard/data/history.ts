// History queries for one patient: heart rate, EEG (float32 blobs decoded to JSON) and predictions,
// keyset-paginated on (time, seq) so pages stay stable while new rows arrive.

import { bytesToSamples } from '../../eventing/eeg-codec.ts';
import type { Db, SqlValue } from '../../storage/db.ts';
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

async function paged<R extends { seq: number | string }, T>(
  db: Db,
  table: string,
  timeCol: string,
  cols: string,
  q: RangeQuery,
  map: (r: R) => T,
  timeOf: (r: R) => number,
): Promise<Page<T>> {
  const where = `patient_id = ? AND ${timeCol} >= ? AND ${timeCol} <= ?`;
  const params: SqlValue[] = [q.patientId, q.from, q.to];
  const total = await db.get<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`,
    params,
  );
  const pageParams = [...params];
  let keyset = '';
  if (q.cursor) {
    keyset = ` AND (${timeCol} > ? OR (${timeCol} = ? AND seq > ?))`;
    pageParams.push(q.cursor.time, q.cursor.time, q.cursor.seq);
  }
  const rows = await db.all<R>(
    `SELECT seq, ${cols} FROM ${table} WHERE ${where}${keyset} ORDER BY ${timeCol}, seq LIMIT ${q.limit + 1}`,
    pageParams,
  );
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(map),
    nextCursor: rows.length > q.limit && last ? cursorOf(timeOf(last), Number(last.seq)) : null,
    total: Number(total?.n ?? 0),
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
  type R = {
    seq: number;
    time: number;
    bpm: number;
    min_bpm: number | null;
    max_bpm: number | null;
    device_id: string;
  };
  return paged<R, HeartRatePoint>(
    db,
    'heart_rate_samples',
    'time',
    'time, bpm, min_bpm, max_bpm, device_id',
    q,
    (r) => ({
      time: iso(Number(r.time)),
      bpm: Number(r.bpm),
      unit: 'count/min',
      min: r.min_bpm === null ? null : Number(r.min_bpm),
      max: r.max_bpm === null ? null : Number(r.max_bpm),
      deviceId: r.device_id,
    }),
    (r) => Number(r.time),
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
  type R = {
    seq: number;
    window_start: number;
    chunk_probability: number;
    label: string;
    model_version: string;
    chunk_event_id: string;
    window_probabilities: string;
  };
  const threshold = seizureThreshold();
  return paged<R, PredictionPoint>(
    db,
    'predictions',
    'window_start',
    'window_start, chunk_probability, label, model_version, chunk_event_id, window_probabilities',
    q,
    (r) => ({
      time: iso(Number(r.window_start)),
      probability: Number(r.chunk_probability),
      label: r.label,
      modelVersion: r.model_version,
      chunkEventId: r.chunk_event_id,
      windows: seizureWindows(Number(r.window_start), 1, r.window_probabilities, threshold, r.label).map(
        (w) => ({ start: iso(w.start), seizureLike: w.seizureLike }),
      ),
    }),
    (r) => Number(r.window_start),
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
  type R = {
    seq: number;
    start_time: number;
    device_id: string;
    sample_rate_hz: number;
    n_samples: number;
    channels: string;
    samples: Uint8Array;
  };
  return paged<R, EegChunkOut>(
    db,
    'eeg_chunks',
    'start_time',
    'start_time, device_id, sample_rate_hz, n_samples, channels, samples',
    q,
    (r) => {
      const all = r.channels.split(',');
      const decoded = traceOf(bytesToSamples(r.samples, all.length), Number(r.sample_rate_hz), q.maxHz);
      const keep = q.channels
        ? all.map((c, i) => [c, i] as const).filter(([c]) => q.channels!.includes(c))
        : all.map((c, i) => [c, i] as const);
      return {
        time: iso(Number(r.start_time)),
        deviceId: r.device_id,
        unit: 'uV',
        sampleRateHz: decoded.hz,
        sourceSampleRateHz: Number(r.sample_rate_hz),
        channels: keep.map(([c]) => c),
        samples: keep.map(([, i]) => decoded.samples[i]!),
      };
    },
    (r) => Number(r.start_time),
  );
}
