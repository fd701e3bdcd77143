// Wraps a plain Vigil function as the HTTP endpoint a Knative Trigger delivers to: the function's door,
// where the event is checked against the contract once (a breach is a 422 naming the field, never a
// crash) before the handler, which trusts it, sees it. Registered with
// functions-framework's `http` signature (not `cloudEvent`): that one cannot answer with a reply
// event, and a Knative Broker would count its JSON answer as a failed delivery.
import type { Request, Response } from '@google-cloud/functions-framework';
import { CloudEvent, HTTP, ValidationError } from 'cloudevents';
import type { VigilEvent } from '../eventing/event.ts';
import type { EventSink } from '../eventing/sink.ts';
import type { VigilFunction } from '../eventing/subscriber.ts';
import { validateContractEvent } from '../eventing/validate-event.ts';
import { ProblemError } from '../http/problem.ts';
import type { FunctionMetrics } from '../observability/metrics.ts';
import type { Db } from '../storage/db.ts';
import { decodeHeaderValue } from './ingest/attributes.ts';
import { recordDeadLetter } from './recorder/index.ts';

export interface AdapterDeps {
  db: () => Promise<Db>;
  /** Where replies beyond the first go (K_SINK); a Knative reply carries only one event. */
  sink?: EventSink | undefined;
  metrics: FunctionMetrics;
  now?: () => number;
}

const ALLOW = 'POST, OPTIONS';

/** The one problem vocabulary, written to an Express response (functions-framework is not Hono). */
function sendProblem(res: Response, p: ProblemError): void {
  res.status(p.status).set(p.headers).type('application/problem+json').send(JSON.stringify(p.toJSON()));
}

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
        sendProblem(
          res,
          new ProblemError(405, 'deliver events with POST', [], { headers: { allow: ALLOW } }),
        );
        return;
      }
      let event: VigilEvent;
      try {
        const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : req.body;
        // Binary-mode attributes percent-decoded as the HTTP binding says (the SDK leaves them raw);
        // undecodable ones are a 400.
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers))
          if (typeof value === 'string')
            headers[name] = name.startsWith('ce-') ? decodeHeaderValue(value, name) : value;
        const parsed = HTTP.toEvent({ headers, body });
        const ce = (Array.isArray(parsed) ? parsed[0] : parsed) as CloudEvent<unknown> | undefined;
        if (!ce) throw new ValidationError('no event in the request');
        // The SDK does not validate what it receives.
        ce.validate();
        event = toPlain(ce);
        if (event.specversion !== '1.0')
          throw new ProblemError(400, `unsupported specversion ${String(event.specversion)}`, [
            { pointer: 'header:ce-specversion', detail: 'must be "1.0"' },
          ]);
      } catch (err) {
        // 400 is not retried by Knative: the event goes to the dead-letter sink, where it is kept.
        outcome = '400';
        const detail = err instanceof Error ? err.message.slice(0, 300) : 'invalid';
        sendProblem(
          res,
          err instanceof ProblemError ? err : new ProblemError(400, `not a valid CloudEvent: ${detail}`),
        );
        return;
      }
      const db = await deps.db();
      if (fn.name === 'recorder' && req.path === '/dead-letter') {
        // Kept as it arrived: a dead letter is often one the contract refused.
        await recordDeadLetter(db, event, now());
        res.status(204).end();
        return;
      }
      let valid: VigilEvent;
      try {
        valid = validateContractEvent(event);
      } catch (err) {
        if (!(err instanceof ProblemError)) throw err;
        // 4xx: a retry cannot make it valid, so Knative dead-letters it at once.
        outcome = String(err.status);
        sendProblem(res, err);
        return;
      }
      const replies = await fn.handle(valid, { db, now });
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
      if (!res.headersSent) sendProblem(res, new ProblemError(500, 'delivery failed; it will be retried'));
    } finally {
      deps.metrics.observe(outcome, (performance.now() - started) / 1000);
    }
  };
}
