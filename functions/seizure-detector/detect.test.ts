import { describe, expect, it } from 'vitest';
import { detectChunk, windowScore } from './detect.ts';
import { loadSeizureModel } from './model.ts';

const sine = (n: number, fs: number, f: number, amp: number) =>
  Array.from({ length: n }, (_, i) => amp * Math.sin(2 * Math.PI * f * (i / fs)) + (i % 7) - 3);

describe('detectChunk over the whole input range of the contract', () => {
  it.each([
    ['1 Hz, 10 samples, 1 channel', 1, 10, 1, 1e1, 10],
    ['173.61 Hz, one second', 173.61, 174, 1, 50, 1],
    ['4096 Hz, 10 s, 64 channels', 4096, 40_960, 64, 80, 10],
    ['256 Hz, 23 channels, huge values', 256, 512, 23, 1e150, 2],
  ])(
    '%s → finite probabilities in [0, 1], one row per window and channel',
    async (_n, fs, n, channels, amp, windows) => {
      const model = await loadSeizureModel();
      const samples = Array.from({ length: channels }, (_, c) =>
        sine(n, fs, Math.min(fs / 3, 5 + c / 8), amp),
      );
      const d = await detectChunk(model, samples, fs);
      expect(d.windowProbabilities).toHaveLength(windows);
      for (const row of d.windowProbabilities) {
        expect(row).toHaveLength(channels);
        for (const p of row) expect(p >= 0 && p <= 1).toBe(true);
      }
      expect(d.chunkProbability >= 0 && d.chunkProbability <= 1).toBe(true);
    },
  );

  it('a flat line and a chunk shorter than a window are handled', async () => {
    const model = await loadSeizureModel();
    expect((await detectChunk(model, [new Array(256).fill(12)], 256)).windowProbabilities).toHaveLength(1);
    expect((await detectChunk(model, [new Array(100).fill(1)], 256)).windowProbabilities).toHaveLength(0);
  });

  it('window score: the mean of the top quarter of channels', () => {
    expect(windowScore([0.9])).toBe(0.9);
    expect(windowScore([0.1, 0.9, 0.2, 0.3])).toBe(0.9);
    expect(windowScore([0.1, 0.9, 0.2, 0.3, 0.7])).toBeCloseTo(0.8, 12);
  });
});
