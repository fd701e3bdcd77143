// Where ingest and functions hand events over: the embedded broker in-process, or the Knative
// broker ingress (K_SINK) over HTTP. Either way, resolve means "durably accepted".
import { eventJson } from './eeg-codec.ts';
import type { VigilEvent } from './event.ts';

export interface AcceptResult {
  accepted: number;
  duplicates: number;
}

export interface EventSink {
  accept(events: VigilEvent[]): Promise<AcceptResult>;
  /**
   * Waits up to maxWaitMs for room (checked before a body is read). Resolves undefined when there is
   * room, or the seconds a client should wait before retrying when there still is none.
   */
  admit?(maxWaitMs: number): Promise<number | undefined>;
}

/** Raised when the sink cannot take events now; ingest answers 503 with Retry-After. */
export class SinkUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

/** Posts each event in structured mode to a Knative broker ingress; all must be accepted (2xx). */
export class HttpSink implements EventSink {
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 5000,
  ) {}

  async accept(events: VigilEvent[]): Promise<AcceptResult> {
    const results = await Promise.allSettled(
      events.map((e) =>
        fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/cloudevents+json' },
          body: eventJson(e),
          signal: AbortSignal.timeout(this.timeoutMs),
        }),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected' || !r.value.ok);
    if (failed.length) {
      const first = failed[0]!;
      const why = first.status === 'rejected' ? String(first.reason) : `HTTP ${first.value.status}`;
      throw new SinkUnavailableError(`broker refused ${failed.length} of ${events.length} events (${why})`);
    }
    return { accepted: events.length, duplicates: 0 };
  }
}
