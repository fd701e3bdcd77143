// What one group commit writes to the outbox: the events accepted from devices and the replies of
// finished deliveries (each with one delivery row per matching Trigger), finished deliveries
// removed, failed ones deferred or dead-lettered. Rows of the same kind from every operation of the
// group go into the same multi-row statement. Inline subscribers (storage-only work such as the
// recorder) run here too, on the same transaction, once for the whole group.

import type { Db } from '../../storage/db.ts';
import { type DeadLetter, insertDeadLetters } from '../../storage/dead-letters-store.ts';
import { EVENT_TYPES } from '../contract.ts';
import { encodeEventBytes, encodeEventEnvelope } from '../eeg-codec.ts';
import type { VigilEvent } from '../event.ts';
import type { VigilFunction } from '../subscriber.ts';
import {
  type DeliveryKey,
  deferDelivery,
  deleteDeliveries,
  deleteEvents,
  insertDeliveries,
  insertEvents,
  sourceIdKey,
} from './outbox-store.ts';
import { matches, type Route } from './routes.ts';

export type OutboxOp =
  | { kind: 'accept'; events: readonly VigilEvent[] }
  | { kind: 'complete'; trigger: string; seqs: readonly number[]; replies: readonly VigilEvent[] }
  | { kind: 'retry'; key: DeliveryKey; attempts: number; error: string; nextAt: number }
  | { kind: 'deadLetter'; key: DeliveryKey; attempts: number; error: string; event: VigilEvent };

export interface StoredEvent {
  seq: number;
  event: VigilEvent;
  /** Triggers given a delivery row (inline ones are already done). */
  triggers: string[];
  /** Size of its outbox payload. */
  bytes: number;
}

/** What a committed group changed, for the broker to mirror in memory. */
export interface GroupOutcome {
  /** Per op: an accept's seq for each of its events (null: a duplicate); empty for other ops. */
  seqs: (number | null)[][];
  /** New events waiting for deliveries, inline subscribers' replies included. */
  stored: StoredEvent[];
  /** Deliveries done (succeeded or dead-lettered). */
  finished: DeliveryKey[];
  deadLettered: number;
  deliveredInline: number;
}

/** An inline subscriber threw: the group is written again with ordinary deliveries for it. */
export class InlineDeliveryError extends Error {
  /** The cause's code, so that Db.tx still retries a deadlock met inside the subscriber. */
  readonly code: unknown;
  constructor(
    readonly trigger: string,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.code = (cause as { code?: unknown } | null)?.code;
  }
}

export class OutboxWriter {
  constructor(
    private readonly routes: readonly Route[],
    /** Trigger -> subscriber, for the Triggers delivered inside the accepting transaction. */
    private readonly inline: ReadonlyMap<string, VigilFunction>,
    /** Inline Triggers whose subscriber stores an EEG chunk's samples in eeg_chunks (the recorder). */
    private readonly keepsSamples: ReadonlySet<string>,
    private readonly now: () => number,
  ) {}

  /** `inline` false: every Trigger gets a delivery row (the retry after an inline subscriber failed). */
  async write(tx: Db, ops: readonly OutboxOp[], inline: boolean): Promise<GroupOutcome> {
    const now = this.now();
    const out: GroupOutcome = {
      seqs: ops.map(() => []),
      stored: [],
      finished: [],
      deadLettered: 0,
      deliveredInline: 0,
    };
    const fresh: VigilEvent[] = [];
    /** For each fresh event, the index of the accept it came from (-1: a reply). */
    const owner: number[] = [];
    const letters: DeadLetter[] = [];
    for (const [i, op] of ops.entries()) {
      if (op.kind === 'accept')
        for (const e of op.events) {
          fresh.push(e);
          owner.push(i);
        }
      else if (op.kind === 'complete') {
        for (const e of op.replies) {
          fresh.push(e);
          owner.push(-1);
        }
        for (const seq of op.seqs) out.finished.push({ trigger: op.trigger, seq });
      } else if (op.kind === 'deadLetter') {
        const { event, key } = op;
        letters.push({
          source: event.source,
          id: event.id,
          type: event.type,
          subscriber: key.trigger,
          attempts: op.attempts,
          reason: op.error,
          payload: encodeEventBytes(event),
          createdAt: now,
        });
        out.finished.push(key);
        out.deadLettered++;
      } else {
        await deferDelivery(tx, op.key, op.attempts, op.nextAt, op.error);
      }
    }
    const stored = await this.#persist(tx, fresh, now, inline, out);
    stored.forEach((s, j) => {
      const i = owner[j]!;
      if (i >= 0) out.seqs[i]!.push(s?.seq ?? null);
    });
    await insertDeadLetters(tx, letters);
    await deleteDeliveries(tx, out.finished);
    return out;
  }

  /** Inserts new events (duplicates by source+id are skipped) and a delivery per matching Trigger. */
  async #persist(
    tx: Db,
    events: readonly VigilEvent[],
    now: number,
    inline: boolean,
    out: GroupOutcome,
  ): Promise<(StoredEvent | null)[]> {
    if (events.length === 0) return [];
    const routed = events.map((e) => {
      const matching = this.routes.filter((r) => matches(r, e));
      const inlined = inline ? matching.filter((r) => this.inline.has(r.trigger)) : [];
      // Store once: when a subscriber stores this chunk's samples in this very transaction, the
      // outbox keeps only the envelope; a restart reads the samples back from eeg_chunks.
      const envelope =
        e.type === EVENT_TYPES.eegChunk && inlined.some((r) => this.keepsSamples.has(r.trigger))
          ? encodeEventEnvelope(e)
          : undefined;
      const payload = envelope ? envelope.envelope : encodeEventBytes(e);
      return {
        queued: matching.filter((r) => !inlined.includes(r)),
        inlined,
        stored: payload,
        bytes: envelope ? envelope.bytes : payload.byteLength,
      };
    });
    const seqs = await insertEvents(
      tx,
      events.map((e, i) => ({ source: e.source, id: e.id, type: e.type, payload: routed[i]!.stored })),
      now,
    );
    const result: (StoredEvent | null)[] = [];
    const deliveries: DeliveryKey[] = [];
    const inlined = new Map<string, VigilEvent[]>();
    const unrouted: number[] = [];
    events.forEach((e, i) => {
      const key = sourceIdKey(e.source, e.id);
      const seq = seqs.get(key);
      if (seq === undefined) {
        result.push(null);
        return;
      }
      seqs.delete(key); // a second copy inside the same group is a duplicate too
      const { queued, bytes } = routed[i]!;
      for (const r of routed[i]!.inlined) {
        const list = inlined.get(r.trigger) ?? [];
        list.push(e);
        inlined.set(r.trigger, list);
      }
      const triggers = queued.map((r) => r.trigger);
      for (const trigger of triggers) deliveries.push({ trigger, seq });
      const s = { seq, event: e, triggers, bytes };
      result.push(s);
      if (triggers.length > 0) out.stored.push(s);
      else unrouted.push(seq);
    });
    await insertDeliveries(tx, deliveries, now);
    for (const [trigger, list] of inlined) {
      let replies: VigilEvent[];
      try {
        replies = await this.inline.get(trigger)!.handleBatch!(list, { db: tx, now: this.now });
      } catch (err) {
        throw new InlineDeliveryError(trigger, err);
      }
      out.deliveredInline += list.length;
      await this.#persist(tx, replies, now, inline, out);
    }
    // An event no Trigger wants is done at once (a Knative Broker drops it the same way).
    await deleteEvents(tx, unrouted);
    return result;
  }
}
