// GET /api/stream: Server-Sent Events of every newly stored event (optionally one patient's), each
// with `id: <events.seq>`; a reconnecting browser sends Last-Event-ID and resumes from storage.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { patientIdSchema } from '../../eventing/contract.ts';
import type { AppEnv, DashboardDeps } from '../context.ts';
import { badParam, parseIntParam } from '../http/params.ts';
import type { LiveMessage } from './summarise.ts';
import { summarise } from './summarise.ts';

/** A client further behind than this is told to reload instead of being replayed event by event. */
const MAX_RESUME = 5000;
/** Messages queued for one slow client before it is disconnected (it resumes via Last-Event-ID). */
const MAX_QUEUE = 20_000;
const KEEPALIVE_MS = 15_000;

function withTrace(m: LiveMessage, traces: ReadonlyMap<number, string>): string {
  const t = traces.get(m.seq);
  return t === undefined ? m.json : `${m.json.slice(0, -1)},"trace":${t}}`;
}

export function streamRoutes(deps: DashboardDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/api/stream', async (c) => {
    const rawPatient = c.req.query('patient');
    let patientId: string | undefined;
    if (rawPatient !== undefined && rawPatient !== '') {
      const p = patientIdSchema.safeParse(rawPatient);
      if (!p.success)
        throw badParam('patient', 'patient must be a patient id (letters, digits, ".", "_", "-")');
      patientId = p.data;
    }
    const resumeRaw = c.req.header('last-event-id') ?? c.req.query('after');
    const field = c.req.header('last-event-id') !== undefined ? 'Last-Event-ID' : 'after';
    const after =
      resumeRaw === undefined || resumeRaw === ''
        ? undefined
        : parseIntParam(field, resumeRaw, 0, 0, Number.MAX_SAFE_INTEGER);
    const poller = deps.poller;
    const head = await poller.head();

    c.header('X-Accel-Buffering', 'no'); // let reverse proxies pass events through immediately
    return streamSSE(c, async (stream) => {
      const queue: Array<{ id: string; event: string; data: string }> = [];
      let wake: (() => void) | undefined;
      let closed = false;
      let replaying = after !== undefined;
      const replayed = new Set<number>();
      const held: Array<{ messages: readonly LiveMessage[]; traces: ReadonlyMap<number, string> }> = [];

      const push = (messages: readonly LiveMessage[], traces: ReadonlyMap<number, string>) => {
        for (const m of messages) {
          if (replayed.has(m.seq)) continue;
          queue.push({ id: String(m.seq), event: m.event, data: withTrace(m, traces) });
        }
        if (queue.length > MAX_QUEUE) closed = true;
        wake?.();
      };
      const unsubscribe = poller.subscribe({
        patientId,
        deliver: (messages, traces) => {
          if (replaying) held.push({ messages, traces });
          else push(messages, traces);
        },
      });
      stream.onAbort(() => {
        closed = true;
        wake?.();
      });
      const keepalive = setInterval(() => {
        wake?.();
      }, KEEPALIVE_MS);
      try {
        await stream.writeSSE({
          event: 'hello',
          data: JSON.stringify({ head, patientId: patientId ?? null }),
          retry: 2000,
        });
        if (after !== undefined) {
          const rows = await poller.since(after, patientId, MAX_RESUME);
          if (rows.length === MAX_RESUME) {
            await stream.writeSSE({
              event: 'reset',
              data: JSON.stringify({ reason: 'too far behind; reload' }),
            });
          } else {
            const messages = rows.map(summarise);
            const traces =
              patientId !== undefined ? await poller.traces(messages) : new Map<number, string>();
            push(messages, traces);
            // Live messages held during the replay may repeat what storage just returned.
            for (const m of messages) replayed.add(m.seq);
          }
          replaying = false;
          for (const h of held.splice(0)) push(h.messages, h.traces);
        }
        while (!closed) {
          if (queue.length === 0) {
            await new Promise<void>((r) => {
              wake = r;
            });
            wake = undefined;
            if (queue.length === 0 && !closed) await stream.write(': keepalive\n\n');
            continue;
          }
          for (const m of queue.splice(0)) {
            if (closed) break;
            await stream.writeSSE(m);
          }
        }
      } finally {
        clearInterval(keepalive);
        unsubscribe();
      }
    });
  });
  return app;
}
