// Turns events into what the recorder stores (storage/telemetry-store.ts): the event itself, plus typed
// rows for the data clinicians query (EEG chunks, heart-rate samples, predictions).
import type { EegChunk, EegPrediction, HeartRateSample } from '../../eventing/contract.ts';
import { EVENT_TYPES } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type {
  EegChunkRecord,
  EventRecord,
  HeartRateRecord,
  PredictionRecord,
} from '../../storage/telemetry-store.ts';

/** A TelemetryBatch for the store, plus what the recorder updates beside it. */
export interface RecordRows {
  events: EventRecord[];
  eegChunks: EegChunkRecord[];
  heartRate: HeartRateRecord[];
  predictions: PredictionRecord[];
  /** deviceId -> newest event time, for the device-silent technical alarm. */
  lastSeen: Map<string, number>;
}

const ms = (iso: string | undefined): number | null => (iso ? Date.parse(iso) : null);

export function toRows(events: readonly VigilEvent[], receivedAt: number): RecordRows {
  const out: RecordRows = { events: [], eegChunks: [], heartRate: [], predictions: [], lastSeen: new Map() };
  for (const e of events) {
    let stored: unknown = e.data;
    if (e.type === EVENT_TYPES.eegChunk) {
      const d = e.data as EegChunk;
      const { samples, ...meta } = d;
      stored = { ...meta, nSamples: samples[0]?.length ?? 0 };
      out.eegChunks.push({
        source: e.source,
        eventId: e.id,
        patientId: d.patientId,
        deviceId: d.deviceId,
        startTime: Date.parse(d.startTime),
        sampleRateHz: d.sampleRateHz,
        channels: d.channels,
        samples,
      });
    } else if (e.type === EVENT_TYPES.heartRateSample) {
      const d = e.data as HeartRateSample;
      d.samples.forEach((s, i) => {
        out.heartRate.push({
          patientId: d.patientId,
          deviceId: d.deviceId,
          time: Date.parse(s.time),
          bpm: s.bpm,
          min: s.min ?? null,
          max: s.max ?? null,
          sourceName: d.source,
          eventSource: e.source,
          eventId: e.id,
          index: i,
        });
      });
    } else if (e.type === EVENT_TYPES.eegPrediction) {
      const d = e.data as EegPrediction;
      out.predictions.push({
        eventSource: e.source,
        eventId: e.id,
        patientId: d.patientId,
        chunkEventId: d.chunkEventId,
        windowStart: Date.parse(d.windowStart),
        chunkProbability: d.chunkProbability,
        label: d.label,
        windowProbabilities: d.windowProbabilities,
        modelVersion: d.modelVersion,
      });
    }
    out.events.push({
      source: e.source,
      id: e.id,
      type: e.type,
      subject: e.subject ?? null,
      time: ms(e.time) ?? receivedAt,
      receivedAt,
      data: stored === undefined ? null : JSON.stringify(stored),
    });
    const device = /^\/devices\/(.+)$/.exec(e.source)?.[1];
    if (device) out.lastSeen.set(device, Math.max(out.lastSeen.get(device) ?? 0, receivedAt));
  }
  return out;
}
