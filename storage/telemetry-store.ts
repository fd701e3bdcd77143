// The telemetry store: every statement on `events`, `eeg_chunks`, `heart_rate_samples` and
// `predictions`. The recorder writes here; the dashboard, its live feed and FHIR read here. Rows go in
// and out typed, times as epoch ms, EEG samples as one Float32Array per channel (stored as the bytes
// of float32-samples.ts). The embedded broker's own outbox tables are not telemetry.
import type { Db, SqlValue } from './db.ts';
import { bytesToSamples, type Float32Samples, samplesToBytes } from './float32-samples.ts';
import { insertRows } from './sql.ts';

/** An event as the recorder keeps it: its envelope, and its data as JSON (EEG without samples). */
export interface EventRecord {
  source: string;
  id: string;
  type: string;
  subject: string | null;
  /** The event's time, or when it was received when it has none. */
  time: number;
  receivedAt: number;
  /** JSON text of the data, or null when the event has none. */
  data: string | null;
}

/** A stored event as the live feed reads it back, with its monotonic seq. */
export interface StoredEvent {
  seq: number;
  source: string;
  id: string;
  type: string;
  subject: string | null;
  time: number | null;
  data: string | null;
}

export interface EegChunkRecord {
  /** The chunk event's source and id. */
  source: string;
  eventId: string;
  patientId: string;
  deviceId: string;
  startTime: number;
  sampleRateHz: number;
  channels: string[];
  samples: Float32Samples;
}

/** A stored chunk: the record, its seq, and its length in samples per channel. */
export interface StoredEegChunk extends EegChunkRecord {
  seq: number;
  nSamples: number;
}

export interface HeartRateRecord {
  patientId: string;
  deviceId: string;
  time: number;
  bpm: number;
  min: number | null;
  max: number | null;
  /** The device app that measured it (the event's data.source). */
  sourceName: string;
  eventSource: string;
  eventId: string;
  /** Index of the sample in its event. */
  index: number;
}

/** A stored sample as the dashboard and FHIR read it: the reading, not where it came from. */
export interface StoredHeartRate
  extends Pick<HeartRateRecord, 'patientId' | 'deviceId' | 'time' | 'bpm' | 'min' | 'max'> {
  seq: number;
}

export interface PredictionRecord {
  eventSource: string;
  eventId: string;
  patientId: string;
  chunkEventId: string;
  windowStart: number;
  chunkProbability: number;
  label: string;
  /** [window][channel]. */
  windowProbabilities: number[][];
  modelVersion: string;
}

/** A stored prediction; its window probabilities read as [] in rows written before they were kept. */
export interface StoredPrediction extends Omit<PredictionRecord, 'eventSource' | 'eventId'> {
  seq: number;
}

/** What one write stores; any part may be left out. */
export interface TelemetryBatch {
  events?: readonly EventRecord[];
  eegChunks?: readonly EegChunkRecord[];
  heartRate?: readonly HeartRateRecord[];
  predictions?: readonly PredictionRecord[];
}

const EVENT_COLS = ['source', 'id', 'type', 'subject', 'time', 'received_at', 'data'] as const;
const EEG_COLS = [
  'source',
  'event_id',
  'patient_id',
  'device_id',
  'start_time',
  'sample_rate_hz',
  'n_samples',
  'channels',
  'samples',
] as const;
/** heart_rate_samples' columns as recordTelemetry writes them (perf/bench-storage.ts times raw inserts). */
export const HR_COLS = [
  'patient_id',
  'device_id',
  'time',
  'bpm',
  'min_bpm',
  'max_bpm',
  'source_name',
  'event_source',
  'event_id',
  'idx',
] as const;
const PREDICTION_COLS = [
  'event_source',
  'event_id',
  'patient_id',
  'chunk_event_id',
  'window_start',
  'chunk_probability',
  'label',
  'window_probabilities',
  'model_version',
] as const;

/**
 * Writes a batch, idempotent on each row's unique key (a redelivered event changes nothing). Returns
 * how many events were new. Runs in the caller's transaction when given one.
 */
