// The iOS app Health Auto Export posts `{"data":{"metrics":[...]}}`. Its heart_rate metric becomes
// org.vigil.heartrate.sample events; every other metric or array is reported back as ignored.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EVENT_TYPES, LIMITS } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { ProblemError, pointer } from '../../http/problem.ts';

/** `yyyy-MM-dd HH:mm:ss Z` (e.g. `2024-02-06 14:30:00 -0800`) -> RFC 3339. */
const HAE_DATE = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-])(\d{2}):?(\d{2})$/;

export function haeDateToIso(s: string): string | undefined {
  const m = HAE_DATE.exec(s.trim());
  if (!m) return undefined;
  const iso = `${m[1]}T${m[2]}${m[3]}${m[4]}:${m[5]}`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

const num = z.number().finite();
const entry = z
  .object({
    date: z.string().refine((d) => haeDateToIso(d) !== undefined, 'expected "yyyy-MM-dd HH:mm:ss Z"'),
    Avg: num.optional(),
    Min: num.optional(),
    Max: num.optional(),
    qty: num.optional(),
    source: z.string().optional(),
  })
  .passthrough()
  .refine((e) => e.Avg !== undefined || e.qty !== undefined, {
    message: 'needs Avg (or qty)',
    path: ['Avg'],
  });

const metric = z
  .object({ name: z.string(), units: z.string().optional(), data: z.array(z.unknown()) })
  .passthrough();
const body = z
  .object({ data: z.object({ metrics: z.array(metric).optional() }).passthrough() })
  .passthrough();

export interface Ignored {
  name: string;
  entries: number;
  reason: string;
}

export interface Converted {
  events: VigilEvent[];
  samples: number;
  ignored: Ignored[];
}

const HR_UNITS = new Set(['count/min', 'bpm', 'beats/min']);

export function convertHealthAutoExport(
  raw: unknown,
  device: { deviceId: string; patientId: string },
): Converted {
  const parsed = body.safeParse(raw);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({ pointer: pointer('', i.path), detail: i.message }));
    throw new ProblemError(422, 'not a Health Auto Export body: expected {"data":{"metrics":[...]}}', errors);
  }
  const ignored: Ignored[] = [];
  for (const [key, value] of Object.entries(parsed.data.data))
    if (key !== 'metrics')
      ignored.push({
        name: key,
        entries: Array.isArray(value) ? value.length : 1,
        reason: 'not monitored by Vigil',
      });
  // Samples grouped by the app's source string ("Apple Watch", "Watch|iPhone" …).
  const bySource = new Map<string, { time: string; bpm: number; min?: number; max?: number }[]>();
  let samples = 0;
  (parsed.data.data.metrics ?? []).forEach((m, mi) => {
    if (m.name !== 'heart_rate') {
      ignored.push({ name: m.name, entries: m.data.length, reason: 'not monitored by Vigil' });
      return;
    }
    if (m.units !== undefined && !HR_UNITS.has(m.units))
      throw new ProblemError(422, `heart_rate units ${m.units} are not count/min`, [
        { pointer: `/data/metrics/${mi}/units`, detail: 'expected count/min' },
      ]);
    m.data.forEach((rawEntry, ei) => {
      const e = entry.safeParse(rawEntry);
      if (!e.success) {
        const errors = e.error.issues.map((i) => ({
          pointer: pointer(`/data/metrics/${mi}/data/${ei}`, i.path),
          detail: i.message,
        }));
        throw new ProblemError(422, `heart_rate entry ${ei}: ${errors[0]?.detail}`, errors);
      }
      const d = e.data;
      const src = (d.source ?? 'health-auto-export').trim().slice(0, 200) || 'health-auto-export';
      const list = bySource.get(src) ?? [];
      const s: { time: string; bpm: number; min?: number; max?: number } = {
        time: haeDateToIso(d.date)!,
        bpm: (d.Avg ?? d.qty)!,
      };
      if (d.Min !== undefined) s.min = d.Min;
      if (d.Max !== undefined) s.max = d.Max;
      list.push(s);
      bySource.set(src, list);
      samples++;
    });
  });
  const events: VigilEvent[] = [];
  for (const [source, list] of bySource) {
    for (let i = 0; i < list.length; i += LIMITS.maxHeartRateSamples) {
      const part = list.slice(i, i + LIMITS.maxHeartRateSamples);
      const data = { patientId: device.patientId, deviceId: device.deviceId, source, samples: part };
      // Content-derived id: the app re-sends on retry, and a re-sent body must dedup.
      const id = `hae-${createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 40)}`;
      events.push({
        specversion: '1.0',
        id,
        source: `/devices/${device.deviceId}`,
        type: EVENT_TYPES.heartRateSample,
        subject: device.patientId,
        time: part[part.length - 1]!.time,
        datacontenttype: 'application/json',
        data,
      });
    }
  }
  return { events, samples, ignored };
}
