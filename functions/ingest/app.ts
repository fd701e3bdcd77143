// The ingest gateway: the only door for devices. Authenticate, parse, validate against the
// contract, hand to the broker, and answer 202 only once the broker durably accepted everything.
import { Hono } from 'hono';
import { z } from 'zod';
import { getConfig } from '../../config/env.ts';
import { DATA_SCHEMAS, isContractType, LIMITS } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { type EventSink, SinkUnavailableError } from '../../eventing/sink.ts';
import { limitBody } from '../../http/body-limit.ts';
import { requireDecodableUrl } from '../../http/decodable.ts';
import { ProblemError, problemResponse } from '../../http/problem.ts';
import type { FunctionMetrics } from '../../observability/metrics.ts';
import type { Db } from '../../storage/db.ts';
import type { Device } from '../../storage/patients-store.ts';
import { isBinaryEeg } from './binary-eeg.ts';
import {
  assertHealthAutoExportNotInFuture,
  assertNotInFuture,
  clockRejectedEvent,
  FutureTimeError,
} from './clock-skew.ts';
import { modeOf, parseCloudEvents } from './cloudevents-http.ts';
import { DeviceAuthenticator } from './device-auth.ts';
import { convertHealthAutoExport } from './health-auto-export.ts';
import { validateDeviceEvents } from './validate.ts';

export interface IngestOptions {
  db: Db;
  sink: EventSink;
  metrics: FunctionMetrics;
  now?: () => number;
  /** How long a request may wait for room in the sink before 503 (default 1000 ms). */
  admitWaitMs?: number;
  /** Reports whether the process is ready (storage reachable, broker started). */
  ready?: () => boolean;
  /** How far (s) a sample or chunk time may be ahead of the receive time (default VIGIL_MAX_CLOCK_SKEW_S). */
  maxClockSkewSeconds?: number;
}

export function createIngestApp(opts: IngestOptions): Hono {
  const app = new Hono();
  const auth = new DeviceAuthenticator(opts.db, opts.now);
  // The declared length is checked from the header alone, never touching `req.body` (perf: see
  // http/body-limit.ts); only chunked bodies are counted while streaming.
  const limit = limitBody(LIMITS.maxBodyBytes);
  const now = opts.now ?? Date.now;
  const maxSkew = opts.maxClockSkewSeconds ?? getConfig().VIGIL_MAX_CLOCK_SKEW_S;
  app.use('*', requireDecodableUrl());

  /** Best effort: the device gets its 422 whether or not the broker took the report. */
  async function reportClockRejection(device: Device, err: FutureTimeError, receivedAt: number) {
    try {
      await opts.sink.accept([clockRejectedEvent(device, err, receivedAt)]);
    } catch {
      // The broker is full or down; the next refusal reports again.
    }
  }

  async function handle(
    req: Request,
    toEvents: (
      body: Uint8Array,
      device: Device,
      receivedAt: number,
    ) => { events: VigilEvent[]; extra?: object },
  ): Promise<Response> {
    const started = performance.now();
    const receivedAt = now();
    let outcome = 'accepted';
    let device: Device | undefined;
    try {
      device = await auth.authenticate(req.headers.get('authorization') ?? undefined);
      // Wait for room before reading and parsing the body; refuse without parsing if none comes:
      // under overload, parsing what will be refused would only take CPU from accepted events.
      const wait = await opts.sink.admit?.(opts.admitWaitMs ?? 1000);
      if (wait !== undefined)
        throw new ProblemError(503, 'the broker is at capacity: retry later', [], {
          headers: { 'retry-after': String(wait) },
        });
      const body = new Uint8Array(await req.arrayBuffer());
      const { events, extra } = toEvents(body, device, receivedAt);
      let result = { accepted: 0, duplicates: 0 };
      if (events.length) {
        try {
          result = await opts.sink.accept(events);
        } catch (err) {
          const retry = err instanceof SinkUnavailableError ? err.retryAfterSeconds : 2;
          throw new ProblemError(503, 'events were not accepted: retry later', [], {
            headers: { 'retry-after': String(retry) },
          });
        }
        for (const e of events) opts.metrics.countEvents(e.type, 1);
      }
      if (result.accepted === 0 && result.duplicates > 0) outcome = 'duplicate';
      return Response.json(
        { accepted: result.accepted, duplicates: result.duplicates, ids: events.map((e) => e.id), ...extra },
        { status: 202 },
      );
    } catch (err) {
      if (!(err instanceof ProblemError)) throw err;
      outcome = String(err.status);
      if (err instanceof FutureTimeError && device) await reportClockRejection(device, err, receivedAt);
      return problemResponse(err);
    } finally {
      opts.metrics.observe(outcome, (performance.now() - started) / 1000);
    }
  }

  app.post('/', limit, (c) =>
    handle(c.req.raw, (body, device, receivedAt) => {
      const batch = modeOf(c.req.raw.headers) === 'batch';
      const events = validateDeviceEvents(parseCloudEvents(c.req.raw.headers, body), device, batch);
      const binaryEeg = isBinaryEeg((c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase());
      assertNotInFuture(events, receivedAt, maxSkew, batch, binaryEeg);
      return { events };
    }),
  );

  app.post('/v1/health-auto-export', limit, (c) =>
    handle(c.req.raw, (body, device, receivedAt) => {
      const ct = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (ct !== 'application/json')
        throw new ProblemError(415, 'Health Auto Export must POST JSON (set the automation format to JSON)', [
          { pointer: 'header:content-type', detail: 'expected application/json' },
        ]);
      let raw: unknown;
      try {
        raw = JSON.parse(Buffer.from(body).toString('utf8'));
      } catch (err) {
        throw new ProblemError(400, `body is not valid JSON: ${(err as Error).message}`, [
          { pointer: '', detail: 'malformed JSON' },
        ]);
      }
      const converted = convertHealthAutoExport(raw, { deviceId: device.id, patientId: device.patientId });
      const events = validateDeviceEvents(converted.events, device, true);
      assertHealthAutoExportNotInFuture(raw, receivedAt, maxSkew);
      return { events, extra: { samples: converted.samples, ignored: converted.ignored } };
    }),
  );

  app.get('/healthz', (c) =>
    opts.ready && !opts.ready() ? c.json({ status: 'starting' }, 503) : c.json({ status: 'ok' }),
  );
  app.get('/schemas', (c) =>
    c.json({ types: Object.keys(DATA_SCHEMAS).map((t) => ({ type: t, schema: `/schemas/${t}` })) }),
  );
  app.get('/schemas/:type', (c) => {
    const type = c.req.param('type');
    if (!isContractType(type))
      return problemResponse(
        new ProblemError(404, `no event type ${type}`, [{ pointer: '/type', detail: 'unknown type' }]),
      );
    const schema = z.toJSONSchema(DATA_SCHEMAS[type], { unrepresentable: 'any', io: 'input' });
    return c.json({ $id: `/schemas/${type}`, title: `data of ${type}`, ...schema }, 200, {
      'content-type': 'application/schema+json',
    });
  });
  app.notFound(() =>
    problemResponse(new ProblemError(404, 'no such endpoint: POST / or /v1/health-auto-export')),
  );
  app.onError((err) => {
    if (err instanceof ProblemError) return err.getResponse();
    // Never a stack trace or payload in the response or the log: it may carry patient data.
    console.error(`[ingest] internal error: ${err.name}: ${err.message.slice(0, 200)}`);
    return problemResponse(
      new ProblemError(503, 'internal error; the request was not accepted, retry', [], {
        headers: { 'retry-after': '1' },
      }),
    );
  });
  return app;
}
