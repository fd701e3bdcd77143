// Turns events into the rows the recorder writes: the event itself, plus typed rows for the
// data clinicians query (EEG as float32 blobs, heart-rate samples, predictions).
import type { EegChunk, EegPrediction, HeartRateSample } from '../../eventing/contract.ts';
import { EVENT_TYPES } from '../../eventing/contract.ts';
import { samplesToBytes } from '../../eventing/eeg-codec.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type { SqlValue } from '../../storage/db.ts';

export const EVENT_COLS = ['source', 'id', 'type', 'subject', 'time', 'received_at', 'data'] as const;
export const EEG_COLS = [
  'source',
  'event_id',
  'patient_id',
  'device_id',
  'start_time',
  'sample_rate_hz',
  'n_samples',
  'channels',
  'samples',
] as const;
export const HR_COLS = [
  'patient_id',
  'device_id',
  'time',
  'bpm',
  'min_bpm',
  'max_bpm',
  'source_name',
  'event_source',
  'event_id',
  'idx',
] as const;
export const PREDICTION_COLS = [
  'event_source',
  'event_id',
  'patient_id',
  'chunk_event_id',
  'window_start',
  'chunk_probability',
  'label',
  'window_probabilities',
  'model_version',
] as const;

export interface RecordRows {
  events: SqlValue[][];
  eeg: SqlValue[][];
  heartRate: SqlValue[][];
  predictions: SqlValue[][];
  /** deviceId -> newest event time, for the device-silent technical alarm. */
  lastSeen: Map<string, number>;
}

const ms = (iso: string | undefined): number | null => (iso ? Date.parse(iso) : null);

export function toRows(events: readonly VigilEvent[], receivedAt: number): RecordRows {
  const out: RecordRows = { events: [], eeg: [], heartRate: [], predictions: [], lastSeen: new Map() };
  for (const e of events) {
    let stored: unknown = e.data;
    if (e.type === EVENT_TYPES.eegChunk) {
      const d = e.data as EegChunk;
      const { samples, ...meta } = d;
      stored = { ...meta, nSamples: samples[0]?.length ?? 0 };
      out.eeg.push([
        e.source,
        e.id,
        d.patientId,
        d.deviceId,
        Date.parse(d.startTime),
        d.sampleRateHz,
        samples[0]?.length ?? 0,
        d.channels.join(','),
        samplesToBytes(samples),
      ]);
    } else if (e.type === EVENT_TYPES.heartRateSample) {
      const d = e.data as HeartRateSample;
      d.samples.forEach((s, i) => {
        out.heartRate.push([
          d.patientId,
          d.deviceId,
          Date.parse(s.time),
          s.bpm,
          s.min ?? null,
          s.max ?? null,
          d.source,
          e.source,
          e.id,
          i,
        ]);
      });
    } else if (e.type === EVENT_TYPES.eegPrediction) {
      const d = e.data as EegPrediction;
      out.predictions.push([
        e.source,
        e.id,
        d.patientId,
        d.chunkEventId,
        Date.parse(d.windowStart),
        d.chunkProbability,
        d.label,
        JSON.stringify(d.windowProbabilities),
        d.modelVersion,
      ]);
    }
    const time = ms(e.time) ?? receivedAt;
    out.events.push([
      e.source,
      e.id,
      e.type,
      e.subject ?? null,
      time,
      receivedAt,
      stored === undefined ? null : JSON.stringify(stored),
    ]);
    const device = /^\/devices\/(.+)$/.exec(e.source)?.[1];
    if (device) out.lastSeen.set(device, Math.max(out.lastSeen.get(device) ?? 0, receivedAt));
  }
  return out;
}
