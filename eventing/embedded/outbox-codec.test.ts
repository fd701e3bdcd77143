// The outbox keeps events as the one EEG codec writes them: an EEG chunk's samples come back as float32
// rows, other events as their JSON.
import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../event.ts';
import { decodeEvent, encodeEvent } from './outbox-codec.ts';

const ev = (id: string, type: string, data: unknown): VigilEvent => ({
  specversion: '1.0',
  id,
  source: '/test',
  type,
  data,
});

describe('outbox codec', () => {
  it('round-trips EEG samples as float32 rows and other events as JSON', () => {
    const samples = [Float32Array.of(1.5, -2), Float32Array.of(3, 4.25)];
    const eeg = ev('1', 'org.vigil.eeg.chunk', { patientId: 'p', samples });
    expect(decodeEvent(encodeEvent(eeg))).toEqual(eeg);
    const other = ev('2', 'x', { nested: { a: [1, 'b'] } });
    expect(decodeEvent(encodeEvent(other))).toEqual(other);
    const lossy = decodeEvent(encodeEvent(ev('3', 'y', { samples: [[0.1]] }))) as VigilEvent<{
      samples: Float32Array[];
    }>;
    expect(lossy.data!.samples[0]).toEqual(Float32Array.of(0.1));
  });
});
