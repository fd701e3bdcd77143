// Trends over hours: one point per device and time bucket (mean, min and max heart rate; the share of
// analysed EEG the detector labelled seizure), so 24 h is a few thousand rows, not 86,400 per
// device. A bucket with no data is simply absent; the browser draws that as a gap.
import type { Db } from '../../storage/db.ts';
import { detectorBuckets, heartRateBuckets } from '../../storage/telemetry-store.ts';

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

export async function heartRateTrend(db: Db, q: TrendQuery): Promise<HeartRateBucket[]> {
  return (await heartRateBuckets(db, q)).map((b) => ({
    deviceId: b.deviceId,
    time: new Date(b.start).toISOString(),
    bpm: Math.round(b.mean * 10) / 10,
    min: b.min,
    max: b.max,
    samples: b.samples,
  }));
}

/**
 * The detector's verdicts per bucket and device: how many EEG chunks it analysed and how many it labelled
 * seizure (a chunk is labelled seizure when one of its one-second windows looked seizure-like; the
 * simulator and most devices send one-second chunks, so these are seconds). Scoring every window's
 * stored probabilities again for 24 h would hold the event loop for about a second (measured: 0.9 s for
 * 86,400 predictions), so the trend uses the label.
 */
export async function detectorTrend(db: Db, q: TrendQuery): Promise<DetectorBucket[]> {
  return (await detectorBuckets(db, q)).map((b) => ({
    deviceId: b.deviceId ?? 'unknown',
    time: new Date(b.start).toISOString(),
    analysed: b.analysed,
    seizureLike: b.seizure,
  }));
}
