// The one EEG codec: a chunk's samples are float32 rows from the door on, and every byte form of them
// is channel-major little-endian float32, bit-exact both ways.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EVENT_TYPES, eegChunkData } from './contract.ts';
import {
  bytesToSamples,
  decodeEventBytes,
  encodeEventBytes,
  encodeEventEnvelope,
  eventJson,
  joinSamples,
  samplesOmitted,
  samplesToBytes,
} from './eeg-codec.ts';
import type { VigilEvent } from './event.ts';

const bits = (rows: readonly Float32Array[]) =>
  rows.map((r) => Array.from(new Uint32Array(r.slice().buffer)));

/** Awkward float32 values: subnormal, negative zero, the largest, a NaN-free mix of signs. */
const awkward = () => [
  Float32Array.of(1.401298464324817e-45, -0, 3.4028234663852886e38, -123.456),
  Float32Array.of(0.1, -1e-38, 65504, 7),
];

const chunk = (samples: unknown) => ({
  patientId: 'p1',
  deviceId: 'd1',
  startTime: '2026-12-03T10:00:00Z',
  sampleRateHz: 256,
  channels: ['C3', 'C4'],
  unit: 'uV',
  samples,
});

describe('float32 samples as bytes', () => {
  it('are channel-major little-endian float32', () => {
    const bytes = samplesToBytes([Float32Array.of(1.5), Float32Array.of(-2)]);
    expect([...bytes]).toEqual([0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
  });

  it('round-trip bit-exactly, also from a slice at an odd offset', () => {
    const bytes = samplesToBytes(awkward());
    expect(bits(bytesToSamples(bytes, 2))).toEqual(bits(awkward()));
    const shifted = Buffer.concat([Buffer.from([9]), bytes]).subarray(1);
    expect(bits(bytesToSamples(shifted, 2))).toEqual(bits(awkward()));
  });

  it('refuse a length that is not whole samples for every channel, and rows of unequal length', () => {
    expect(() => bytesToSamples(new Uint8Array(12), 2)).toThrow(RangeError);
    expect(() => samplesToBytes([Float32Array.of(1, 2), Float32Array.of(1)])).toThrow(RangeError);
  });
});

describe('an EEG chunk at the door', () => {
  it('decodes JSON rows of numbers into one Float32Array per channel', () => {
    const d = eegChunkData.parse(
      chunk([
        [1.5, 2],
        [3, 0.1],
      ]),
    );
    expect(d.samples.every((r) => r instanceof Float32Array)).toBe(true);
    expect(bits(d.samples)).toEqual(bits([Float32Array.of(1.5, 2), Float32Array.of(3, 0.1)]));
  });

  it('still publishes the samples a device sends: rows of numbers (the decoding is not the schema)', () => {
    const schema = z.toJSONSchema(eegChunkData, { unrepresentable: 'any', io: 'input' });
    expect(schema.properties?.samples).toMatchObject({
      type: 'array',
      items: { type: 'array', items: { type: 'number' } },
    });
  });

  it('keeps float32 rows (an octet-stream body) as they are', () => {
    const rows = awkward();
    expect(eegChunkData.parse(chunk(rows)).samples[1]).toBe(rows[1]);
  });

  it('rejects NaN, infinities and numbers beyond float32, naming the sample', () => {
    for (const samples of [
      [Float32Array.of(1, 2), Float32Array.of(3, Number.NaN)],
      [Float32Array.of(1, Number.POSITIVE_INFINITY), Float32Array.of(3, 4)],
      [
        [1, 2],
        [3, 1e39],
      ],
    ]) {
      const r = eegChunkData.safeParse(chunk(samples));
      expect(r.success).toBe(false);
      const bad = samples[0]![1] === 2 ? [1, 1] : [0, 1];
      expect(r.error?.issues[0]?.path).toEqual(['samples', ...bad]);
    }
  });
});

describe('an EEG chunk event as bytes and as JSON', () => {
  const event = (samples: unknown): VigilEvent => ({
    specversion: '1.0',
    id: 'e1',
    source: '/devices/d1',
    type: EVENT_TYPES.eegChunk,
    data: chunk(samples),
  });

  it('round-trips bit-exactly, samples as float32 rows', () => {
    const back = decodeEventBytes(encodeEventBytes(event(awkward())));
    expect(bits((back.data as { samples: Float32Array[] }).samples)).toEqual(bits(awkward()));
    expect(back).toEqual(event(awkward()));
  });

  it('reads an outbox payload in the stored format ("VGL1", JSON head, float32 rows)', () => {
    const head = Buffer.from(
      JSON.stringify({ ...event(undefined), data: { unit: 'uV' }, __samples: [1, 2] }),
    );
    const payload = Buffer.alloc(8 + head.length + 8);
    payload.writeUInt32LE(0x56474c31, 0);
    payload.writeUInt32LE(head.length, 4);
    head.copy(payload, 8);
    payload.writeFloatLE(1.5, 8 + head.length);
    payload.writeFloatLE(-2, 12 + head.length);
    expect(decodeEventBytes(payload).data).toEqual({ unit: 'uV', samples: [Float32Array.of(1.5, -2)] });
  });

  it('writes samples as JSON arrays of numbers', () => {
    const json = JSON.parse(eventJson(event([Float32Array.of(1.5, -2), Float32Array.of(3, 4)])));
    expect(json.data.samples).toEqual([
      [1.5, -2],
      [3, 4],
    ]);
  });

  it('keeps other events as their JSON, and numbers rows of any EEG-like data as float32', () => {
    const other: VigilEvent = {
      specversion: '1.0',
      id: '2',
      source: '/t',
      type: 'x',
      data: { nested: { a: [1, 'b'] } },
    };
    expect(decodeEventBytes(encodeEventBytes(other))).toEqual(other);
    const lossy = decodeEventBytes(encodeEventBytes({ ...other, type: 'y', data: { samples: [[0.1]] } }));
    expect((lossy.data as { samples: Float32Array[] }).samples[0]).toEqual(Float32Array.of(0.1));
  });

  it('writes an EEG payload without its float32 block (the eeg_chunks blob), and joins the two back to the whole', () => {
    const whole = encodeEventBytes(event(awkward()));
    const { envelope, bytes } = encodeEventEnvelope(event(awkward()))!;
    expect(bytes).toBe(whole.length);
    expect(samplesOmitted(envelope)).toBe(true);
    expect(() => decodeEventBytes(envelope)).toThrow();
    const joined = joinSamples(envelope, samplesToBytes(awkward()));
    expect(Buffer.compare(joined, whole)).toBe(0);
    expect(decodeEventBytes(joined)).toEqual(event(awkward()));
    expect(encodeEventEnvelope({ ...event(undefined), data: { n: 1 } })).toBeUndefined();
  });
});