export async function recordTelemetry(db: Db, batch: TelemetryBatch): Promise<number> {
  const fresh = await insertRows(
    db,
    'events',
    EVENT_COLS,
    (batch.events ?? []).map((e) => [e.source, e.id, e.type, e.subject, e.time, e.receivedAt, e.data]),
    { ignoreDuplicates: true },
  );
  await insertRows(
    db,
    'eeg_chunks',
    EEG_COLS,
    (batch.eegChunks ?? []).map((c) => [
      c.source,
      c.eventId,
      c.patientId,
      c.deviceId,
      c.startTime,
      c.sampleRateHz,
      c.samples[0]?.length ?? 0,
      c.channels.join(','),
      samplesToBytes(c.samples),
    ]),
    { ignoreDuplicates: true },
  );
  await insertRows(
    db,
    'heart_rate_samples',
    HR_COLS,
    (batch.heartRate ?? []).map((s) => [
      s.patientId,
      s.deviceId,
      s.time,
      s.bpm,
      s.min,
      s.max,
      s.sourceName,
      s.eventSource,
      s.eventId,
      s.index,
    ]),
    { ignoreDuplicates: true },
  );
  await insertRows(
    db,
    'predictions',
    PREDICTION_COLS,
    (batch.predictions ?? []).map((p) => [
      p.eventSource,
      p.eventId,
      p.patientId,
      p.chunkEventId,
      p.windowStart,
      p.chunkProbability,
      p.label,
      JSON.stringify(p.windowProbabilities),
      p.modelVersion,
    ]),
    { ignoreDuplicates: true },
  );
  return fresh;
}

// ---------------------------------------------------------------------------------------------
// Events, by seq (the live feed).

const EVENT_READ = 'seq, source, id, type, subject, time, data';
type EventRow = Omit<StoredEvent, 'seq' | 'time'> & { seq: number | string; time: number | string | null };
const storedEvent = (r: EventRow): StoredEvent => ({
  ...r,
  seq: Number(r.seq),
  time: r.time === null ? null : Number(r.time),
});

/** The highest seq stored (0 when there is none). */
export async function latestEventSeq(db: Db): Promise<number> {
  const r = await db.get<{ m: number | string | null }>('SELECT MAX(seq) AS m FROM events');
  return Number(r?.m ?? 0);
}

/** Up to `limit` events after seq `after`, in seq order; only the patient's when patientId is given. */
export async function eventsAfter(
  db: Db,
  after: number,
  limit: number,
  patientId?: string,
): Promise<StoredEvent[]> {
  const rows =
    patientId === undefined
      ? await db.all<EventRow>(`SELECT ${EVENT_READ} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, [
          after,
          limit,
        ])
      : await db.all<EventRow>(
          `SELECT ${EVENT_READ} FROM events WHERE subject = ? AND seq > ? ORDER BY seq LIMIT ?`,
          [patientId, after, limit],
        );
  return rows.map(storedEvent);
}

/** The stored events among `seqs` (in no particular order). */
export async function eventsBySeq(db: Db, seqs: readonly number[]): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (let i = 0; i < seqs.length; i += 500) {
    const part = seqs.slice(i, i + 500);
    const rows = await db.all<EventRow>(
      `SELECT ${EVENT_READ} FROM events WHERE seq IN (${part.map(() => '?').join(',')})`,
      part,
    );
    out.push(...rows.map(storedEvent));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// One patient's telemetry over a time range, keyset-paged on (time, seq).

export interface TelemetryRange {
  patientId: string;
  /** Inclusive bounds, epoch ms. */
  from: number;
  to: number;
}

export interface TelemetryPage extends TelemetryRange {
  /** Only rows after this (time, seq), in (time, seq) order. */
  after?: { time: number; seq: number } | undefined;
  limit: number;
}

type Table = 'heart_rate_samples' | 'predictions' | 'eeg_chunks';
const TIME_COL: Record<Table, string> = {
  heart_rate_samples: 'time',
  predictions: 'window_start',
  eeg_chunks: 'start_time',
};

function rangeSql(table: Table, q: TelemetryPage): { where: string; params: SqlValue[]; order: string } {
  const t = TIME_COL[table];
  let where = `patient_id = ? AND ${t} >= ? AND ${t} <= ?`;
  const params: SqlValue[] = [q.patientId, q.from, q.to];
  if (q.after) {
    where += ` AND (${t} > ? OR (${t} = ? AND seq > ?))`;
    params.push(q.after.time, q.after.time, q.after.seq);
  }
  return { where, params, order: `ORDER BY ${t}, seq LIMIT ${Math.max(0, Math.floor(q.limit))}` };
}

async function countIn(db: Db, table: Table, q: TelemetryRange): Promise<number> {
  const t = TIME_COL[table];
  const r = await db.get<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM ${table} WHERE patient_id = ? AND ${t} >= ? AND ${t} <= ?`,
    [q.patientId, q.from, q.to],
  );
  return Number(r?.n ?? 0);
}

