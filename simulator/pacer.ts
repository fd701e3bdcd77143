// Maps recording time to wall time: an event recorded at offset t seconds is due at start + t / speed.
// The clock is injectable so pacing is testable without waiting.
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class Pacer {
  readonly startMs: number;

  /** `speed` = recording seconds per wall second; Infinity sends as fast as acknowledgements allow. */
  constructor(
    private readonly clock: Clock,
    readonly speed: number,
    startMs = clock.now(),
  ) {
    if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
    this.startMs = startMs;
  }

  /** Wall time (clock ms) at which recording offset `offsetS` is due. */
  dueAt(offsetS: number): number {
    return Number.isFinite(this.speed) ? this.startMs + (offsetS * 1000) / this.speed : this.startMs;
  }

  /** Waits until recording offset `offsetS` is due; returns how late (ms) the caller already was. */
  async waitFor(offsetS: number): Promise<number> {
    const wait = this.dueAt(offsetS) - this.clock.now();
    if (wait > 0) {
      await this.clock.sleep(wait);
      return 0;
    }
    return Math.max(0, -wait);
  }

  elapsedMs(): number {
    return this.clock.now() - this.startMs;
  }
}
