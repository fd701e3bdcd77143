import { describe, expect, it } from 'vitest';
import type { RecordingWindows } from './dataset.ts';
import { windowScores } from './window-scores.ts';

const rec = (label: 0 | 1, nWindows: number, nChannels: number, values: number[]): RecordingWindows => ({
  recording: { name: `r${label}`, set: 'g', label, sampleRateHz: 128, channels: [] },
  features: Float32Array.from(values),
  nWindows,
  nChannels,
});

describe('windowScores', () => {
  // one input per row, the "model" returns it as the probability
  const identity = (x: Float32Array, n: number) => Float64Array.from(x.subarray(0, n));

  it('scores each window as the served detector does: the mean of the top quarter of ALL its channels', () => {
    // 8 channels: top quarter = the 2 highest; the kept rows do not matter
    const scalp = {
      ...rec(1, 2, 8, [0.9, 0.7, 0, 0, 0, 0, 0, 0, 0.1, 0.2, 0.3, 0, 0, 0, 0, 0]),
      keep: new Uint8Array(16),
    };
    const bonn = rec(0, 3, 1, [0.2, 0.5, 0.1]);
    const s = windowScores([scalp, bonn], 1, identity);
    expect(Array.from(s.truth)).toEqual([1, 1, 0, 0, 0]);
    expect(Array.from(s.scores).map((v) => Number(v.toFixed(6)))).toEqual([0.8, 0.25, 0.2, 0.5, 0.1]);
  });

  it('passes the model every channel row of a recording at once, in row order', () => {
    const seen: number[] = [];
    windowScores([rec(0, 2, 3, [1, 2, 3, 4, 5, 6])], 1, (x, n) => {
      seen.push(...x.subarray(0, n));
      return new Float64Array(n);
    });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
