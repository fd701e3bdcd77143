// The rehearsal's Knative Broker: a TEST FIXTURE for the cluster path, never a production runtime (it
// keeps events in memory, like the dev overlay's InMemoryChannel; production uses the Kafka broker,
// knative/README.md). It follows the Broker data-plane contract as eventing/broker.yaml and
// eventing/triggers.yaml configure it, so the functions are exercised against what a cluster does:
// - ingress at /<namespace>/<broker> accepts one CloudEvent per POST, binary or structured mode, and
//   answers 202 once the event is queued for every matching Trigger (400 for a request that is no
//   valid CloudEvent, 429 when too much is pending: "Too Many Requests / Overloaded", retryable);
// - one filter per Trigger (exact match on every listed attribute, none = everything,
//   eventing/embedded/routes.ts `matches`), delivery over HTTP to the subscriber (rehearsal/eventing/
//   delivery.ts) with the Trigger's `delivery` (or the Broker's): `retry` retries after the first
//   attempt, `backoffPolicy`/`backoffDelay` between them; Retry-After is not honoured (Knative only
//   does so when `retryAfterMax` is set, which Vigil's YAML does not);
// - a reply event (a 200 with an event) is published back into the broker and filtered again;
//   knativebrokerttl (255 at ingress, one less per reply) stops reply loops, as MTChannelBasedBroker
//   does; the filter removes it before delivery;
// - after the last retry, or at once for a non-retryable answer, the event goes to the
//   deadLetterSink with knativeerrordest (the subscriber), knativeerrorcode (the last status, when
//   there was a response) and knativeerrordata (the last response body or transport error, at most
//   1024 bytes, base64); the dead-letter delivery uses the same retry settings. An event whose
//   dead-letter delivery fails too (or that has no deadLetterSink) is lost: logged and counted, and
//   `npm run rehearse -- --check` fails on any.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { backoffMs, matches, type Route } from '../../eventing/embedded/routes.ts';
import { closeServer, listenOn } from '../listen.ts';
import { CloudEventError, fromHttp, type WireEvent } from './cloudevent-http.ts';
import { deliverOnce, type Outcome } from './delivery.ts';

export const DEFAULT_TTL = 255;
const ERROR_DATA_MAX = 1024;

export interface BrokerOptions {
  namespace: string;
  name: string;
  routes: Route[];
  /** URL of a subscriber as routes.ts names it: a Service name, optionally followed by a path. */
  resolve: (subscriber: string) => string;
  /** Deliveries in flight per Trigger, retries waiting included (congestion control). */
  maxInFlightPerTrigger?: number;
  /** Event bytes the broker may hold before the ingress answers 429. */
  maxPendingBytes?: number;
  log?: (line: string) => void;
}

export interface TriggerStats {
  delivered: number;
  retries: number;
  replies: number;
  deadLettered: number;
  lost: number;
}

interface Item {
  event: WireEvent;
  ttl: number;
  bytes: number;
}

class TriggerDispatcher {
  readonly stats: TriggerStats = { delivered: 0, retries: 0, replies: 0, deadLettered: 0, lost: 0 };
  readonly queue: Item[] = [];
  inFlight = 0;

  constructor(
    readonly route: Route,
    private readonly broker: Broker,
    private readonly max: number,
  ) {}

  push(item: Item): void {
    this.queue.push(item);
    this.pump();
  }

  private pump(): void {
    while (!this.broker.closed && this.inFlight < this.max && this.queue.length) {
      const item = this.queue.shift()!;
      this.inFlight++;
      void this.dispatch(item).finally(() => {
        this.inFlight--;
        this.broker.release(item);
        this.pump();
      });
    }
  }

  /** Delivers to the subscriber with retries; returns the last outcome. */
  private async withRetries(url: string, event: WireEvent, preferReply: boolean): Promise<Outcome> {
    const d = this.route.delivery;
    for (let failures = 0; ; failures++) {
      const out = await deliverOnce(url, event, { preferReply });
      if (out.kind === 'delivered' || !out.retry || failures >= d.retry) return out;
      if (!(await this.broker.sleep(backoffMs(d, failures + 1)))) return out;
      this.stats.retries++;
    }
  }

  private async dispatch(item: Item): Promise<void> {
    const url = this.broker.resolve(this.route.subscriber);
    const out = await this.withRetries(url, item.event, true);
    if (out.kind === 'delivered') {
      this.stats.delivered++;
      if (out.reply) {
        this.stats.replies++;
        this.broker.publish(out.reply, item.ttl - 1, `reply via ${this.route.trigger}`);
      }
      return;
    }
    // Shut down while this event was being retried: dropped with the broker, as an in-memory channel's are.
    if (this.broker.closed) return;
    const what = `${this.route.trigger}: ${item.event.attributes.type} ${item.event.attributes.id}`;
    const dls = this.route.delivery.deadLetter;
    if (!dls) {
      this.stats.lost++;
      this.broker.log(`LOST ${what}: HTTP ${out.status ?? 'no response'} and no deadLetterSink`);
      return;
    }
    const failed: WireEvent = {
      data: item.event.data,
      attributes: {
        ...item.event.attributes,
        knativeerrordest: url,
        ...(out.status !== undefined ? { knativeerrorcode: String(out.status) } : {}),
        knativeerrordata: out.detail.subarray(0, ERROR_DATA_MAX).toString('base64'),
      },
    };
    const dead = await this.withRetries(this.broker.resolve(dls), failed, false);
    if (dead.kind === 'delivered') {
      this.stats.deadLettered++;
      this.broker.log(`dead-lettered ${what} after HTTP ${out.status ?? 'no response'}`);
    } else {
      this.stats.lost++;
      this.broker.log(`LOST ${what}: the deadLetterSink answered ${dead.status ?? 'nothing'}`);
    }
  }
}

