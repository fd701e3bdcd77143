// Counters and an acknowledgement-latency histogram with 1 % wide log buckets: constant memory,
// percentiles accurate to 1 %, cheap enough to print a live p99 every second.
const GROWTH = 1.01;
const MIN_MS = 0.01;
const BUCKETS = Math.ceil(Math.log(1e6 / MIN_MS) / Math.log(GROWTH)) + 1;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;
  private sum = 0;

  record(ms: number): void {
    const b = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / Math.log(GROWTH)));
    this.counts[b]!++;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** Upper bound of the bucket holding quantile q (0..1); 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return Math.min(this.max, MIN_MS * GROWTH ** b);
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }
}

export interface Summary {
  sent: number;
  acknowledged: number;
  errors: number;
  retries503: number;
  samplesSent: number;
  elapsedS: number;
  eventsPerS: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Distinct error messages with how often each occurred. */
  errorKinds: Record<string, number>;
}

export class SimulationStats {
  sent = 0;
  acknowledged = 0;
  errors = 0;
  retries503 = 0;
  samplesSent = 0;
  readonly latency = new LatencyHistogram();
  readonly errorKinds = new Map<string, number>();

  error(kind: string): void {
    this.errors++;
    this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + 1);
  }

  progressLine(elapsedS: number): string {
    const rate = elapsedS > 0 ? this.acknowledged / elapsedS : 0;
    return (
      `sent ${this.sent}  acked ${this.acknowledged}  errors ${this.errors}  503-retries ${this.retries503}  ` +
      `p99 ack ${this.latency.quantile(0.99).toFixed(1)} ms  ${rate.toFixed(0)} ev/s  ${elapsedS.toFixed(0)} s`
    );
  }

  summary(elapsedS: number): Summary {
    const r = (x: number): number => Math.round(x * 100) / 100;
    return {
      sent: this.sent,
      acknowledged: this.acknowledged,
      errors: this.errors,
      retries503: this.retries503,
      samplesSent: this.samplesSent,
      elapsedS: r(elapsedS),
      eventsPerS: r(elapsedS > 0 ? this.acknowledged / elapsedS : 0),
      latencyMs: {
        p50: r(this.latency.quantile(0.5)),
        p90: r(this.latency.quantile(0.9)),
        p99: r(this.latency.quantile(0.99)),
        max: r(this.latency.max),
        mean: r(this.latency.mean()),
      },
      errorKinds: Object.fromEntries(this.errorKinds),
    };
  }
}
