// Reads the Knative Broker and Trigger YAML (eventing/*.yaml) into routes the embedded broker
// follows, so one machine and the cluster route and retry events the same way.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';

const refSchema = z
  .object({ kind: z.string(), name: z.string(), apiVersion: z.string().optional() })
  .passthrough();
const destination = z.object({ ref: refSchema.optional(), uri: z.string().optional() }).passthrough();
const delivery = z
  .object({
    retry: z.number().int().min(0).optional(),
    backoffPolicy: z.enum(['exponential', 'linear']).optional(),
    backoffDelay: z.string().optional(),
    deadLetterSink: destination.optional(),
  })
  .passthrough();

const triggerDoc = z.object({
  kind: z.literal('Trigger'),
  metadata: z.object({ name: z.string() }).passthrough(),
  spec: z
    .object({
      broker: z.string(),
      filter: z.object({ attributes: z.record(z.string(), z.string()).optional() }).optional(),
      subscriber: destination,
      delivery: delivery.optional(),
    })
    .passthrough(),
});
const brokerDoc = z.object({
  kind: z.literal('Broker'),
  metadata: z.object({ name: z.string() }).passthrough(),
  spec: z.object({ delivery: delivery.optional() }).passthrough().optional(),
});

export interface Delivery {
  retry: number;
  backoffPolicy: 'exponential' | 'linear';
  backoffDelayMs: number;
  /** Subscriber service (and path) that receives exhausted events; the embedded broker stores them itself. */
  deadLetter?: string | undefined;
}

export interface Route {
  trigger: string;
  subscriber: string;
  filter: Record<string, string>;
  delivery: Delivery;
}

/** ISO 8601 duration as Knative uses it (PT0.2S, PT1M, P0DT1S …) to milliseconds. */
export function isoDurationMs(s: string): number {
  const m =
    /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s);
  if (!m || s === 'P' || s.endsWith('T')) throw new Error(`invalid ISO 8601 duration: ${s}`);
  const [, d, h, min, sec] = m.map((x) => Number(x ?? 0));
  return Math.round(((d! * 24 + h!) * 60 + min!) * 60_000 + sec! * 1000);
}

/** Delay before attempt n+1 (n = failures so far, from 1), as Knative computes it. */
export function backoffMs(d: Delivery, failures: number): number {
  return d.backoffPolicy === 'exponential'
    ? d.backoffDelayMs * 2 ** (failures - 1)
    : d.backoffDelayMs * failures;
}

function resolveDelivery(spec: z.infer<typeof delivery> | undefined, fallback: Delivery): Delivery {
  const dl = spec?.deadLetterSink;
  return {
    retry: spec?.retry ?? fallback.retry,
    backoffPolicy: spec?.backoffPolicy ?? fallback.backoffPolicy,
    backoffDelayMs: spec?.backoffDelay ? isoDurationMs(spec.backoffDelay) : fallback.backoffDelayMs,
    deadLetter: dl ? `${dl.ref?.name ?? ''}${dl.uri ?? ''}` : fallback.deadLetter,
  };
}

export function parseRoutes(yamlTexts: string[], brokerName = 'default'): Route[] {
  const docs = yamlTexts.flatMap((t) =>
    parseAllDocuments(t).map((d) => {
      if (d.errors.length) throw new Error(`YAML error: ${d.errors[0]!.message}`);
      return d.toJS() as unknown;
    }),
  );
  const broker = docs
    .map((d) => brokerDoc.safeParse(d))
    .find((r) => r.success && r.data.metadata.name === brokerName);
  // Knative's default when neither the Trigger nor the Broker sets delivery: no retries.
  const brokerDelivery = resolveDelivery(broker?.data?.spec?.delivery, {
    retry: 0,
    backoffPolicy: 'exponential',
    backoffDelayMs: 0,
  });
  const routes: Route[] = [];
  for (const d of docs) {
    if ((d as { kind?: string } | null)?.kind !== 'Trigger') continue;
    const t = triggerDoc.parse(d);
    if (t.spec.broker !== brokerName) continue;
    const sub = t.spec.subscriber.ref?.name;
    if (!sub) throw new Error(`trigger ${t.metadata.name}: the embedded broker needs subscriber.ref.name`);
    routes.push({
      trigger: t.metadata.name,
      subscriber: `${sub}${t.spec.subscriber.uri ?? ''}`,
      filter: t.spec.filter?.attributes ?? {},
      delivery: resolveDelivery(t.spec.delivery, brokerDelivery),
    });
  }
  return routes;
}

export function loadRoutes(files: string[], brokerName = 'default'): Route[] {
  return parseRoutes(
    files.map((f) => readFileSync(f, 'utf8')),
    brokerName,
  );
}

/** Knative Trigger filter semantics: every listed attribute must equal the event's (empty filter = all). */
export function matches(route: Route, event: Record<string, unknown>): boolean {
  for (const [k, v] of Object.entries(route.filter)) if (event[k] !== v) return false;
  return true;
}
