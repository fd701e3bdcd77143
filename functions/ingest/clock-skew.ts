// Time at the door: a sample or chunk stamped further in the future than the allowed clock skew is
// refused (422 naming the field). Rules order a device's stream by sample time, so one sample dated
// 2099 accepted here would make every real sample after it look old. Late data is fine: it is stored,
// and the rules keep it out of their live state themselves.
import { randomUUID } from 'node:crypto';
import { type ClockRejected, EVENT_TYPES } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { ProblemError } from '../../http/problem.ts';
import type { Device } from '../../storage/patients-store.ts';
import { haeDateToIso } from './health-auto-export.ts';

export const INGEST_SOURCE = '/functions/ingest';

/** A time too far ahead of the receive time: what the device's clock said, and where. */
export class FutureTimeError extends ProblemError {
  constructor(
    readonly field: string,
    readonly time: string,
    readonly aheadSeconds: number,
    pointerTo: string,
    maxSkewSeconds: number,
  ) {
    super(
      422,
      `${field} is ${time}, ${aheadSeconds.toFixed(0)} s ahead of the receive time (at most ${maxSkewSeconds} s allowed): is the device's clock wrong?`,
      [{ pointer: pointerTo, detail: `must not be more than ${maxSkewSeconds} s in the future` }],
      { extensions: { field } },
    );
  }
}

interface Stamp {
  time: string;
  /** `data.samples[3].time` */
  field: string;
  pointer: string;
}

function stampsOf(ev: VigilEvent, at: string, binaryEeg: boolean): Stamp[] {
  const data = ev.data as { samples?: unknown; startTime?: unknown };
  if (ev.type === EVENT_TYPES.eegChunk && typeof data.startTime === 'string')
    return [
      binaryEeg
        ? { time: data.startTime, field: 'ce-starttime', pointer: 'header:ce-starttime' }
        : { time: data.startTime, field: 'data.startTime', pointer: `${at}/data/startTime` },
    ];
  if (ev.type === EVENT_TYPES.heartRateSample && Array.isArray(data.samples))
    return (data.samples as Array<{ time: string }>).map((s, j) => ({
      time: s.time,
      field: `data.samples[${j}].time`,
      pointer: `${at}/data/samples/${j}/time`,
    }));
  return [];
}

function check(stamps: Iterable<Stamp>, receivedAt: number, maxSkewSeconds: number, prefix = ''): void {
  const limit = receivedAt + maxSkewSeconds * 1000;
  for (const s of stamps) {
    const t = Date.parse(s.time);
    if (t > limit)
      throw new FutureTimeError(
        `${prefix}${s.field}`,
        s.time,
        (t - receivedAt) / 1000,
        s.pointer,
        maxSkewSeconds,
      );
  }
}

/**
 * Validated device events (all or nothing): throws FutureTimeError for the first time too far ahead.
 * `binaryEeg`: the chunk came as compact binary EEG, whose start time is the ce-starttime header.
 */
export function assertNotInFuture(
  events: readonly VigilEvent[],
  receivedAt: number,
  maxSkewSeconds: number,
  batch: boolean,
  binaryEeg = false,
): void {
  events.forEach((ev, i) => {
    check(stampsOf(ev, batch ? `/${i}` : '', binaryEeg), receivedAt, maxSkewSeconds, batch ? `[${i}].` : '');
  });
}

/** A Health Auto Export body (already converted, so well-formed): names the entry's own `date`. */
export function assertHealthAutoExportNotInFuture(
  raw: unknown,
  receivedAt: number,
  maxSkewSeconds: number,
): void {
  const metrics =
    (raw as { data: { metrics?: Array<{ name: string; data: unknown[] }> } }).data.metrics ?? [];
  const stamps: Stamp[] = [];
  metrics.forEach((m, mi) => {
    if (m.name !== 'heart_rate') return;
    m.data.forEach((e, ei) => {
      const time = haeDateToIso((e as { date: string }).date);
      if (time)
        stamps.push({
          time,
          field: `data.metrics[${mi}].data[${ei}].date`,
          pointer: `/data/metrics/${mi}/data/${ei}/date`,
        });
    });
  });
  check(stamps, receivedAt, maxSkewSeconds);
}

/** What ingest publishes for each refusal, so technical-alarms can tell a device whose clock is wrong. */
export function clockRejectedEvent(device: Device, err: FutureTimeError, receivedAt: number): VigilEvent {
  const data: ClockRejected = {
    patientId: device.patientId,
    deviceId: device.id,
    field: err.field,
    time: err.time,
    receivedAt: new Date(receivedAt).toISOString(),
    aheadSeconds: err.aheadSeconds,
  };
  return {
    specversion: '1.0',
    id: `clock-${randomUUID()}`,
    source: INGEST_SOURCE,
    type: EVENT_TYPES.clockRejected,
    subject: device.patientId,
    time: data.receivedAt,
    datacontenttype: 'application/json',
    data,
  };
}
