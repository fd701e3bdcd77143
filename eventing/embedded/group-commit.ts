// Group commit: every operation submitted while the previous transaction was running goes into the
// next one, so many concurrent requests share one durable commit (one fsync, on MariaDB one
// BEGIN/COMMIT) instead of paying for one each. A submitter resumes only after its group's commit.
import type { Db } from '../../storage/db.ts';

export interface GroupCommitOptions<Op, Out, R> {
  db: Db;
  /**
   * Writes one group inside tx. It must leave memory alone: the transaction may run again (a
   * MariaDB deadlock is retried by Db.tx, a failure `again` accepts by the next attempt).
   */
  write(tx: Db, ops: readonly Op[], attempt: number): Promise<Out>;
  /** Applies a durable group's outcome to memory; returns each op's result, in order. */
  committed(out: Out, ops: readonly Op[]): R[];
  /** Whether a failed group is written again in a new transaction (attempt counts from 0). */
  again?(err: unknown, attempt: number): boolean;
}

interface Waiting<Op, R> {
  op: Op;
  resolve(r: R): void;
  reject(e: unknown): void;
}

export class GroupCommit<Op, Out, R> {
  readonly #opts: GroupCommitOptions<Op, Out, R>;
  #queue: Waiting<Op, R>[] = [];
  #flushing = false;
  /** Transactions committed so far (for tests and metrics). */
  commits = 0;

  constructor(opts: GroupCommitOptions<Op, Out, R>) {
    this.#opts = opts;
  }

  /** Nothing queued and no transaction running. */
  get idle(): boolean {
    return this.#queue.length === 0 && !this.#flushing;
  }

  submit(op: Op): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        // Not at once: whatever else this turn of the event loop submits joins the same group.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const group = this.#queue;
      this.#queue = [];
      const ops = group.map((w) => w.op);
      try {
        const results = await this.#commit(ops);
        group.forEach((w, i) => {
          w.resolve(results[i]!);
        });
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    this.#flushing = false;
  }

  async #commit(ops: readonly Op[]): Promise<R[]> {
    for (let attempt = 0; ; attempt++) {
      let out: Out;
      try {
        // Durable: these commits are what ingest acknowledges with 202.
        out = await this.#opts.db.tx((tx) => this.#opts.write(tx, ops, attempt), { durable: true });
      } catch (err) {
        if (this.#opts.again?.(err, attempt)) continue;
        throw err;
      }
      this.commits++;
      return this.#opts.committed(out, ops);
    }
  }
}
