// The embedded broker: the same routing and delivery semantics as a Knative Broker + Triggers,
// in one process, with a durable outbox. An event is acknowledged only after it and one delivery
// row per matching Trigger are committed; a delivery row is deleted only after its subscriber
// succeeded and the subscriber's replies were committed as new events. A crash therefore loses
// nothing that was acknowledged: on start every remaining delivery is loaded again.

import type { Db, SqlValue } from '../../storage/db.ts';
import { insertRows } from '../../storage/sql.ts';
import type { VigilEvent } from '../event.ts';
import { type AcceptResult, type EventSink, SinkUnavailableError } from '../sink.ts';
import type { FunctionContext, VigilFunction } from '../subscriber.ts';
import { decodeEvent, encodeEvent } from './outbox-codec.ts';
import { backoffMs, matches, type Route } from './routes.ts';

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
  onFailure?: (info: {
    trigger: string;
    type: string;
    attempts: number;
    error: string;
    deadLettered: boolean;
  }) => void;
}

export class BrokerFullError extends SinkUnavailableError {
  constructor(retryAfterSeconds: number) {
    super('broker queue is full', retryAfterSeconds);
  }
}

interface Item {
  seq: number;
  attempts: number;
}

interface Queue {
  route: Route;
  fn: VigilFunction;
  items: Item[];
  inflight: number;
  maxBatch: number;
  concurrency: number;
  inline: boolean;
}

class InlineDeliveryError extends Error {
  constructor(
    readonly trigger: string,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

type Op =
  | {
      kind: 'accept';
      events: VigilEvent[];
      done: (r: { seqs: (number | null)[] }) => void;
      fail: (e: unknown) => void;
    }
  | {
      kind: 'complete';
      trigger: string;
      seqs: number[];
      replies: VigilEvent[];
      done: () => void;
      fail: (e: unknown) => void;
    }
  | {
      kind: 'retry';
      trigger: string;
      item: Item;
      error: string;
      deadLetter: boolean;
      nextAt: number;
      done: () => void;
      fail: (e: unknown) => void;
    };

const EVENT_COLS = ['source', 'id', 'type', 'payload', 'accepted_at'];

interface Stored {
  seq: number;
  event: VigilEvent;
  /** Triggers with a pending delivery row (inline ones are already done). */
  triggers: string[];
  /** Size of its outbox payload. */
  bytes: number;
}
const DELIVERY_COLS = ['event_seq', 'subscriber', 'attempts', 'next_attempt_at'];

export class EmbeddedBroker implements EventSink {
  readonly #db: Db;
  readonly #routes: Route[];
  readonly #queues = new Map<string, Queue>();
  readonly #events = new Map<number, { event: VigilEvent; remaining: number; bytes: number }>();
  #pendingBytes = 0;
  readonly #maxPendingBytes: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #now: () => number;
  readonly #ctx: FunctionContext;
  readonly #maxPending: number;
  readonly #onFailure: BrokerOptions['onFailure'];
  #ops: Op[] = [];
  /** Requests waiting in admit() for room, first come first served. */
  readonly #waiters: (() => void)[] = [];
  #flushing = false;
  #stopped = false;
  #started = false;
  delivered = 0;
  deadLettered = 0;

  constructor(opts: BrokerOptions) {
    this.#db = opts.db;
    this.#routes = opts.routes;
    this.#now = opts.now ?? Date.now;
    this.#ctx = { db: opts.db, now: this.#now };
    this.#maxPending = opts.maxPendingEvents ?? 20_000;
    // An EEG chunk held in memory as JS number arrays takes about twice its float32 outbox size.
    this.#maxPendingBytes = opts.maxPendingBytes ?? 16 * 2 ** 20;
    this.#onFailure = opts.onFailure;
    for (const route of opts.routes) {
      const fn = opts.functions.get(route.subscriber);
      if (!fn)
        throw new Error(`trigger ${route.trigger}: no function named ${route.subscriber} is registered`);
      const o = opts.subscribers?.[route.subscriber] ?? {};
      this.#queues.set(route.trigger, {
        route,
        fn,
        items: [],
        inflight: 0,
        maxBatch: fn.handleBatch ? (o.maxBatch ?? 256) : 1,
        concurrency: o.concurrency ?? (fn.handleBatch ? 1 : 4),
        inline: Boolean(o.inline && fn.handleBatch),
      });
    }
  }

