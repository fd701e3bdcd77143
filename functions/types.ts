// What every Vigil function is: a plain handler, event in -> reply events out.
// The embedded runtime calls it in-process; the container adapter (functions/http-adapter.ts) wraps it for Knative.
import type { Db } from '../storage/db.ts';

/** A CloudEvent as a plain object (structured-mode JSON shape). Extensions are extra top-level keys. */
export interface VigilEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  data?: T;
  [extension: string]: unknown;
}

export interface FunctionContext {
  /** Storage shared by all replicas; the only place state may live between events. */
  db: Db;
  /** Wall clock in ms; injectable so rules with durations are testable. */
  now(): number;
}

export interface VigilFunction {
  /** Target name: `functions-framework --target=<name>` and the Knative Service name. */
  readonly name: string;
  /** Handle one event; return reply events (possibly none). Throwing means "not delivered, retry". */
  handle(event: VigilEvent, ctx: FunctionContext): Promise<VigilEvent[]>;
  /** Optional: handle many at once (the recorder commits a batch in one transaction). Same semantics per event. */
  handleBatch?(events: VigilEvent[], ctx: FunctionContext): Promise<VigilEvent[]>;
}
