// The one EEG codec of Vigil: an eeg.chunk's samples are a Float32Array per channel from the door to the
// disk, and every byte form of them (octet-stream body, outbox payload, stored blob) is the channel-major
// float32 LE of storage/float32-samples.ts. This module adds what events need on top: the outbox framing
// and JSON that writes the rows as arrays of numbers.
import { bytesToSamples, type Float32Samples, samplesToBytes } from '../storage/float32-samples.ts';
import type { VigilEvent } from './event.ts';

export { bytesToSamples, type Float32Samples, samplesToBytes };

/** "VGL1": an outbox payload whose samples follow its JSON head as float32. */
const MAGIC_EEG = 0x56474c31;
/**
 * "VGL2": an EEG payload whose float32 block is kept elsewhere (eeg_chunks.samples holds the same bytes).
 * Its own magic, so that it is never decoded as if it were whole.
 */
const MAGIC_ENVELOPE = 0x56474c32;

function sampleRows(data: unknown): ArrayLike<number>[] | undefined {
  const samples = (data as { samples?: unknown } | null | undefined)?.samples;
  if (!Array.isArray(samples) || samples.length === 0) return undefined;
  const first: unknown = samples[0];
  if (first instanceof Float32Array) return samples as Float32Array[];
  return Array.isArray(first) && typeof first[0] === 'number' ? (samples as number[][]) : undefined;
}

/** The framed JSON head of an EEG event ("VGL1"/"VGL2", its length, the event without its samples). */
function eegHead(ev: VigilEvent, rows: readonly ArrayLike<number>[], magic: number, extra = 0): Buffer {
  const { samples: _omit, ...rest } = ev.data as Record<string, unknown>;
  const head = Buffer.from(JSON.stringify({ ...ev, data: rest, __samples: [rows.length, rows[0]!.length] }));
  const out = Buffer.allocUnsafe(8 + head.length + extra);
  out.writeUInt32LE(magic, 0);
  out.writeUInt32LE(head.length, 4);
  head.copy(out, 8);
  return out;
}

/** An event as bytes: JSON, or for an EEG chunk a JSON head followed by its samples as float32. */
export function encodeEventBytes(ev: VigilEvent): Buffer {
  const rows = sampleRows(ev.data);
  if (!rows) return Buffer.from(eventJson(ev));
  const body = samplesToBytes(rows);
  const out = eegHead(ev, rows, MAGIC_EEG, body.length);
  body.copy(out, out.length - body.length);
  return out;
}

/** The inverse of encodeEventBytes: an EEG chunk's samples come back as Float32Array rows. */
export function decodeEventBytes(buf: Buffer): VigilEvent {
  if (buf.length >= 8 && buf.readUInt32LE(0) === MAGIC_EEG) {
    const len = buf.readUInt32LE(4);
    const head = JSON.parse(buf.toString('utf8', 8, 8 + len)) as VigilEvent & { __samples: [number, number] };
    const [rows, cols] = head.__samples;
    const samples = bytesToSamples(buf.subarray(8 + len, 8 + len + rows * cols * 4), rows);
    const { __samples: _s, ...ev } = head;
    return { ...ev, data: { ...(ev.data as object), samples } };
  }
  return JSON.parse(buf.toString('utf8')) as VigilEvent;
}

/**
 * An EEG event's payload without its float32 block, for when the block is stored elsewhere, and the
 * size the whole payload would have; undefined for any other event. The samples are not encoded here.
 */
export function encodeEventEnvelope(ev: VigilEvent): { envelope: Buffer; bytes: number } | undefined {
  const rows = sampleRows(ev.data);
  if (!rows) return undefined;
  const envelope = eegHead(ev, rows, MAGIC_ENVELOPE);
  return { envelope, bytes: envelope.length + rows.length * rows[0]!.length * 4 };
}

export function samplesOmitted(payload: Buffer): boolean {
  return payload.length >= 8 && payload.readUInt32LE(0) === MAGIC_ENVELOPE;
}

/** The whole payload again, from an envelope and the float32 block kept elsewhere. */
export function joinSamples(envelope: Buffer, samples: Uint8Array): Buffer {
  if (!samplesOmitted(envelope)) throw new Error('not an EEG envelope');
  const out = Buffer.concat([envelope, samples]);
  out.writeUInt32LE(MAGIC_EEG, 0);
  return out;
}

/** Float32Array rows written as JSON arrays (JSON.stringify alone would write {"0":…,"1":…}). */
function typedArraysAsArrays(_key: string, value: unknown): unknown {
  return value instanceof Float32Array ? Array.from(value) : value;
}

/** An event (or events) as structured-mode JSON, EEG samples as arrays of numbers. */
export function eventJson(ev: VigilEvent | readonly VigilEvent[]): string {
  return JSON.stringify(ev, typedArraysAsArrays);
}
