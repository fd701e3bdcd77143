// What a restart reads back: every delivery still in the outbox, with its event's whole payload.
// An EEG chunk whose samples were left to eeg_chunks (stored once) is joined with them again.
import type { Db } from '../../storage/db.ts';
import { eegSampleBlobs } from '../../storage/telemetry-store.ts';
import { joinSamples, samplesOmitted } from '../eeg-codec.ts';
import { type DeliveryKey, loadDeliveries, sourceIdKey } from './outbox-store.ts';

/** Deliveries read per query. */
const PAGE = 500;

export interface ReloadedDelivery {
  seq: number;
  trigger: string;
  attempts: number;
  nextAttemptAt: number;
  /** Undefined when the samples it needs are no longer in eeg_chunks. */
  payload: Buffer | undefined;
}

/** Pages through the outbox in (seq, trigger) order. */
export async function* reloadDeliveries(db: Db): AsyncGenerator<ReloadedDelivery[]> {
  for (let after: DeliveryKey = { seq: 0, trigger: '' }; ; ) {
    const rows = await loadDeliveries(db, after, PAGE);
    if (rows.length === 0) return;
    after = rows.at(-1)!;
    const samples = await eegSampleBlobs(
      db,
      rows.filter((r) => samplesOmitted(r.payload)),
    );
    yield rows.map((r) => {
      const { seq, trigger, attempts, nextAttemptAt } = r;
      if (!samplesOmitted(r.payload)) return { seq, trigger, attempts, nextAttemptAt, payload: r.payload };
      const block = samples.get(sourceIdKey(r.source, r.id));
      const payload = block ? joinSamples(r.payload, block) : undefined;
      return { seq, trigger, attempts, nextAttemptAt, payload };
    });
  }
}
