// Wraps a plain Vigil function as the HTTP endpoint a Knative Trigger delivers to. Registered with
// functions-framework's `http` signature (not `cloudEvent`): that one cannot answer with a reply
// event, and a Knative Broker would count its JSON answer as a failed delivery.
import type { Request, Response } from '@google-cloud/functions-framework';
import { CloudEvent, HTTP, ValidationError } from 'cloudevents';
import type { VigilEvent } from '../eventing/event.ts';
import type { EventSink } from '../eventing/sink.ts';
import type { VigilFunction } from '../eventing/subscriber.ts';
import type { FunctionMetrics } from '../observability/metrics.ts';
import type { Db } from '../storage/db.ts';
import { recordDeadLetter } from './recorder/index.ts';

export interface AdapterDeps {
  db: () => Promise<Db>;
  /** Where replies beyond the first go (K_SINK); a Knative reply carries only one event. */
  sink?: EventSink | undefined;
  metrics: FunctionMetrics;
  now?: () => number;
}

const ALLOW = 'POST, OPTIONS';

function toPlain(ce: CloudEvent<unknown>): VigilEvent {
  return JSON.parse(JSON.stringify(ce)) as VigilEvent;
}

export function httpHandler(
  fn: VigilFunction,
  deps: AdapterDeps,
): (req: Request, res: Response) => Promise<void> {
  const now = deps.now ?? Date.now;
  return async (req, res) => {
    const started = performance.now();
    let outcome = 'ok';
    try {
      if (req.method === 'GET' && req.path === '/healthz') {
        res.status(200).json({ status: 'ok' });
        return;
      }
      if (req.method === 'GET' && req.path === '/metrics') {
        res
          .status(200)
          .type(deps.metrics.registry.contentType)
          .send(await deps.metrics.registry.metrics());
        return;
      }
      // The Knative data plane (data-plane.md "HTTP Verbs"): a sender may probe with OPTIONS, and the
      // answer names POST in Allow; so does every 405 (RFC 9110 15.5.6).
      if (req.method === 'OPTIONS') {
        res.status(204).set('allow', ALLOW).end();
        return;
      }
      if (req.method !== 'POST') {
        outcome = '405';
        res
          .status(405)
          .set('allow', ALLOW)
          .type('application/problem+json')
          .send({ title: 'Method not allowed', status: 405 });
        return;
      }
      let event: VigilEvent;
      try {
        const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : req.body;
        const parsed = HTTP.toEvent({ headers: req.headers, body });
        const ce = (Array.isArray(parsed) ? parsed[0] : parsed) as CloudEvent<unknown> | undefined;
        if (!ce) throw new ValidationError('no event in the request');
        // The SDK does not validate what it receives.
        ce.validate();
        event = toPlain(ce);
      } catch (err) {
        // 400 is not retried by Knative: the event goes to the dead-letter sink, where it is kept.
        outcome = '400';
        res
          .status(400)
          .type('application/problem+json')
          .send({
            title: 'Not a valid CloudEvent',
            status: 400,
            detail: err instanceof Error ? err.message.slice(0, 300) : 'invalid',
          });
        return;
      }
      const db = await deps.db();
      if (fn.name === 'recorder' && req.path === '/dead-letter') {
        await recordDeadLetter(db, event, now());
        res.status(204).end();
        return;
      }
      const replies = await fn.handle(event, { db, now });
      deps.metrics.countEvents(event.type, 1);
      const [first, ...rest] = replies;
      if (rest.length) {
        if (!deps.sink)
          throw new Error(`${fn.name} produced ${replies.length} replies but K_SINK is not set`);
        await deps.sink.accept(rest);
      }
      if (!first) {
        res.status(204).end();
        return;
      }
      const msg = HTTP.binary(new CloudEvent(first as ConstructorParameters<typeof CloudEvent>[0]));
      res
        .status(200)
        .set(msg.headers as Record<string, string>)
        .send(msg.body);
    } catch (err) {
      // 5xx: Knative retries with the Trigger's backoff, then dead-letters. No event data in the log.
      outcome = '500';
      console.error(
        `[${fn.name}] delivery failed: ${err instanceof Error ? err.message.slice(0, 200) : 'error'}`,
      );
      if (!res.headersSent)
        res.status(500).type('application/problem+json').send({ title: 'Delivery failed', status: 500 });
    } finally {
      deps.metrics.observe(outcome, (performance.now() - started) / 1000);
    }
  };
}
