// Builds the HTTP requests devices send: EEG chunks (binary-mode CloudEvent with a JSON body, or
// float32 LE channel-major octet-stream with the chunk fields as extension attributes), heart-rate
// sample events, and Health Auto Export bodies. Sample payloads are serialised once per chunk and reused.
import { deviceSource, EVENT_TYPES } from '../eventing/contract.ts';
import { samplesToBytes } from '../eventing/eeg-codec.ts';
import type { EegRecording } from './recordings.ts';
import { RecordingError } from './recordings-error.ts';
import type { OutgoingRequest } from './sender.ts';

export type EegEncoding = 'json' | 'binary';

export const INGEST_PATH = '/';
export const HAE_PATH = '/v1/health-auto-export';

/** Cuts an EEG recording into fixed-size chunks and caches each chunk's encoded samples. */
export class EegChunker {
  readonly samplesPerChunk: number;
  readonly chunkCount: number;
  /** Exact duration of one chunk (samplesPerChunk / rate), so offsets never drift. */
  readonly chunkDurationS: number;
  private readonly json = new Map<number, string>();
  private readonly binary = new Map<number, Buffer>();

  constructor(
    readonly recording: EegRecording,
    chunkSeconds: number,
  ) {
    this.samplesPerChunk = Math.max(1, Math.round(recording.sampleRateHz * chunkSeconds));
    const length = recording.samples[0]!.length;
    this.chunkCount = Math.floor(length / this.samplesPerChunk);
    if (this.chunkCount === 0)
      throw new RecordingError(
        `${recording.file}: ${length} samples is shorter than one ${chunkSeconds} s chunk (${this.samplesPerChunk} samples)`,
      );
    this.chunkDurationS = this.samplesPerChunk / recording.sampleRateHz;
  }

  get loopDurationS(): number {
    return this.chunkCount * this.chunkDurationS;
  }

  samplesJson(k: number): string {
    let s = this.json.get(k);
    if (s === undefined) {
      const from = k * this.samplesPerChunk;
      const rows = this.recording.samples.map((ch) => {
        const out: number[] = new Array(this.samplesPerChunk);
        // Three decimals of a µV is below any EEG amplifier's resolution and keeps the body small.
        for (let i = 0; i < this.samplesPerChunk; i++) out[i] = Math.round(ch[from + i]! * 1000) / 1000;
        return out;
      });
      s = JSON.stringify(rows);
      this.json.set(k, s);
    }
    return s;
  }

  samplesBinary(k: number): Buffer {
    let b = this.binary.get(k);
    if (b === undefined) {
      const n = this.samplesPerChunk;
      const from = k * n;
      b = samplesToBytes(this.recording.samples.map((ch) => ch.subarray(from, from + n)));
      this.binary.set(k, b);
    }
    return b;
  }
}

export interface Device {
  patientId: string;
  deviceId: string;
}

function ceHeaders(type: string, id: string, dev: Device, timeIso: string): Record<string, string> {
  return {
    'ce-specversion': '1.0',
    'ce-id': id,
    'ce-source': deviceSource(dev.deviceId),
    'ce-type': type,
    'ce-subject': dev.patientId,
    'ce-time': timeIso,
  };
}

export function eegChunkRequest(
  chunker: EegChunker,
  k: number,
  dev: Device,
  id: string,
  startTimeMs: number,
  encoding: EegEncoding,
): OutgoingRequest {
  const startTime = new Date(startTimeMs).toISOString();
  const rec = chunker.recording;
  const headers = ceHeaders(EVENT_TYPES.eegChunk, id, dev, startTime);
  const samples = chunker.samplesPerChunk * rec.channels.length;
  if (encoding === 'binary') {
    return {
      path: INGEST_PATH,
      headers: {
        ...headers,
        'content-type': 'application/octet-stream',
        'ce-patientid': dev.patientId,
        'ce-deviceid': dev.deviceId,
        'ce-starttime': startTime,
        'ce-samplerate': String(rec.sampleRateHz),
        'ce-channels': rec.channels.join(','),
        'ce-unit': 'uV',
      },
      body: chunker.samplesBinary(k),
      samples,
    };
  }
  const body =
    `{"patientId":${JSON.stringify(dev.patientId)},"deviceId":${JSON.stringify(dev.deviceId)},` +
    `"startTime":"${startTime}","sampleRateHz":${rec.sampleRateHz},"channels":${JSON.stringify(rec.channels)},` +
    `"unit":"uV","samples":${chunker.samplesJson(k)}}`;
  return { path: INGEST_PATH, headers: { ...headers, 'content-type': 'application/json' }, body, samples };
}

/** Source name put in heart-rate events replayed from bedside-monitor numerics. */
export const BEDSIDE_SOURCE = 'bedside-monitor';

export function heartRateRequest(
  dev: Device,
  id: string,
  samples: Array<{ timeMs: number; bpm: number }>,
  source: string,
): OutgoingRequest {
  const data = {
    patientId: dev.patientId,
    deviceId: dev.deviceId,
    source,
    samples: samples.map((s) => ({ time: new Date(s.timeMs).toISOString(), bpm: s.bpm })),
  };
  const last = samples[samples.length - 1]!.timeMs;
  return {
    path: INGEST_PATH,
    headers: {
      ...ceHeaders(EVENT_TYPES.heartRateSample, id, dev, new Date(last).toISOString()),
      'content-type': 'application/json',
    },
    body: JSON.stringify(data),
    samples: samples.length,
  };
}

/** One Health Auto Export batch, with the headers the app sends alongside its JSON body. */
export function haeRequest(body: string, sessionId: string, entries: number): OutgoingRequest {
  return {
    path: HAE_PATH,
    headers: {
      'content-type': 'application/json',
      'automation-name': 'vigil-simulate',
      'automation-id': 'vigil-simulate',
      'session-id': sessionId,
    },
    body,
    samples: entries,
  };
}
