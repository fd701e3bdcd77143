// The accepted events still owed a delivery, held in memory so that a delivery needs no read of the
// outbox. Their count and payload bytes are what admission measures backpressure by.
import type { VigilEvent } from '../event.ts';

interface Entry {
  event: VigilEvent;
  /** Deliveries not yet finished. */
  remaining: number;
  bytes: number;
}

export class PendingEvents {
  readonly #events = new Map<number, Entry>();
  #bytes = 0;

  get size(): number {
    return this.#events.size;
  }

  /** Outbox payload bytes of the pending events. */
  get bytes(): number {
    return this.#bytes;
  }

  event(seq: number): VigilEvent {
    const e = this.#events.get(seq);
    if (!e) throw new Error(`event ${seq} is not pending`);
    return e.event;
  }

  has(seq: number): boolean {
    return this.#events.has(seq);
  }

  /** Counts `deliveries` more deliveries owed for an event (tracking it if new). */
  add(seq: number, event: VigilEvent, bytes: number, deliveries: number): void {
    let e = this.#events.get(seq);
    if (!e) {
      e = { event, remaining: 0, bytes };
      this.#events.set(seq, e);
      this.#bytes += bytes;
    }
    e.remaining += deliveries;
  }

  /** One delivery finished; true when that was the event's last. */
  finish(seq: number): boolean {
    const e = this.#events.get(seq);
    if (!e || --e.remaining > 0) return false;
    this.#events.delete(seq);
    this.#bytes -= e.bytes;
    return true;
  }
}
