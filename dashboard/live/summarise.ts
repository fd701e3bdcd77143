// Turns stored events into the small messages the browser needs. EEG chunks are summarised for
// the ward (no samples) and sent at their recorded rate (up to TRACE_HZ) to the patient view.
import { EVENT_TYPES } from '../../eventing/contract.ts';
import { kindPriority } from '../../functions/alarm-priority.ts';
import { ALERT_KINDS, type AlertKind, TECHNICAL_KINDS } from '../../storage/alert-vocabulary.ts';
import type { StoredEvent } from '../../storage/telemetry-store.ts';
import { seizureThreshold } from '../data/model-threshold.ts';
import { seizureWindows } from '../data/seizure-windows.ts';

/** One SSE message, serialised once and shared by every client that should get it. */
export interface LiveMessage {
  seq: number;
  /** SSE `event:` name: heart-rate, eeg, prediction, alert, technical, event. */
  event: string;
  patientId: string | undefined;
  /** JSON for every subscriber. */
  json: string;
  /** Source + id of an EEG chunk, so patient-view streams can attach a downsampled trace. */
  eegChunk?: { source: string; eventId: string };
}

/**
 * Highest trace rate sent to browsers. Clinical EEG is recorded at 200-512 Hz and review screens show
 * every sample (a 10-s page on a 1,400-px canvas at 2× pixel density has 280 px per second, and the
 * browser draws the min-max envelope per pixel), so traces go out at their recorded rate up to here.
 */
export const TRACE_HZ = 512;
/** A Health Auto Export upload can carry an hour of samples; the live chart needs the recent ones. */
const MAX_LIVE_HR_SAMPLES = 600;

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function deviceIdOf(source: string): string | undefined {
  return source.startsWith('/devices/') ? source.slice('/devices/'.length) : undefined;
}

const isKind = (k: unknown): k is AlertKind => (ALERT_KINDS as readonly unknown[]).includes(k);

export function summarise(row: StoredEvent): LiveMessage {
  let data: Record<string, unknown> = {};
  if (row.data) {
    try {
      data = obj(JSON.parse(row.data));
    } catch {
      data = {};
    }
  }
  const seq = Number(row.seq);
  const patientId = row.subject ?? (typeof data.patientId === 'string' ? data.patientId : undefined);
  const base = {
    seq,
    type: row.type,
    patientId,
    deviceId: deviceIdOf(row.source) ?? (typeof data.deviceId === 'string' ? data.deviceId : undefined),
    time: row.time === null ? undefined : new Date(Number(row.time)).toISOString(),
  };
  const msg = (
    event: string,
    body: Record<string, unknown>,
    extra: Partial<LiveMessage> = {},
  ): LiveMessage => ({
    seq,
    event,
    patientId,
    json: JSON.stringify({ ...base, ...body }),
    ...extra,
  });
  switch (row.type) {
    case EVENT_TYPES.heartRateSample: {
      const samples = Array.isArray(data.samples) ? data.samples.map(obj) : [];
      return msg('heart-rate', {
        samples: samples.slice(-MAX_LIVE_HR_SAMPLES).map((s) => ({ time: s.time, bpm: s.bpm })),
      });
    }
    case EVENT_TYPES.eegChunk:
      return msg(
        'eeg',
        {
          startTime: data.startTime,
          sampleRateHz: data.sampleRateHz,
          channels: Array.isArray(data.channels) ? data.channels : [],
        },
        { eegChunk: { source: row.source, eventId: row.id } },
      );
    case EVENT_TYPES.eegPrediction: {
      const start = typeof data.windowStart === 'string' ? Date.parse(data.windowStart) : Number.NaN;
      const seconds = typeof data.windowSeconds === 'number' ? data.windowSeconds : 1;
      return msg('prediction', {
        windowStart: data.windowStart,
        windowSeconds: data.windowSeconds,
        chunkProbability: data.chunkProbability,
        label: data.label,
        modelVersion: data.modelVersion,
        windows: Number.isNaN(start)
          ? []
          : seizureWindows(
              start,
              seconds,
              data.windowProbabilities,
              seizureThreshold(),
              String(data.label),
            ).map((w) => ({ start: new Date(w.start).toISOString(), seizureLike: w.seizureLike })),
      });
    }
    case EVENT_TYPES.alertRaised:
      return msg('alert', {
        action: 'raised',
        alertId: data.alertId,
        kind: data.kind,
        category: data.category,
        severity: data.severity,
        priority: data.priority ?? (isKind(data.kind) ? kindPriority(data.kind) : 'medium'),
        raisedAt: data.raisedAt,
      });
    case EVENT_TYPES.alertEscalated:
      return msg('alert', {
        action: 'escalated',
        alertId: data.alertId,
        kind: data.kind,
        priority: data.priority,
        at: data.escalatedAt,
      });
    case EVENT_TYPES.alertAcknowledged:
      return msg('alert', {
        action: 'acknowledged',
        alertId: data.alertId,
        by: data.by,
        at: data.at,
        note: data.note,
      });
    case EVENT_TYPES.alertCleared:
      return msg('alert', {
        // A rule ending a physiological alarm's condition does not take it off the open list (latching):
        // the browser keeps it until it is acknowledged. Technical alarms and clears by hand do.
        action:
          row.source.startsWith('/functions/') && isKind(data.kind) && !TECHNICAL_KINDS.has(data.kind)
            ? 'condition-ended'
            : 'cleared',
        alertId: data.alertId,
        kind: data.kind,
        by: data.by,
        at: data.at,
        reason: data.reason,
      });
    case EVENT_TYPES.technicalCheck:
      return msg('technical', { data });
    default:
      return msg('event', {});
  }
}

/**
 * One chunk's samples as the trace the browser draws: averaged down to at most `targetHz` (box-car: a
 * cheap low-pass so decimation does not alias), rounded to 0.1 µV.
 */
export function traceOf(
  samples: readonly ArrayLike<number>[],
  sampleRateHz: number,
  targetHz = Number.POSITIVE_INFINITY,
): { hz: number; samples: number[][] } {
  const factor = Math.max(1, Math.floor(sampleRateHz / targetHz));
  const out = samples.map((x) => {
    const row = new Array<number>(Math.floor(x.length / factor));
    for (let i = 0; i < row.length; i++) {
      let sum = 0;
      for (let k = 0; k < factor; k++) sum += x[i * factor + k]!;
      row[i] = Math.round((sum / factor) * 10) / 10;
    }
    return row;
  });
  return { hz: sampleRateHz / factor, samples: out };
}
