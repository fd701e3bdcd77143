// Trends over hours: one point per device and time bucket (mean, min and max heart rate; the share of
// analysed EEG the detector labelled seizure), so 24 h is a few thousand rows, not 86,400 per
// device. A bucket with no data is simply absent; the browser draws that as a gap.
import type { Db } from '../../storage/db.ts';

export interface HeartRateBucket {
  deviceId: string;
  /** Bucket start, ISO. */
  time: string;
  bpm: number;
  min: number;
  max: number;
  samples: number;
}

export interface DetectorBucket {
  deviceId: string;
  time: string;
  /** EEG chunks the detector analysed in the bucket, and how many it labelled seizure. */
  analysed: number;
  seizureLike: number;
}

export interface TrendQuery {
  patientId: string;
  from: number;
  to: number;
  bucketMs: number;
}

/** At most this many buckets per device: about one per screen pixel of a wide chart. */
export const MAX_BUCKETS = 2000;

const bucketExpr = (db: Db, col: string) =>
  db.dialect === 'mysql'
    ? `(${col} DIV ?) * ?`
    : `(CAST(${col} AS INTEGER) / CAST(? AS INTEGER)) * CAST(? AS INTEGER)`;

export async function heartRateTrend(db: Db, q: TrendQuery): Promise<HeartRateBucket[]> {
  const rows = await db.all<{ device_id: string; b: number; bpm: number; lo: number; hi: number; n: number }>(
    `SELECT device_id, ${bucketExpr(db, 'time')} AS b, AVG(bpm) AS bpm, MIN(COALESCE(min_bpm, bpm)) AS lo,
            MAX(COALESCE(max_bpm, bpm)) AS hi, COUNT(*) AS n
       FROM heart_rate_samples WHERE patient_id = ? AND time >= ? AND time <= ?
      GROUP BY device_id, b ORDER BY device_id, b`,
    [q.bucketMs, q.bucketMs, q.patientId, q.from, q.to],
  );
  return rows.map((r) => ({
    deviceId: r.device_id,
    time: new Date(Number(r.b)).toISOString(),
    bpm: Math.round(Number(r.bpm) * 10) / 10,
    min: Number(r.lo),
    max: Number(r.hi),
    samples: Number(r.n),
  }));
}

/**
 * The detector's verdicts per bucket and device, counted in SQL: how many EEG chunks it analysed and
 * how many it labelled seizure (a chunk is labelled seizure when one of its one-second windows looked
 * seizure-like; the simulator and most devices send one-second chunks, so these are seconds). The chunk
 * names the device; the join uses the chunk index on patient and start time, which the prediction's
 * window start equals. Scoring every window's stored probabilities again for 24 h would hold the event
 * loop for about a second (measured: 0.9 s for 86,400 predictions), so the trend uses the label.
 */
export async function detectorTrend(db: Db, q: TrendQuery): Promise<DetectorBucket[]> {
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
    deviceId: r.device_id ?? 'unknown',
    time: new Date(Number(r.b)).toISOString(),
    analysed: Number(r.n),
    seizureLike: Number(r.seizure),
  }));
}
