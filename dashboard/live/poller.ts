// One query loop per dashboard process: reads new `events` rows by their monotonic `seq` and fans
// them out to every connected SSE client, so 50 open dashboards cost one loop, not 50. Nothing is
// kept between processes: every replica reads storage, so any number of replicas work.

import type { Db } from '../../storage/db.ts';
import {
  eegChunksOfEvents,
  eventsAfter,
  eventsBySeq,
  latestEventSeq,
  type StoredEvent,
} from '../../storage/telemetry-store.ts';
import { type LiveMessage, summarise, TRACE_HZ, traceOf } from './summarise.ts';

export interface PollerOptions {
  intervalMs?: number;
  batchSize?: number;
  /** How long a gap in `seq` is re-checked before we decide that id was never committed. */
  holeTtlMs?: number;
  now?: () => number;
}

export interface Subscriber {
  /** Only this patient's messages (patient view); all patients when undefined (ward, inbox). */
  patientId: string | undefined;
  deliver(messages: readonly LiveMessage[], traces: ReadonlyMap<number, string>): void;
}

/** Holes tracked at once; beyond this a burst of gaps (e.g. many rolled-back batches) is given up immediately. */
const MAX_HOLES = 5000;

/**
 * Why holes are tracked (MySQL/MariaDB): InnoDB hands out AUTO_INCREMENT values when a row is
 * inserted, but the row becomes visible only at COMMIT. With concurrent writers, transaction A can
 * take seq 10, B take seq 11 and commit first; a reader that sees 11 and moves its cursor to 11 would
 * never see 10. So the cursor for new rows is the highest seq seen (`maxSeen`, no added latency), and
 * every gap below it is remembered and re-read by primary key (`seq IN (...)`) on each poll for
 * `holeTtlMs`; a row that commits late inside that window is still delivered (after its successors,
 * each message carries its own seq). Gaps that never fill are normal — rolled-back transactions and
 * INSERT IGNORE duplicates consume ids — and are forgotten after the TTL. SQLite has a single writer,
 * so its seqs commit in order and holes there only come from rollbacks.
 */
export class EventPoller {
  readonly #db: Db;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #holeTtlMs: number;
  readonly #now: () => number;
  readonly #subs = new Set<Subscriber>();
  readonly #holes = new Map<number, number>(); // seq → when first noticed missing
  #maxSeen: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  /** Errors are counted, not thrown: a DB hiccup must not kill the live feed. */
  errors = 0;
  polls = 0;

  constructor(db: Db, opts: PollerOptions = {}) {
    this.#db = db;
    this.#intervalMs = opts.intervalMs ?? 150;
    this.#batchSize = opts.batchSize ?? 2000;
    this.#holeTtlMs = opts.holeTtlMs ?? 5000;
    this.#now = opts.now ?? Date.now;
  }

  /** Highest seq this process has read (initialising from storage on first use). */
  async head(): Promise<number> {
    if (this.#maxSeen === undefined) {
      const m = await latestEventSeq(this.#db);
      this.#maxSeen ??= m;
    }
    return this.#maxSeen;
  }

  subscribe(sub: Subscriber): () => void {
    this.#subs.add(sub);
    this.#schedule(0);
    return () => {
      this.#subs.delete(sub);
    };
  }

  get subscriberCount(): number {
    return this.#subs.size;
  }

  /** Stored events after `after` (a client's Last-Event-ID), for resuming a stream. */
  async since(after: number, patientId: string | undefined, limit: number): Promise<StoredEvent[]> {
    return eventsAfter(this.#db, after, limit, patientId);
  }

  /** Downsampled EEG traces (JSON `{hz, channels, samples}`) for the given messages, keyed by seq. */
  async traces(messages: readonly LiveMessage[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    const wanted = messages.filter((m) => m.eegChunk);
    if (wanted.length === 0) return out;
    const chunks = await eegChunksOfEvents(
      this.#db,
      wanted.map((m) => m.eegChunk!),
    );
    const byKey = new Map(chunks.map((c) => [`${c.source}\n${c.eventId}`, c]));
    for (const m of wanted) {
      const c = byKey.get(`${m.eegChunk!.source}\n${m.eegChunk!.eventId}`);
      if (!c) continue;
      const d = traceOf(c.samples, c.sampleRateHz, TRACE_HZ);
      out.set(m.seq, JSON.stringify({ hz: d.hz, channels: c.channels, samples: d.samples }));
    }
    return out;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Resolves after the current poll (if any) finished; for orderly shutdown. */
  async drain(): Promise<void> {
    this.stop();
    await this.#running;
  }

  #schedule(delay: number): void {
    // `#timer` stays set while a poll runs, so a subscribe() during a poll cannot start a second loop.
    if (this.#stopped || this.#timer || this.#subs.size === 0) return;
    this.#timer = setTimeout(async () => {
      let full = false;
      const run = this.pollOnce().then(
        (f) => {
          full = f;
        },
        () => {
          this.errors++;
        },
      );
      this.#running = run;
      await run;
      this.#running = undefined;
      this.#timer = undefined;
      this.#schedule(full ? 0 : this.#intervalMs);
    }, delay);
  }

  /** One poll: new rows above maxSeen plus late rows in known holes. Returns true when the batch was full. */
  async pollOnce(): Promise<boolean> {
    this.polls++;
    const from = await this.head();
    const now = this.#now();
    const fresh = await eventsAfter(this.#db, from, this.#batchSize);
    let late: StoredEvent[] = [];
    if (this.#holes.size > 0) {
      for (const [seq, since] of this.#holes) if (now - since > this.#holeTtlMs) this.#holes.delete(seq);
      late = await eventsBySeq(this.#db, [...this.#holes.keys()]);
      for (const r of late) this.#holes.delete(Number(r.seq));
    }
    let prev = from;
    for (const r of fresh) {
      const seq = Number(r.seq);
      for (let s = prev + 1; s < seq && this.#holes.size < MAX_HOLES; s++) this.#holes.set(s, now);
      prev = seq;
    }
    if (fresh.length > 0) this.#maxSeen = prev;
    const rows = late.concat(fresh);
    if (rows.length > 0) await this.#fanOut(rows.map(summarise));
    return fresh.length === this.#batchSize;
  }

  async #fanOut(messages: LiveMessage[]): Promise<void> {
    // Traces are only decoded for patients someone is watching in the patient view.
    const watched = new Set<string>();
    for (const s of this.#subs) if (s.patientId !== undefined) watched.add(s.patientId);
    const traces =
      watched.size > 0
        ? await this.traces(messages.filter((m) => m.eegChunk && m.patientId && watched.has(m.patientId)))
        : new Map<number, string>();
    for (const s of this.#subs) {
      const mine = s.patientId === undefined ? messages : messages.filter((m) => m.patientId === s.patientId);
      if (mine.length === 0) continue;
      try {
        s.deliver(mine, traces);
      } catch {
        this.errors++;
      }
    }
  }
}