  /** Loads every delivery left over from a previous run, then starts dispatching. */
  async start(): Promise<void> {
    let after = 0;
    for (;;) {
      const rows = await this.#db.all<{
        event_seq: number;
        subscriber: string;
        attempts: number;
        next_attempt_at: number;
        payload: Buffer;
      }>(
        `SELECT d.event_seq, d.subscriber, d.attempts, d.next_attempt_at, e.payload
           FROM broker_deliveries d JOIN broker_events e ON e.seq = d.event_seq
          WHERE d.event_seq > ? ORDER BY d.event_seq LIMIT 500`,
        [after],
      );
      if (rows.length === 0) break;
      for (const r of rows) {
        const seq = Number(r.event_seq);
        after = Math.max(after, seq);
        const q = this.#queues.get(r.subscriber);
        if (!q) continue; // a Trigger removed since; the row stays for an operator to inspect
        let entry = this.#events.get(seq);
        if (!entry) {
          entry = { event: decodeEvent(Buffer.from(r.payload)), remaining: 0, bytes: r.payload.byteLength };
          this.#pendingBytes += entry.bytes;
          this.#events.set(seq, entry);
        }
        entry.remaining++;
        this.#schedule(r.subscriber, { seq, attempts: Number(r.attempts) }, Number(r.next_attempt_at));
      }
    }
    this.#started = true;
    for (const trigger of this.#queues.keys()) this.#pump(trigger);
  }

  get pendingEvents(): number {
    return this.#events.size;
  }

  busy(): number | undefined {
    return this.#stopped ||
      this.#events.size >= this.#maxPending ||
      this.#pendingBytes > this.#maxPendingBytes
      ? 1
      : undefined;
  }

