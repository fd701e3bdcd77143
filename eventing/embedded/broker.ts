// The embedded broker: the same routing and delivery semantics as a Knative Broker + Triggers,
// in one process, with a durable outbox. An event is acknowledged only after it and one delivery
// row per matching Trigger are committed; a delivery row is deleted only after its subscriber
// succeeded and the subscriber's replies were committed as new events. A crash therefore loses
// nothing that was acknowledged: on start every remaining delivery is loaded again.
//
// This file wires the parts: admission (backpressure, accepting), the group commit and outbox
// writer (every write, batched per transaction), the dispatcher (calling subscribers, retries) and
// the pending events both of them share.

import type { Db } from '../../storage/db.ts';
import { decodeEventBytes } from '../eeg-codec.ts';
import type { VigilEvent } from '../event.ts';
import type { AcceptResult, EventSink } from '../sink.ts';
import type { VigilFunction } from '../subscriber.ts';
import { Admission } from './admission.ts';
import { type DeliveryFailure, Dispatcher } from './dispatcher.ts';
import { GroupCommit } from './group-commit.ts';
import { reloadDeliveries } from './outbox-reload.ts';
import { type GroupOutcome, InlineDeliveryError, type OutboxOp, OutboxWriter } from './outbox-writer.ts';
import { PendingEvents } from './pending-events.ts';
import type { Route } from './routes.ts';

export { BrokerFullError } from './admission.ts';

export interface SubscriberOptions {
  /** Events per call when the function has handleBatch. */
  maxBatch?: number;
  /** Calls in flight at once. */
  concurrency?: number;
  /**
   * Deliver inside the transaction that accepts the event (needs handleBatch and storage-only work,
   * e.g. the recorder): one commit instead of three, no delivery row. If the subscriber throws, the
   * events are accepted again with a normal, retried delivery instead.
   */
  inline?: boolean;
  /**
   * With inline: the subscriber stores each EEG chunk's samples as eeg_chunks.samples (channel-major
   * float32, keyed by source and event id) in the accepting transaction, as the recorder does. The
   * outbox then keeps only the chunk's envelope, so the samples are stored once.
   */
  storesEegSamples?: boolean;
}

export interface BrokerOptions {
  db: Db;
  routes: Route[];
  functions: ReadonlyMap<string, VigilFunction>;
  now?: () => number;
  /** Accepted events not yet fully delivered before new device events are refused (503). */
  maxPendingEvents?: number;
  /** Outbox bytes of pending events (float32 EEG, JSON otherwise) before device events are refused: bounds memory. */
  maxPendingBytes?: number;
  subscribers?: Record<string, SubscriberOptions>;
  /** Called for every delivery failure (no event data: may contain patient data). */
  onFailure?: (info: DeliveryFailure) => void;
}

export class EmbeddedBroker implements EventSink {
  readonly #db: Db;
  readonly #now: () => number;
  readonly #onFailure: BrokerOptions['onFailure'];
  readonly #pending = new PendingEvents();
  readonly #admission: Admission;
  readonly #commits: GroupCommit<OutboxOp, GroupOutcome, (number | null)[]>;
  readonly #dispatcher: Dispatcher;
  #deliveredInline = 0;
  deadLettered = 0;

