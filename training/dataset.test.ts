import { describe, expect, it } from 'vitest';
import { FEATURE_INPUT_COUNT as INPUT_COUNT } from '../functions/seizure-detector/model-inputs.ts';
import { chunkFeatures, WINDOW_SAMPLES } from '../functions/seizure-detector/preprocess.ts';
import { resample } from '../functions/seizure-detector/resample.ts';
import type { BonnRecording } from '../recordings/bonn.ts';
import { columns, recordingWindows, toDataset } from './dataset.ts';

const RATE = 173.61;
// 23.6 s like a Bonn segment, so it spans three 10-s device chunks
const recording: BonnRecording = {
  file: 'synthetic',
  name: 'S000',
  set: 'setE',
  label: 1,
  sampleRateHz: RATE,
  samples: Float64Array.from({ length: 4097 }, (_, i) => 80 * Math.sin(i / 7) + ((i * 37) % 11)),
};

describe('recordingWindows', () => {
  it('without raw windows gives INPUT_COUNT inputs per window, across the chunks', () => {
    const w = recordingWindows(recording);
    expect(w.nWindows).toBe(23);
    expect(w.features.length).toBe(23 * INPUT_COUNT);
  });

  it('appends each window’s resampled samples after its inputs, as the detector resamples its chunk', () => {
    const plain = recordingWindows(recording);
    const raw = recordingWindows(recording, 1);
    const dim = INPUT_COUNT + WINDOW_SAMPLES;
    expect(raw.features.length).toBe(raw.nWindows * dim);
    const firstChunk = recording.samples.subarray(0, Math.floor(10 * RATE));
    const x = resample(firstChunk, RATE, 128);
    for (let r = 0; r < raw.nWindows; r++)
      expect(raw.features.subarray(r * dim, r * dim + INPUT_COUNT)).toEqual(
        plain.features.subarray(r * INPUT_COUNT, (r + 1) * INPUT_COUNT),
      );
    // window 3 lies in the first chunk
    expect(Array.from(raw.features.subarray(3 * dim + INPUT_COUNT, 4 * dim))).toEqual(
      Array.from(Float32Array.from(x.subarray(3 * WINDOW_SAMPLES, 4 * WINDOW_SAMPLES))),
    );
    // chunkFeatures keeps the same windows when asked
    const f = chunkFeatures([firstChunk], RATE, true);
    expect(f.windows!.subarray(3 * WINDOW_SAMPLES, 4 * WINDOW_SAMPLES)).toEqual(
      raw.features.subarray(3 * dim + INPUT_COUNT, 4 * dim),
    );
    expect(toDataset([raw], dim).x).toEqual(raw.features);
  });

  it('with k raw windows carries the last k, zeros before the recording starts', () => {
    const one = recordingWindows(recording, 1);
    const k = 8;
    const many = recordingWindows(recording, k);
    const d1 = INPUT_COUNT + WINDOW_SAMPLES;
    const dk = INPUT_COUNT + k * WINDOW_SAMPLES;
    const rawOf = (r: number) => one.features.subarray(r * d1 + INPUT_COUNT, (r + 1) * d1);
    // row 2: 5 windows of zeros, then windows 0, 1, 2
    const row2 = many.features.subarray(2 * dk + INPUT_COUNT, 3 * dk);
    expect(row2.subarray(0, 5 * WINDOW_SAMPLES).every((v) => v === 0)).toBe(true);
    for (let j = 0; j < 3; j++)
      expect(row2.subarray((5 + j) * WINDOW_SAMPLES, (6 + j) * WINDOW_SAMPLES)).toEqual(rawOf(j));
    // row 12 (second chunk): windows 5..12, across the chunk boundary at window 10
    const row12 = many.features.subarray(12 * dk + INPUT_COUNT, 13 * dk);
    for (let j = 0; j < k; j++)
      expect(row12.subarray(j * WINDOW_SAMPLES, (j + 1) * WINDOW_SAMPLES)).toEqual(rawOf(5 + j));
  });
});

describe('columns', () => {
  it('cuts columns [from, to) out of every row, to the end by default', () => {
    const d = { x: Float32Array.from([1, 2, 3, 4, 5, 6]), y: Uint8Array.from([0, 1]), n: 2, dim: 3 };
    expect(Array.from(columns(d, 0, 2).x)).toEqual([1, 2, 4, 5]);
    expect(Array.from(columns(d, 1).x)).toEqual([2, 3, 5, 6]);
    expect(columns(d, 1).dim).toBe(2);
    expect(columns(d, 1).y).toBe(d.y);
  });
});

describe('multi-channel recordings', () => {
  it('give window-major rows of every channel; toDataset keeps only the rows marked to keep', () => {
    const a = recording.samples;
    const b = Float64Array.from(a, (v) => -2 * v);
    const w = recordingWindows({ name: 'two', set: 'g', label: 1, sampleRateHz: RATE, channels: [a, b] });
    expect(w.nChannels).toBe(2);
    expect(w.features.length).toBe(23 * 2 * INPUT_COUNT);
    const keep = new Uint8Array(46);
    for (let r = 0; r < 46; r += 2) keep[r] = 1; // channel 0 only
    const d = toDataset([{ ...w, keep }]);
    expect(d.n).toBe(23);
    expect(d.x.subarray(INPUT_COUNT, 2 * INPUT_COUNT)).toEqual(
      w.features.subarray(2 * INPUT_COUNT, 3 * INPUT_COUNT),
    );
    expect(d.y.every((v) => v === 1)).toBe(true);
  });
});
