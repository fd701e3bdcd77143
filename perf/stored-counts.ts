// What a benchmark target has stored so far: the rows the load figures are computed from.
import type { Db } from '../storage/db.ts';

export interface StoredCounts {
  eegChunks: number;
  heartRateSamples: number;
  events: number;
  alerts: number;
}

export async function storedCounts(db: Db): Promise<StoredCounts> {
  const n = async (sql: string): Promise<number> => Number((await db.get<{ n: number }>(sql))?.n ?? 0);
  return {
    eegChunks: await n('SELECT COUNT(*) AS n FROM eeg_chunks'),
    heartRateSamples: await n('SELECT COUNT(*) AS n FROM heart_rate_samples'),
    events: await n('SELECT COUNT(*) AS n FROM events'),
    alerts: await n("SELECT COUNT(*) AS n FROM events WHERE type = 'org.vigil.alert.raised'"),
  };
}
