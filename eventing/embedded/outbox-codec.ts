// Compact, lossless-enough serialisation of events for the outbox: JSON for the envelope, and EEG
// samples (the bulk of the bytes) as float32 — the precision storage keeps anyway.
import type { VigilEvent } from '../event.ts';

const MAGIC_EEG = 0x56474c31; // "VGL1"

function isMatrix(x: unknown): x is number[][] {
  return Array.isArray(x) && x.length > 0 && Array.isArray(x[0]) && typeof x[0][0] === 'number';
}

export function encodeEvent(ev: VigilEvent): Buffer {
  const data = ev.data as { samples?: unknown } | undefined;
  if (data && typeof data === 'object' && isMatrix(data.samples)) {
    const rows = data.samples;
    const cols = rows[0]!.length;
    const { samples: _omit, ...rest } = data as Record<string, unknown>;
    const header = Buffer.from(JSON.stringify({ ...ev, data: rest, __samples: [rows.length, cols] }));
    const f32 = new Float32Array(rows.length * cols);
    rows.forEach((row, r) => {
      f32.set(row, r * cols);
    });
    const out = Buffer.allocUnsafe(8 + header.length + f32.byteLength);
    out.writeUInt32LE(MAGIC_EEG, 0);
    out.writeUInt32LE(header.length, 4);
    header.copy(out, 8);
    Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).copy(out, 8 + header.length);
    return out;
  }
  return Buffer.from(JSON.stringify(ev));
}

export function decodeEvent(buf: Buffer): VigilEvent {
  if (buf.length >= 8 && buf.readUInt32LE(0) === MAGIC_EEG) {
    const len = buf.readUInt32LE(4);
    const head = JSON.parse(buf.toString('utf8', 8, 8 + len)) as VigilEvent & { __samples: [number, number] };
    const [rows, cols] = head.__samples;
    // Copy into an aligned buffer: the payload may start at any byte offset.
    const f32 = new Float32Array(rows * cols);
    new Uint8Array(f32.buffer).set(buf.subarray(8 + len, 8 + len + rows * cols * 4));
    const samples: number[][] = [];
    for (let r = 0; r < rows; r++) samples.push(Array.from(f32.subarray(r * cols, (r + 1) * cols)));
    const { __samples: _s, ...ev } = head;
    return { ...ev, data: { ...(ev.data as object), samples } };
  }
  return JSON.parse(buf.toString('utf8')) as VigilEvent;
}

// An EEG payload whose float32 block is kept elsewhere (eeg_chunks.samples holds the same bytes:
// channel-major float32). Its own magic, so that it is never decoded as if it were whole.
const MAGIC_ENVELOPE = 0x56474c32; // "VGL2"

/** The envelope and the float32 block of an EEG payload; undefined for any other payload. */
export function splitSamples(payload: Buffer): { envelope: Buffer; samples: Buffer } | undefined {
  if (payload.length < 8 || payload.readUInt32LE(0) !== MAGIC_EEG) return undefined;
  const end = 8 + payload.readUInt32LE(4);
  const envelope = Buffer.from(payload.subarray(0, end));
  envelope.writeUInt32LE(MAGIC_ENVELOPE, 0);
  return { envelope, samples: payload.subarray(end) };
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
