// Compact EEG: `application/octet-stream` body of float32 little-endian samples, channel-major (the
// byte form of eventing/eeg-codec.ts), with the chunk's other fields as CloudEvent extension attributes
// (binary mode). About 5x smaller than JSON and no number parsing on either side.
import { EVENT_TYPES } from '../../eventing/contract.ts';
import { bytesToSamples } from '../../eventing/eeg-codec.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { ProblemError } from '../../http/problem.ts';
import { parseDecimal } from './attributes.ts';

/** Extension attribute -> EEG chunk field. */
export const EEG_EXTENSIONS = {
  patientid: 'patientId',
  deviceid: 'deviceId',
  starttime: 'startTime',
  samplerate: 'sampleRateHz',
  channels: 'channels',
  unit: 'unit',
} as const;

export function isBinaryEeg(mediaType: string): boolean {
  return mediaType === 'application/octet-stream';
}

export function decodeBinaryEeg(ev: Record<string, unknown>, body: Uint8Array): VigilEvent {
  if (ev.type !== EVENT_TYPES.eegChunk)
    throw new ProblemError(415, `application/octet-stream is only accepted for ${EVENT_TYPES.eegChunk}`, [
      { pointer: 'header:content-type', detail: `binary data only for ${EVENT_TYPES.eegChunk}` },
    ]);
  const missing = Object.keys(EEG_EXTENSIONS).filter((k) => typeof ev[k] !== 'string' || ev[k] === '');
  if (missing.length)
    throw new ProblemError(
      422,
      `binary EEG needs extension attributes ${missing.map((k) => `ce-${k}`).join(', ')}`,
      missing.map((k) => ({
        pointer: `header:ce-${k}`,
        detail: 'required for application/octet-stream EEG',
      })),
    );
  const channels = String(ev.channels)
    .split(',')
    .map((c) => c.trim());
  // Strictly decimal: Number() would read "0x10" as 16 Hz and "" as 0.
  const rate = parseDecimal(ev.samplerate);
  if (!Number.isFinite(rate))
    throw new ProblemError(422, 'ce-samplerate must be a decimal number of Hz (e.g. 256 or 173.61)', [
      { pointer: 'header:ce-samplerate', detail: 'not a decimal number' },
    ]);
  if (body.byteLength % (4 * channels.length) !== 0)
    throw new ProblemError(
      422,
      `body is ${body.byteLength} bytes: not a whole number of float32 samples for ${channels.length} channels`,
      [{ pointer: '/data', detail: `length must be a multiple of ${4 * channels.length}` }],
    );
  // Finiteness is the contract's to check (eventing/contract.ts), once, with the JSON path's.
  const samples = bytesToSamples(body, channels.length);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ev)) if (!(k in EEG_EXTENSIONS) && k !== 'datacontenttype') out[k] = v;
  out.datacontenttype = 'application/json';
  out.data = {
    patientId: ev.patientid,
    deviceId: ev.deviceid,
    startTime: ev.starttime,
    sampleRateHz: rate,
    channels,
    unit: ev.unit,
    samples,
  };
  return out as VigilEvent;
}
