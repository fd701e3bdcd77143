// The float32 sample blocks of stored EEG chunks, by event: what the embedded broker's outbox
// reads back on a restart for the chunks whose samples it left to eeg_chunks (stored once).
import type { Db } from './db.ts';

export interface EventKey {
  source: string;
  id: string;
}

const PER_QUERY = 500;

/** Samples (channel-major float32) of each chunk found, keyed `${source}\n${id}`. */
export async function eegSampleBlobs(db: Db, keys: readonly EventKey[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const wanted = new Set(keys.map((k) => `${k.source}\n${k.id}`));
  for (let i = 0; i < keys.length; i += PER_QUERY) {
    const part = keys.slice(i, i + PER_QUERY);
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
