// Request bodies for the load benchmarks, cut from the real CHB-MIT demo excerpt (23 channels × 256 Hz):
// one 1-second EEG chunk (JSON or float32 binary) and heart-rate events of N samples.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { EVENT_TYPES } from '../eventing/contract.ts';
import { loadEegFile } from '../simulator/recordings.ts';
import { EegChunker, eegChunkRequest, heartRateRequest } from '../simulator/requests.ts';
import type { OutgoingRequest } from '../simulator/sender.ts';

export const DEMO_EDF = path.resolve(import.meta.dirname, '../data/demo/eeg/chb01_03_Seizure.edf');

export type PayloadKind = 'eeg-json' | 'eeg-binary' | 'heart-rate';

export interface Device {
  patientId: string;
  deviceId: string;
  token: string;
}

/** A request template; `ce-id` is replaced per request so no two are deduplicated. */
export async function buildPayload(
  kind: PayloadKind,
  dev: Device,
  samplesPerEvent = 100,
): Promise<OutgoingRequest> {
  if (kind === 'heart-rate') {
    const t0 = Date.now() - 3_600_000;
    const samples = Array.from({ length: samplesPerEvent }, (_, i) => ({
      timeMs: t0 + i * 1000,
      bpm: 70 + (i % 10),
    }));
    return heartRateRequest(dev, 'template', samples, 'bench');
  }
  const rec = await loadEegFile(DEMO_EDF);
  const chunker = new EegChunker(rec, 1);
  return eegChunkRequest(chunker, 5, dev, 'template', Date.now(), kind === 'eeg-binary' ? 'binary' : 'json');
}

// Each event moves 100 s on, far faster than real time; ingest refuses samples ahead of its clock, so
// the replay starts a year back (about 315,000 events of 100 samples before it reaches now).
const HR_BASE_MS = Date.now() - 365 * 86_400_000;

/** Body of the n-th heart-rate event: `samples` 1-Hz samples right after the previous event's. */
export function heartRateBody(dev: Device, n: number, samples: number): string {
  const t0 = HR_BASE_MS + n * samples * 1000;
  return JSON.stringify({
    patientId: dev.patientId,
    deviceId: dev.deviceId,
    source: 'bench',
    samples: Array.from({ length: samples }, (_, i) => ({
      time: new Date(t0 + i * 1000).toISOString(),
      bpm: 70 + (i % 10),
    })),
  });
}

/** Unique event ids for one benchmark run: `<prefix>-<n>`. */
export function idSequence(label: string): () => string {
  const prefix = `${label}-${randomBytes(3).toString('hex')}`;
  let n = 0;
  return () => `${prefix}-${n++}`;
}

export const TYPE_OF: Record<PayloadKind, string> = {
  'eeg-json': EVENT_TYPES.eegChunk,
  'eeg-binary': EVENT_TYPES.eegChunk,
  'heart-rate': EVENT_TYPES.heartRateSample,
};
