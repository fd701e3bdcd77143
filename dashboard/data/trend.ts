// Trends over hours: one point per device and time bucket (mean, min and max heart rate; the share of
// analysed windows the detector found seizure-like), so 24 h is a few thousand rows, not 86,400 per
// device. A bucket with no data is simply absent; the browser draws that as a gap.
import type { Db } from '../../storage/db.ts';
import { seizureWindows } from './seizure-windows.ts';

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
  /** Windows the detector scored in the bucket, and how many of them looked seizure-like. */
  windows: number;
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
 * Seizure-like windows per bucket and device (a prediction's chunk names the device; the join uses the
 * chunk index on patient and start time, which the prediction's window start equals). Each prediction row holds its chunk's window probabilities; they are
 * read for the range and scored like the detector does (seizureWindows), then counted per bucket.
 */
export async function detectorTrend(
  db: Db,
  q: TrendQuery,
  threshold: number | null,
): Promise<DetectorBucket[]> {
  const rows = await db.all<{
    device_id: string | null;
    window_start: number;
    window_probabilities: string;
    label: string;
    event_id: string;
  }>(
    `SELECT d.device_id, p.window_start, p.window_probabilities, p.label, p.event_id
       FROM predictions p LEFT JOIN eeg_chunks d
         ON d.patient_id = p.patient_id AND d.start_time = p.window_start AND d.event_id = p.chunk_event_id
      WHERE p.patient_id = ? AND p.window_start >= ? AND p.window_start <= ? ORDER BY p.window_start`,
    [q.patientId, q.from, q.to],
  );
  const buckets = new Map<string, DetectorBucket>();
  for (const r of rows) {
    const deviceId = r.device_id ?? 'unknown';
    for (const w of seizureWindows(Number(r.window_start), 1, r.window_probabilities, threshold, r.label)) {
      const b = Math.floor(w.start / q.bucketMs) * q.bucketMs;
      const key = `${deviceId}\n${b}`;
      let cur = buckets.get(key);
      if (!cur) {
        cur = { deviceId, time: new Date(b).toISOString(), windows: 0, seizureLike: 0 };
        buckets.set(key, cur);
      }
      cur.windows++;
      if (w.seizureLike) cur.seizureLike++;
    }
  }
  return [...buckets.values()].sort(
    (a, b) => a.deviceId.localeCompare(b.deviceId) || a.time.localeCompare(b.time),
  );
}