export class Broker {
  readonly dispatchers: TriggerDispatcher[];
  readonly log: (line: string) => void;
  readonly resolve: (subscriber: string) => string;
  readonly path: string;
  accepted = 0;
  droppedTtl = 0;
  private pendingBytes = 0;
  private readonly maxPendingBytes: number;
  private server: Server | undefined;
  private idleWaiters: Array<() => void> = [];
  private sleepers = new Set<() => void>();
  /** Set by close(): nothing more is delivered, retries waiting end, what is queued is dropped. */
  closed = false;

  constructor(opts: BrokerOptions) {
    this.log = opts.log ?? (() => {});
    this.resolve = opts.resolve;
    this.path = `/${opts.namespace}/${opts.name}`;
    this.maxPendingBytes = opts.maxPendingBytes ?? 64 * 2 ** 20;
    this.dispatchers = opts.routes.map(
      (r) => new TriggerDispatcher(r, this, opts.maxInFlightPerTrigger ?? 100),
    );
  }

  /** Queues the event for every Trigger whose filter matches; false if none does. */
  publish(event: WireEvent, ttl: number, why = 'ingress'): boolean {
    if (ttl <= 0) {
      this.droppedTtl++;
      this.log(
        `dropped ${event.attributes.type} ${event.attributes.id} (${why}): knativebrokerttl exhausted`,
      );
      return false;
    }
    const { knativebrokerttl: _ttl, ...attributes } = event.attributes;
    const clean = { attributes, data: event.data };
    const targets = this.dispatchers.filter((d) => matches(d.route, attributes));
    const bytes = (event.data?.length ?? 0) + 200;
    for (const d of targets) {
      this.pendingBytes += bytes;
      d.push({ event: clean, ttl, bytes });
    }
    return targets.length > 0;
  }

  /** Called by a dispatcher when it is done with an item. */
  release(item: Item): void {
    this.pendingBytes -= item.bytes;
    if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  isIdle(): boolean {
    return this.dispatchers.every((d) => d.inFlight === 0 && d.queue.length === 0);
  }

  /** Resolves when nothing is queued, in flight or waiting for a retry. */
  idle(): Promise<void> {
    return this.isIdle() ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  stats(): Record<string, TriggerStats> {
    return Object.fromEntries(this.dispatchers.map((d) => [d.route.trigger, { ...d.stats }]));
  }

  lost(): number {
    return this.dispatchers.reduce((n, d) => n + d.stats.lost, 0);
  }

  private async ingress(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://broker');
    if (url.pathname !== this.path) return end(res, 404, `no broker at ${url.pathname}`);
    // data-plane.md "HTTP Verbs": an OPTIONS probe, if answered, names POST in Allow.
    if (req.method === 'OPTIONS') return end(res, 200, '', { allow: 'POST, OPTIONS' });
    if (req.method !== 'POST') return end(res, 405, 'POST a CloudEvent', { allow: 'POST, OPTIONS' });
    if (this.pendingBytes > this.maxPendingBytes)
      return end(res, 429, 'broker overloaded', { 'retry-after': '1' });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 16 * 2 ** 20) return end(res, 413, 'event larger than 16 MiB');
      chunks.push(c as Buffer);
    }
    let event: WireEvent | undefined;
    try {
      event = fromHttp(req.headers, Buffer.concat(chunks));
    } catch (err) {
      if (err instanceof CloudEventError) return end(res, 400, err.message);
      throw err;
    }
    if (!event)
      return end(res, 400, 'not a CloudEvent: no ce-specversion header and not application/cloudevents+json');
    const ttlAttr = event.attributes.knativebrokerttl;
    const ttl = ttlAttr === undefined ? DEFAULT_TTL : Number.parseInt(ttlAttr, 10);
    event.attributes.knativearrivaltime ??= new Date().toISOString();
    this.accepted++;
    this.publish(event, Number.isFinite(ttl) ? ttl : DEFAULT_TTL);
    end(res, 202, '');
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => {
      this.ingress(req, res).catch((err) => {
        this.log(`ingress error: ${(err as Error).message}`);
        if (!res.headersSent) end(res, 500, 'ingress error');
      });
    });
    this.server = server;
    return `http://${host}:${await listenOn(server, port, host)}${this.path}`;
  }

  /** Waits before a retry; false when the broker closed meanwhile. */
  sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        resolve(!this.closed);
      };
      const t = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  /** Stops the ingress and all delivery; returns how many queued or retrying deliveries were dropped. */
  async close(): Promise<number> {
    this.closed = true;
    let dropped = 0;
    for (const d of this.dispatchers) {
      dropped += d.queue.length + d.inFlight;
      for (const item of d.queue.splice(0)) this.release(item);
    }
    for (const wake of [...this.sleepers]) wake();
    for (const w of this.idleWaiters.splice(0)) w();
    const s = this.server;
    this.server = undefined;
    await closeServer(s);
    return dropped;
  }
}

function end(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, text ? { 'content-type': 'text/plain; charset=utf-8', ...headers } : headers);
  res.end(text);
}