  /**
   * Holds a request until there is room (or maxWaitMs passed): under overload a device waits briefly
   * instead of sending its body only to be refused, and refusals cost no parsing.
   */
  async admit(maxWaitMs: number): Promise<number | undefined> {
    if (this.busy() === undefined) return undefined;
    if (this.#stopped || maxWaitMs <= 0) return 1;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(wake);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve();
      }, maxWaitMs);
      this.#waiters.push(wake);
    });
    return this.busy();
  }

  /** Durably accepts device events. Resolves after commit; rejects with BrokerFullError under backpressure. */
  async accept(events: VigilEvent[]): Promise<AcceptResult> {
    if (this.#stopped) throw new BrokerFullError(1);
    if (this.#events.size + events.length > this.#maxPending || this.#pendingBytes > this.#maxPendingBytes)
      throw new BrokerFullError(1);
    const { seqs } = await new Promise<{ seqs: (number | null)[] }>((done, fail) =>
      this.#enqueue({ kind: 'accept', events, done, fail }),
    );
    const accepted = seqs.filter((s) => s !== null).length;
    return { accepted, duplicates: events.length - accepted };
  }

  /** Resolves when nothing is queued, in flight or waiting for a retry. */
  async idle(): Promise<void> {
    for (;;) {
      if (this.#ops.length === 0 && !this.#flushing && this.#events.size === 0 && this.#timers.size === 0)
        return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Stops dispatching; in-flight deliveries finish, everything else stays in the outbox for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const wake of this.#waiters.splice(0)) wake();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    while ([...this.#queues.values()].some((q) => q.inflight > 0) || this.#ops.length > 0 || this.#flushing)
      await new Promise((r) => setTimeout(r, 5));
  }

  #enqueue(op: Op): void {
    this.#ops.push(op);
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => void this.#flush());
    }
  }

  /** Group commit: every operation queued since the last flush goes into one transaction (one fsync). */
  async #flush(): Promise<void> {
    while (this.#ops.length > 0) {
      const ops = this.#ops;
      this.#ops = [];
      for (let inline = true; ; inline = false) {
        const after: (() => void)[] = [];
        try {
          // Durable: these commits are what ingest acknowledges with 202.
          await this.#db.tx(
            async (tx) => {
              for (const op of ops) after.push(await this.#apply(tx, op, inline));
            },
            { durable: true },
          );
          for (const f of after) f();
        } catch (err) {
          if (err instanceof InlineDeliveryError && inline) {
            this.#onFailure?.({
              trigger: err.trigger,
              type: '(inline batch)',
              attempts: 1,
              error: err.message,
              deadLettered: false,
            });
            continue; // again, with ordinary retried deliveries for the inline subscriber
          }
          for (const op of ops) op.fail(err);
        }
        break;
      }
    }
    this.#flushing = false;
  }

  /** Applies one op inside the transaction; returns what to do in memory once it committed. */
  async #apply(tx: Db, op: Op, inline: boolean): Promise<() => void> {
    const now = this.#now();
    if (op.kind === 'accept') {
      const extra: Stored[] = [];
      const stored = await this.#persist(tx, op.events, now, inline, extra);
      return () => {
        this.#track(stored, now);
        this.#track(extra, now);
        op.done({ seqs: stored.map((s) => s?.seq ?? null) });
      };
    }
    if (op.kind === 'complete') {
      const extra: Stored[] = [];
      const stored = await this.#persist(tx, op.replies, now, inline, extra);
      await this.#deleteDeliveries(tx, op.trigger, op.seqs);
      return () => {
        this.#track(stored, now);
        this.#track(extra, now);
        for (const seq of op.seqs) this.#release(seq);
        op.done();
      };
    }
    const { item, trigger } = op;
    if (op.deadLetter) {
      const entry = this.#events.get(item.seq)!;
      await insertRows(
        tx,
        'dead_letters',
        ['source', 'id', 'type', 'subscriber', 'attempts', 'reason', 'payload', 'created_at'],
        [
          [
            entry.event.source,
            entry.event.id,
            entry.event.type,
            trigger,
            item.attempts,
            op.error,
            encodeEvent(entry.event),
            now,
          ],
        ],
        { ignoreDuplicates: true },
      );
      await this.#deleteDeliveries(tx, trigger, [item.seq]);
      return () => {
        this.deadLettered++;
        this.#release(item.seq);
        op.done();
      };
    }
    await tx.run(
      'UPDATE broker_deliveries SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE event_seq = ? AND subscriber = ?',
      [item.attempts, op.nextAt, op.error.slice(0, 2000), item.seq, trigger],
    );
    return () => {
      this.#schedule(trigger, item, op.nextAt);
      op.done();
    };
  }

  /** Inserts new events (duplicates by source+id are skipped) and a delivery per matching Trigger. */
  async #persist(
    tx: Db,
    events: VigilEvent[],
    now: number,
    inline: boolean,
    /** Receives what inline subscribers' replies stored (tracked, but not part of the result). */
    extra: Stored[],
  ): Promise<(Stored | null)[]> {
    if (events.length === 0) return [];
    const out: (Stored | null)[] = [];
    const verb = tx.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
    const deliveries: SqlValue[][] = [];
    const inlined = new Map<string, VigilEvent[]>();
    for (let i = 0; i < events.length; i += 200) {
      const part = events.slice(i, i + 200);
      const params: SqlValue[] = [];
      const sizes = new Map<VigilEvent, number>();
      for (const e of part) {
        const payload = encodeEvent(e);
        sizes.set(e, payload.byteLength);
        params.push(e.source, e.id, e.type, payload, now);
      }
      const rows = await tx.all<{ seq: number; source: string; id: string }>(
        `${verb} INTO broker_events (${EVENT_COLS.join(',')}) VALUES ${part.map(() => '(?,?,?,?,?)').join(',')} RETURNING seq, source, id`,
        params,
      );
      const bySourceId = new Map(rows.map((r) => [`${r.source}\n${r.id}`, Number(r.seq)]));
      for (const e of part) {
        const key = `${e.source}\n${e.id}`;
        const seq = bySourceId.get(key);
        if (seq === undefined) {
          out.push(null);
          continue;
        }
        bySourceId.delete(key); // a second copy inside the same request is a duplicate too
        const triggers: string[] = [];
        for (const r of this.#routes) {
          if (!matches(r, e)) continue;
          if (inline && this.#queues.get(r.trigger)!.inline) {
            const list = inlined.get(r.trigger) ?? [];
            list.push(e);
            inlined.set(r.trigger, list);
          } else {
            triggers.push(r.trigger);
            deliveries.push([seq, r.trigger, 0, now]);
          }
        }
        out.push({ seq, event: e, triggers, bytes: sizes.get(e)! });
      }
    }
    await insertRows(tx, 'broker_deliveries', DELIVERY_COLS, deliveries, { ignoreDuplicates: false });
    for (const [trigger, list] of inlined) {
      const q = this.#queues.get(trigger)!;
      let replies: VigilEvent[];
      try {
        replies = await q.fn.handleBatch!(list, { db: tx, now: this.#now });
      } catch (err) {
        throw new InlineDeliveryError(trigger, err);
      }
      this.delivered += list.length;
      if (replies.length)
        extra.push(...((await this.#persist(tx, replies, now, inline, extra)).filter(Boolean) as Stored[]));
    }
    // An event no Trigger wants is done at once (a Knative Broker drops it the same way).
    const unrouted = out.filter((s) => s && s.triggers.length === 0).map((s) => s!.seq);
    if (unrouted.length)
      await tx.run(`DELETE FROM broker_events WHERE seq IN (${unrouted.map(() => '?').join(',')})`, unrouted);
    return out;
  }

  async #deleteDeliveries(tx: Db, trigger: string, seqs: number[]): Promise<void> {
    const marks = seqs.map(() => '?').join(',');
    await tx.run(`DELETE FROM broker_deliveries WHERE subscriber = ? AND event_seq IN (${marks})`, [
      trigger,
      ...seqs,
    ]);
    await tx.run(
      `DELETE FROM broker_events WHERE seq IN (${marks})
         AND NOT EXISTS (SELECT 1 FROM broker_deliveries d WHERE d.event_seq = broker_events.seq)`,
      seqs,
    );
  }

  #track(stored: (Stored | null)[], now: number): void {
    for (const s of stored) {
      if (!s || s.triggers.length === 0) continue;
      this.#events.set(s.seq, { event: s.event, remaining: s.triggers.length, bytes: s.bytes });
      this.#pendingBytes += s.bytes;
      for (const t of s.triggers) this.#schedule(t, { seq: s.seq, attempts: 0 }, now);
    }
  }

  #release(seq: number): void {
    const e = this.#events.get(seq);
    if (e && --e.remaining <= 0) {
      this.#events.delete(seq);
      this.#pendingBytes -= e.bytes;
      // One waiting request per finished event: roughly what its room allows.
      if (this.#waiters.length > 0 && this.busy() === undefined) this.#waiters.shift()!();
    }
  }

  #schedule(trigger: string, item: Item, at: number): void {
    if (this.#stopped) return;
    const q = this.#queues.get(trigger)!;
    const wait = at - this.#now();
    if (wait <= 0) {
      q.items.push(item);
      this.#pump(trigger);
      return;
    }
    const t = setTimeout(() => {
      this.#timers.delete(t);
      q.items.push(item);
      this.#pump(trigger);
    }, wait);
    this.#timers.add(t);
  }

  #pump(trigger: string): void {
    const q = this.#queues.get(trigger)!;
    while (this.#started && !this.#stopped && q.inflight < q.concurrency && q.items.length > 0) {
      const batch = q.items.splice(0, q.maxBatch);
      q.inflight++;
      void this.#deliver(q, batch).finally(() => {
        q.inflight--;
        this.#pump(trigger);
      });
    }
  }

  async #deliver(q: Queue, batch: Item[]): Promise<void> {
    const events = batch.map((i) => this.#events.get(i.seq)!.event);
    const trigger = q.route.trigger;
    let replies: VigilEvent[];
    try {
      replies =
        q.fn.handleBatch && events.length > 1
          ? await q.fn.handleBatch(events, this.#ctx)
          : await q.fn.handle(events[0]!, this.#ctx);
      for (const r of replies)
        if (events.some((e) => e.type === r.type))
          throw new Error(
            `${q.fn.name} replied with its input type ${r.type}; it would loop through the Trigger`,
          );
    } catch (err) {
      await Promise.all(batch.map((item, i) => this.#failed(q, item, events[i]!, err)));
      return;
    }
    try {
      await new Promise<void>((done, fail) =>
        this.#enqueue({ kind: 'complete', trigger, seqs: batch.map((i) => i.seq), replies, done, fail }),
      );
      this.delivered += batch.length;
    } catch (err) {
      // The outbox itself failed: keep the deliveries and try again later, as a crash would.
      await Promise.all(batch.map((item, i) => this.#failed(q, item, events[i]!, err)));
    }
  }

  async #failed(q: Queue, item: Item, event: VigilEvent, err: unknown): Promise<void> {
    const attempts = item.attempts + 1;
    const d = q.route.delivery;
    const deadLetter = attempts > d.retry;
    const error = err instanceof Error ? err.message : String(err);
    this.#onFailure?.({
      trigger: q.route.trigger,
      type: event.type,
      attempts,
      error,
      deadLettered: deadLetter,
    });
    const nextAt = this.#now() + backoffMs(d, attempts);
    try {
      await new Promise<void>((done, fail) =>
        this.#enqueue({
          kind: 'retry',
          trigger: q.route.trigger,
          item: { seq: item.seq, attempts },
          error,
          deadLetter,
          nextAt,
          done,
          fail,
        }),
      );
    } catch {
      // Even recording the failure failed (storage down): retry from memory; the row is still in the outbox.
      this.#schedule(q.route.trigger, item, this.#now() + 1000);
    }
  }
}