  constructor(opts: BrokerOptions) {
    this.#db = opts.db;
    const now = opts.now ?? Date.now;
    this.#now = now;
    this.#onFailure = opts.onFailure;
    const inline = new Map<string, VigilFunction>();
    const keepsSamples = new Set<string>();
    const routes = opts.routes.map((route) => {
      const fn = opts.functions.get(route.subscriber);
      if (!fn)
        throw new Error(`trigger ${route.trigger}: no function named ${route.subscriber} is registered`);
      const o = opts.subscribers?.[route.subscriber] ?? {};
      if (o.inline && fn.handleBatch) {
        inline.set(route.trigger, fn);
        if (o.storesEegSamples) keepsSamples.add(route.trigger);
      }
      const queue = {
        maxBatch: fn.handleBatch ? (o.maxBatch ?? 256) : 1,
        concurrency: o.concurrency ?? (fn.handleBatch ? 1 : 4),
      };
      return { route, fn, queue };
    });
    const writer = new OutboxWriter(opts.routes, inline, keepsSamples, now);
    this.#commits = new GroupCommit({
      db: opts.db,
      write: (tx, ops, attempt) => writer.write(tx, ops, attempt === 0),
      committed: (out) => this.#committed(out),
      again: (err, attempt) => {
        if (!(err instanceof InlineDeliveryError && attempt === 0)) return false;
        const { trigger, message } = err;
        opts.onFailure?.({
          trigger,
          type: '(inline batch)',
          attempts: 1,
          error: message,
          deadLettered: false,
        });
        return true; // again, with ordinary retried deliveries for the inline subscriber
      },
    });
    const submit = async (op: OutboxOp) => void (await this.#commits.submit(op));
    this.#dispatcher = new Dispatcher({
      routes,
      ctx: { db: opts.db, now },
      eventOf: (seq) => this.#pending.event(seq),
      outcomes: {
        complete: (trigger, seqs, replies) => submit({ kind: 'complete', trigger, seqs, replies }),
        retry: (trigger, { seq, attempts }, error, nextAt) =>
          submit({ kind: 'retry', key: { trigger, seq }, attempts, error, nextAt }),
        deadLetter: (trigger, { seq, attempts }, event, error) =>
          submit({ kind: 'deadLetter', key: { trigger, seq }, attempts, error, event }),
      },
      onFailure: opts.onFailure,
    });
    this.#admission = new Admission({
      pending: this.#pending,
      // An EEG chunk held in memory is its float32 rows plus the event's objects.
      maxPendingBytes: opts.maxPendingBytes ?? 16 * 2 ** 20,
      maxPendingEvents: opts.maxPendingEvents ?? 20_000,
      store: (events) => this.#commits.submit({ kind: 'accept', events }),
    });
  }

  /** Loads every delivery left over from a previous run, then starts dispatching. */
  async start(): Promise<void> {
    for await (const page of reloadDeliveries(this.#db))
      for (const r of page) {
        if (!this.#dispatcher.has(r.trigger)) continue; // a Trigger removed since; the row stays for an operator
        if (!r.payload) {
          this.#onFailure?.({
            trigger: r.trigger,
            type: '(outbox)',
            attempts: r.attempts,
            error: `event ${r.seq}: its samples are missing from eeg_chunks; the delivery stays for an operator`,
            deadLettered: false,
          });
          continue;
        }
        const event = this.#pending.has(r.seq) ? this.#pending.event(r.seq) : decodeEventBytes(r.payload);
        this.#pending.add(r.seq, event, r.payload.byteLength, 1);
        this.#dispatcher.schedule(r.trigger, { seq: r.seq, attempts: r.attempts }, r.nextAttemptAt);
      }
    this.#dispatcher.start();
  }

  get pendingEvents(): number {
    return this.#pending.size;
  }

  get delivered(): number {
    return this.#dispatcher.delivered + this.#deliveredInline;
  }

  busy(): number | undefined {
    return this.#admission.busy();
  }

  admit(maxWaitMs: number): Promise<number | undefined> {
    return this.#admission.admit(maxWaitMs);
  }

  accept(events: VigilEvent[]): Promise<AcceptResult> {
    return this.#admission.accept(events);
  }

  /** Resolves when nothing is queued, in flight or waiting for a retry. */
  async idle(): Promise<void> {
    while (!this.#commits.idle || this.#pending.size > 0 || this.#dispatcher.waiting > 0)
      await new Promise((r) => setTimeout(r, 5));
  }

  /** Stops dispatching; in-flight deliveries finish, everything else stays in the outbox for the next start. */
  async stop(): Promise<void> {
    this.#admission.close();
    this.#dispatcher.stop();
    while (this.#dispatcher.inflight > 0 || !this.#commits.idle) await new Promise((r) => setTimeout(r, 5));
  }

  /** Mirrors a durable group in memory: new deliveries queued, finished ones released. */
  #committed(out: GroupOutcome): (number | null)[][] {
    const now = this.#now();
    for (const s of out.stored) {
      this.#pending.add(s.seq, s.event, s.bytes, s.triggers.length);
      for (const t of s.triggers) this.#dispatcher.schedule(t, { seq: s.seq, attempts: 0 }, now);
    }
    for (const { seq } of out.finished) if (this.#pending.finish(seq)) this.#admission.eventFinished();
    this.#deliveredInline += out.deliveredInline;
    this.deadLettered += out.deadLettered;
    return out.seqs;
  }
}