/** The three reads every telemetry table answers: a page of a range, its count, one row by seq. */
interface TableReads<T> {
  range(db: Db, q: TelemetryPage): Promise<T[]>;
  count(db: Db, q: TelemetryRange): Promise<number>;
  bySeq(db: Db, seq: number): Promise<T | undefined>;
}

function tableReads<Row extends Record<string, unknown>, T>(
  table: Table,
  columns: string,
  toRecord: (r: Row) => T,
): TableReads<T> {
  return {
    async range(db, q) {
      const { where, params, order } = rangeSql(table, q);
      const rows = await db.all<Row>(`SELECT ${columns} FROM ${table} WHERE ${where} ${order}`, params);
      return rows.map(toRecord);
    },
    count: (db, q) => countIn(db, table, q),
    async bySeq(db, seq) {
      const r = await db.get<Row>(`SELECT ${columns} FROM ${table} WHERE seq = ?`, [seq]);
      return r && toRecord(r);
    },
  };
}

// Heart rate --------------------------------------------------------------------------------

type HrRow = {
  seq: number | string;
  patient_id: string;
  device_id: string;
  time: number | string;
  bpm: number | string;
  min_bpm: number | string | null;
  max_bpm: number | string | null;
};
const HR_READ = 'seq, patient_id, device_id, time, bpm, min_bpm, max_bpm';
const storedHeartRate = (r: HrRow): StoredHeartRate => ({
  seq: Number(r.seq),
  patientId: r.patient_id,
  deviceId: r.device_id,
  time: Number(r.time),
  bpm: Number(r.bpm),
  min: r.min_bpm === null ? null : Number(r.min_bpm),
  max: r.max_bpm === null ? null : Number(r.max_bpm),
});

const heartRateReads = tableReads('heart_rate_samples', HR_READ, storedHeartRate);
export const heartRateSamples = heartRateReads.range;
export const countHeartRateSamples = heartRateReads.count;
export const heartRateSampleBySeq = heartRateReads.bySeq;

/** The newest sample of the patient with 0 < bpm <= maxBpm (an implausible value is no vital sign). */
export async function latestPlausibleHeartRate(
  db: Db,
  patientId: string,
  maxBpm: number,
): Promise<StoredHeartRate | undefined> {
  const r = await db.get<HrRow>(
    `SELECT ${HR_READ} FROM heart_rate_samples WHERE patient_id = ? AND bpm > 0 AND bpm <= ? ORDER BY time DESC LIMIT 1`,
    [patientId, maxBpm],
  );
  return r && storedHeartRate(r);
}

export interface HeartRateBucket {
  deviceId: string;
  /** Bucket start, epoch ms. */
  start: number;
  mean: number;
  min: number;
  max: number;
  samples: number;
}

const bucketExpr = (db: Db, col: string) =>
  db.dialect === 'mysql'
    ? `(${col} DIV ?) * ?`
    : `(CAST(${col} AS INTEGER) / CAST(? AS INTEGER)) * CAST(? AS INTEGER)`;

/** Per device and `bucketMs` bucket: mean bpm, the lowest and highest reading, and how many. */
export async function heartRateBuckets(
  db: Db,
  q: TelemetryRange & { bucketMs: number },
): Promise<HeartRateBucket[]> {
  const rows = await db.all<{ device_id: string; b: number; bpm: number; lo: number; hi: number; n: number }>(
    `SELECT device_id, ${bucketExpr(db, 'time')} AS b, AVG(bpm) AS bpm, MIN(COALESCE(min_bpm, bpm)) AS lo,
            MAX(COALESCE(max_bpm, bpm)) AS hi, COUNT(*) AS n
       FROM heart_rate_samples WHERE patient_id = ? AND time >= ? AND time <= ?
      GROUP BY device_id, b ORDER BY device_id, b`,
    [q.bucketMs, q.bucketMs, q.patientId, q.from, q.to],
  );
  return rows.map((r) => ({
    deviceId: r.device_id,
    start: Number(r.b),
    mean: Number(r.bpm),
    min: Number(r.lo),
    max: Number(r.hi),
    samples: Number(r.n),
  }));
}

