// Admission: whether device events may come in now (backpressure on the events and bytes still
// pending), holding requests briefly when they may not, and accepting them durably. Accepting joins
// the next group commit and resolves only once that commit is durable: the 202 ingest answers.
// Duplicates (same CloudEvent source and id as an event still in the outbox) are dropped by the
// outbox's unique key and counted, not stored twice.
import type { VigilEvent } from '../event.ts';
import { type AcceptResult, SinkUnavailableError } from '../sink.ts';
import type { PendingEvents } from './pending-events.ts';

export class BrokerFullError extends SinkUnavailableError {
  constructor(retryAfterSeconds: number) {
    super('broker queue is full', retryAfterSeconds);
  }
}

export interface AdmissionOptions {
  pending: PendingEvents;
  /** Accepted events not yet fully delivered before new device events are refused. */
  maxPendingEvents: number;
  /** Outbox bytes of pending events before device events are refused: bounds memory. */
  maxPendingBytes: number;
  /** Stores events durably; resolves each one's outbox seq, or null for a duplicate. */
  store(events: readonly VigilEvent[]): Promise<(number | null)[]>;
}

export class Admission {
  readonly #opts: AdmissionOptions;
  /** Requests waiting in admit() for room, first come first served. */
  readonly #waiters: (() => void)[] = [];
  #closed = false;

  constructor(opts: AdmissionOptions) {
    this.#opts = opts;
  }

  busy(): number | undefined {
    const { pending, maxPendingEvents, maxPendingBytes } = this.#opts;
    return this.#closed || pending.size >= maxPendingEvents || pending.bytes > maxPendingBytes
      ? 1
      : undefined;
  }

  /**
   * Holds a request until there is room (or maxWaitMs passed): under overload a device waits briefly
   * instead of sending its body only to be refused, and refusals cost no parsing.
   */
  async admit(maxWaitMs: number): Promise<number | undefined> {
    if (this.busy() === undefined) return undefined;
    if (this.#closed || maxWaitMs <= 0) return 1;
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
    const { pending, maxPendingEvents, maxPendingBytes } = this.#opts;
    if (this.#closed) throw new BrokerFullError(1);
    if (pending.size + events.length > maxPendingEvents || pending.bytes > maxPendingBytes)
      throw new BrokerFullError(1);
    const seqs = await this.#opts.store(events);
    const accepted = seqs.filter((s) => s !== null).length;
    return { accepted, duplicates: events.length - accepted };
  }

  /** An event finished: one waiting request per finished event, roughly what its room allows. */
  eventFinished(): void {
    if (this.#waiters.length > 0 && this.busy() === undefined) this.#waiters.shift()!();
  }

  /** Refuses everything from now on and lets every waiting request go (to be refused). */
  close(): void {
    this.#closed = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
