// What the broker delivers to: a Vigil function is a Trigger's subscriber, a plain handler from one
// event to its reply events. The embedded broker calls it in-process; the container adapter
// (functions/http-adapter.ts) serves it over HTTP for a Knative Broker.
import type { Db } from '../storage/db.ts';
import type { VigilEvent } from './event.ts';

export interface FunctionContext {
  /** Storage shared by all replicas; the only place state may live between events. */
  db: Db;
  /** Wall clock in ms; injectable so rules with durations are testable. */
  now(): number;
}

export interface VigilFunction {
  /** Target name: `FUNCTION_TARGET` and the Knative Service name. */
  readonly name: string;
  /**
   * Handle one event, already validated at the door it came through (eventing/validate-event.ts), so its
   * data is the contract's type; return reply events (possibly none). Throwing means "not delivered, retry".
   */
  handle(event: VigilEvent, ctx: FunctionContext): Promise<VigilEvent[]>;
  /** Optional: handle many at once (the recorder commits a batch in one transaction). Same semantics per event. */
  handleBatch?(events: VigilEvent[], ctx: FunctionContext): Promise<VigilEvent[]>;
}
