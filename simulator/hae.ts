// Health Auto Export (iOS) REST body: `{"data":{"metrics":[{name, units, data:[…]}], …}}`. The simulator
// checks the envelope, then re-sends the metrics in batches the way the app does when batching is on
// (several requests sharing one session-id), each batch a complete envelope.
import { z } from 'zod';
import { jsonErrorOffset, lineOfOffset } from './json-error-line.ts';
import { RecordingError } from './recordings-error.ts';

const metricSchema = z
  .object({
    name: z.string().min(1),
    units: z.string(),
    data: z.array(z.record(z.string(), z.unknown())),
  })
  .passthrough();
const bodySchema = z
  .object({ data: z.object({ metrics: z.array(metricSchema) }).passthrough() })
  .passthrough();
export type HaeBody = z.infer<typeof bodySchema>;
export type HaeMetric = z.infer<typeof metricSchema>;

export function parseHaeBody(text: string, file: string): HaeBody {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const at = jsonErrorOffset(text);
    const where = at === undefined ? '' : `:${lineOfOffset(text, at)}`;
    throw new RecordingError(
      `${file}${where}: not valid JSON (${(err as Error).message.split('\n')[0]!.slice(0, 120)})`,
    );
  }
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RecordingError(
      `${file}: not a Health Auto Export body: field ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  if (!parsed.data.data.metrics.some((m) => m.name === 'heart_rate' && m.data.length > 0))
    throw new RecordingError(`${file}: field data.metrics has no non-empty "heart_rate" metric`);
  return parsed.data;
}

/** Splits every metric's entries into envelopes of at most `batchSize` entries in total. */
export function haeBatches(body: HaeBody, batchSize: number): Array<{ body: string; entries: number }> {
  if (!(batchSize >= 1)) throw new RangeError(`batch size must be >= 1, got ${batchSize}`);
  const batches: Array<{ body: string; entries: number }> = [];
  let current: HaeMetric[] = [];
  let count = 0;
  const flush = (): void => {
    if (count === 0) return;
    batches.push({ body: JSON.stringify({ data: { metrics: current } }), entries: count });
    current = [];
    count = 0;
  };
  for (const metric of body.data.metrics) {
    for (let i = 0; i < metric.data.length; ) {
      const take = Math.min(batchSize - count, metric.data.length - i);
      current.push({ ...metric, data: metric.data.slice(i, i + take) });
      count += take;
      i += take;
      if (count >= batchSize) flush();
    }
  }
  flush();
  return batches;
}
