// Delivery: one queue per Trigger of the deliveries that are due, handed to its subscriber in
// batches with bounded concurrency. A success is reported as `complete` (the delivery row goes and
// the replies become new events, in one commit); a failure is retried with the Trigger's backoff and,
// once its retries are spent, dead-lettered. The dispatcher itself writes nothing: the outbox does.
import type { VigilEvent } from '../event.ts';
import type { FunctionContext, VigilFunction } from '../subscriber.ts';
import { backoffMs, type Route } from './routes.ts';

export interface DeliveryItem {
  seq: number;
  /** Failed attempts so far. */
  attempts: number;
}

/** Where the dispatcher reports outcomes; each resolves once the outcome is durable. */
export interface DeliveryOutcomes {
  complete(trigger: string, seqs: number[], replies: VigilEvent[]): Promise<void>;
  retry(trigger: string, item: DeliveryItem, error: string, nextAt: number): Promise<void>;
  deadLetter(trigger: string, item: DeliveryItem, event: VigilEvent, error: string): Promise<void>;
}

export interface DeliveryFailure {
  trigger: string;
  type: string;
  attempts: number;
  error: string;
  deadLettered: boolean;
}

export interface QueueOptions {
  maxBatch: number;
  concurrency: number;
}

interface Queue extends QueueOptions {
  route: Route;
  fn: VigilFunction;
  items: DeliveryItem[];
  inflight: number;
}

export interface DispatcherOptions {
  routes: readonly { route: Route; fn: VigilFunction; queue: QueueOptions }[];
  ctx: FunctionContext;
  /** The event a pending delivery carries. */
  eventOf(seq: number): VigilEvent;
  outcomes: DeliveryOutcomes;
  onFailure?: ((f: DeliveryFailure) => void) | undefined;
}

/** How long a failure that could not even be recorded (storage down) waits before it is tried again. */
const UNRECORDED_RETRY_MS = 1000;

export class Dispatcher {
  readonly #queues = new Map<string, Queue>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #opts: DispatcherOptions;
  #started = false;
  #stopped = false;
  delivered = 0;

  constructor(opts: DispatcherOptions) {
    this.#opts = opts;
    for (const { route, fn, queue } of opts.routes)
      this.#queues.set(route.trigger, { ...queue, route, fn, items: [], inflight: 0 });
  }

  has(trigger: string): boolean {
    return this.#queues.has(trigger);
  }

  /** Retries waiting for their time. */
  get waiting(): number {
    return this.#timers.size;
  }

  get inflight(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.inflight;
    return n;
  }

  start(): void {
    this.#started = true;
    for (const trigger of this.#queues.keys()) this.#pump(trigger);
  }

  /** No new calls; those in flight finish (see inflight). Queued deliveries stay in the outbox. */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  /** Queues a delivery, due at `at` (ms). */
  schedule(trigger: string, item: DeliveryItem, at: number): void {
    if (this.#stopped) return;
    const q = this.#queues.get(trigger)!;
    const wait = at - this.#opts.ctx.now();
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
      const batch = takeBatch(q.items, q.maxBatch);
      q.inflight++;
      void this.#deliver(q, batch).finally(() => {
        q.inflight--;
        this.#pump(trigger);
      });
    }
  }

  async #deliver(q: Queue, batch: DeliveryItem[]): Promise<void> {
    const events = batch.map((i) => this.#opts.eventOf(i.seq));
    const { ctx } = this.#opts;
    let replies: VigilEvent[];
    try {
      replies =
        q.fn.handleBatch && events.length > 1
          ? await q.fn.handleBatch(events, ctx)
          : await q.fn.handle(events[0]!, ctx);
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
      await this.#opts.outcomes.complete(
        q.route.trigger,
        batch.map((i) => i.seq),
        replies,
      );
      this.delivered += batch.length;
    } catch (err) {
      // The outbox itself failed: keep the deliveries and try again later, as a crash would.
      await Promise.all(batch.map((item, i) => this.#failed(q, item, events[i]!, err)));
    }
  }

  async #failed(q: Queue, item: DeliveryItem, event: VigilEvent, err: unknown): Promise<void> {
    const trigger = q.route.trigger;
    const attempts = item.attempts + 1;
    const d = q.route.delivery;
    const deadLettered = attempts > d.retry;
    const error = err instanceof Error ? err.message : String(err);
    this.#opts.onFailure?.({ trigger, type: event.type, attempts, error, deadLettered });
    const next = { seq: item.seq, attempts };
    try {
      if (deadLettered) await this.#opts.outcomes.deadLetter(trigger, next, event, error);
      else {
        const nextAt = this.#opts.ctx.now() + backoffMs(d, attempts);
        await this.#opts.outcomes.retry(trigger, next, error, nextAt);
        this.schedule(trigger, next, nextAt);
      }
    } catch {
      // Even recording the failure failed (storage down): retry from memory; the row is still in the outbox.
      this.schedule(trigger, item, this.#opts.ctx.now() + UNRECORDED_RETRY_MS);
    }
  }
}

/**
 * The next batch off the queue: fresh deliveries together, but a retried one alone. A batch fails as a
 * whole, so an event that keeps failing would otherwise take every event batched with it through the
 * same retries to the dead letters; alone, it fails on its own and the others go on.
 */
function takeBatch(items: DeliveryItem[], max: number): DeliveryItem[] {
  if (items[0]!.attempts > 0) return items.splice(0, 1);
  let n = 1;
  while (n < max && n < items.length && items[n]!.attempts === 0) n++;
  return items.splice(0, n);
}