// Predictions -------------------------------------------------------------------------------

type PredRow = {
  seq: number | string;
  patient_id: string;
  chunk_event_id: string;
  window_start: number | string;
  chunk_probability: number | string;
  label: string;
  window_probabilities: string | null;
  model_version: string;
};
const PRED_READ =
  'seq, patient_id, chunk_event_id, window_start, chunk_probability, label, window_probabilities, model_version';

function probabilities(json: string | null): number[][] {
  if (!json) return [];
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? (v as number[][]) : [];
  } catch {
    return [];
  }
}

const storedPrediction = (r: PredRow): StoredPrediction => ({
  seq: Number(r.seq),
  patientId: r.patient_id,
  chunkEventId: r.chunk_event_id,
  windowStart: Number(r.window_start),
  chunkProbability: Number(r.chunk_probability),
  label: r.label,
  windowProbabilities: probabilities(r.window_probabilities),
  modelVersion: r.model_version,
});

/** The one predictions-over-a-range query (the dashboard's history and FHIR's Observations). */
const predictionReads = tableReads('predictions', PRED_READ, storedPrediction);
export const predictions = predictionReads.range;
export const countPredictions = predictionReads.count;
export const predictionBySeq = predictionReads.bySeq;

export async function latestPrediction(db: Db, patientId: string): Promise<StoredPrediction | undefined> {
  const r = await db.get<PredRow>(
    `SELECT ${PRED_READ} FROM predictions WHERE patient_id = ? ORDER BY window_start DESC LIMIT 1`,
    [patientId],
  );
  return r && storedPrediction(r);
}

export interface DetectorBucket {
  /** The device of the analysed chunks, null when the chunk is not stored. */
  deviceId: string | null;
  start: number;
  /** Chunks the detector analysed in the bucket, and how many it labelled seizure. */
  analysed: number;
  seizure: number;
}

/**
 * The detector's verdicts per `bucketMs` bucket and device, counted in SQL. The chunk names the device;
 * the join uses the chunk index on patient and start time, which the prediction's window start equals.
 */
export async function detectorBuckets(
  db: Db,
  q: TelemetryRange & { bucketMs: number },
): Promise<DetectorBucket[]> {
  const rows = await db.all<{ device_id: string | null; b: number; n: number; seizure: number }>(
    `SELECT d.device_id, ${bucketExpr(db, 'p.window_start')} AS b, COUNT(*) AS n,
            SUM(CASE WHEN p.label = 'seizure' THEN 1 ELSE 0 END) AS seizure
       FROM predictions p LEFT JOIN eeg_chunks d
         ON d.patient_id = p.patient_id AND d.start_time = p.window_start AND d.event_id = p.chunk_event_id
      WHERE p.patient_id = ? AND p.window_start >= ? AND p.window_start <= ?
      GROUP BY d.device_id, b ORDER BY d.device_id, b`,
    [q.bucketMs, q.bucketMs, q.patientId, q.from, q.to],
  );
  return rows.map((r) => ({
    deviceId: r.device_id,
    start: Number(r.b),
    analysed: Number(r.n),
    seizure: Number(r.seizure),
  }));
}

// EEG chunks --------------------------------------------------------------------------------

type EegRow = {
  seq: number | string;
  source: string;
  event_id: string;
  patient_id: string;
  device_id: string;
  start_time: number | string;
  sample_rate_hz: number | string;
  n_samples: number | string;
  channels: string;
  samples: Uint8Array;
};
const EEG_READ =
  'seq, source, event_id, patient_id, device_id, start_time, sample_rate_hz, n_samples, channels, samples';
