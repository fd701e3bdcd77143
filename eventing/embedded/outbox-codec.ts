// Compact, lossless-enough serialisation of events for the outbox: JSON for the envelope, and EEG
// samples (the bulk of the bytes) as float32 — the precision storage keeps anyway.
import type { VigilEvent } from '../../functions/types.ts';

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
    const out = Buffer.allocUnsafe(8 + header.length + rows.length * cols * 4);
    out.writeUInt32LE(MAGIC_EEG, 0);
    out.writeUInt32LE(header.length, 4);
    header.copy(out, 8);
    let off = 8 + header.length;
    for (const row of rows) {
      for (let i = 0; i < cols; i++, off += 4) out.writeFloatLE(row[i]!, off);
    }
    return out;
  }
  return Buffer.from(JSON.stringify(ev));
}

export function decodeEvent(buf: Buffer): VigilEvent {
  if (buf.length >= 8 && buf.readUInt32LE(0) === MAGIC_EEG) {
    const len = buf.readUInt32LE(4);
    const head = JSON.parse(buf.toString('utf8', 8, 8 + len)) as VigilEvent & { __samples: [number, number] };
    const [rows, cols] = head.__samples;
    let off = 8 + len;
    const samples: number[][] = [];
    for (let r = 0; r < rows; r++) {
      const row = new Array<number>(cols);
      for (let i = 0; i < cols; i++, off += 4) row[i] = buf.readFloatLE(off);
      samples.push(row);
    }
    const { __samples: _s, ...ev } = head;
    return { ...ev, data: { ...(ev.data as object), samples } };
  }
  return JSON.parse(buf.toString('utf8')) as VigilEvent;
}