const storedEeg = (r: EegRow): StoredEegChunk => {
  const channels = r.channels.split(',');
  return {
    seq: Number(r.seq),
    source: r.source,
    eventId: r.event_id,
    patientId: r.patient_id,
    deviceId: r.device_id,
    startTime: Number(r.start_time),
    sampleRateHz: Number(r.sample_rate_hz),
    nSamples: Number(r.n_samples),
    channels,
    samples: bytesToSamples(r.samples, channels.length),
  };
};

const eegReads = tableReads('eeg_chunks', EEG_READ, storedEeg);
export const eegChunks = eegReads.range;
export const countEegChunks = eegReads.count;
export const eegChunkBySeq = eegReads.bySeq;

/**
 * The stored chunks of these events (by source and id), in no particular order. For display: a chunk
 * whose stored bytes are not whole float32 rows is left out rather than failing the others.
 */
export async function eegChunksOfEvents(
  db: Db,
  events: ReadonlyArray<{ source: string; eventId: string }>,
): Promise<StoredEegChunk[]> {
  const out: StoredEegChunk[] = [];
  for (let i = 0; i < events.length; i += 50) {
    const part = events.slice(i, i + 50);
    const rows = await db.all<EegRow>(
      `SELECT ${EEG_READ} FROM eeg_chunks WHERE ${part.map(() => '(source = ? AND event_id = ?)').join(' OR ')}`,
      part.flatMap((e) => [e.source, e.eventId]),
    );
    for (const r of rows)
      try {
        out.push(storedEeg(r));
      } catch (err) {
        if (!(err instanceof RangeError)) throw err;
      }
  }
  return out;
}

/**
 * Where the patient's chunks with these event ids are (seq and device), looked for among chunks
 * starting in [from, to]: the bound keeps the look-up on the (patient, start time) index.
 */
export async function eegChunkPlaces(
  db: Db,
  q: TelemetryRange & { eventIds: readonly string[] },
): Promise<Array<{ seq: number; eventId: string; deviceId: string }>> {
  if (q.eventIds.length === 0) return [];
  const rows = await db.all<{ seq: number | string; event_id: string; device_id: string }>(
    `SELECT seq, event_id, device_id FROM eeg_chunks WHERE patient_id = ? AND start_time >= ? AND start_time <= ?
     AND event_id IN (${q.eventIds.map(() => '?').join(',')})`,
    [q.patientId, q.from, q.to, ...q.eventIds],
  );
  return rows.map((r) => ({ seq: Number(r.seq), eventId: r.event_id, deviceId: r.device_id }));
}

/** Start of the patient's newest chunk, or undefined when none is stored. */
export async function latestEegStart(db: Db, patientId: string): Promise<number | undefined> {
  const r = await db.get<{ t: number | string }>(
    'SELECT start_time AS t FROM eeg_chunks WHERE patient_id = ? ORDER BY start_time DESC LIMIT 1',
    [patientId],
  );
  return r ? Number(r.t) : undefined;
}

export interface EventKey {
  source: string;
  id: string;
}

const BLOBS_PER_QUERY = 500;

/**
 * The stored sample bytes (channel-major float32) of each chunk found, keyed `${source}\n${id}`: what
 * the embedded broker's outbox reads back on a restart for chunks whose samples it left here (stored once).
 */
export async function eegSampleBlobs(db: Db, keys: readonly EventKey[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const wanted = new Set(keys.map((k) => `${k.source}\n${k.id}`));
  for (let i = 0; i < keys.length; i += BLOBS_PER_QUERY) {
    const part = keys.slice(i, i + BLOBS_PER_QUERY);
    const sources = [...new Set(part.map((k) => k.source))];
    const ids = [...new Set(part.map((k) => k.id))];
    // Two IN lists range-scan the (source, event_id) unique key on both engines; pairs are picked below.
    const rows = await db.all<{ source: string; event_id: string; samples: Uint8Array }>(
      `SELECT source, event_id, samples FROM eeg_chunks
        WHERE source IN (${sources.map(() => '?').join(',')}) AND event_id IN (${ids.map(() => '?').join(',')})`,
      [...sources, ...ids],
    );
    for (const r of rows) {
      const key = `${r.source}\n${r.event_id}`;
      if (wanted.has(key)) out.set(key, Buffer.from(r.samples));
    }
  }
  return out;
}
