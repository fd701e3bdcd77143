import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../training/rng.ts';
import {
  ADAPTATION_COUNT,
  ADAPTATION_NAMES,
  BASELINE_WARMUP_WINDOWS,
  type ChannelBaseline,
  decodeBaseline,
  encodeBaseline,
  withAdaptation,
} from './adaptation.ts';
import { withContext } from './context.ts';
import { chunkInputs, type SignalHistory } from './detect.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from './features.ts';
import { chunkFeatures } from './preprocess.ts';

const F = FEATURE_COUNT;
const RATE = 256;
const col = (name: string) => ADAPTATION_NAMES.indexOf(name);

/** nChannels of seconds × RATE samples: noise plus an alpha rhythm, amplitude `gain[c](second)`. */
function eeg(
  seconds: number,
  nChannels: number,
  gain: (c: number, s: number) => number,
  seed = 3,
): Float64Array[] {
  const rng = mulberry32(seed);
  return Array.from({ length: nChannels }, (_, c) =>
    Float64Array.from({ length: seconds * RATE }, (_, i) => {
      const s = Math.floor(i / RATE);
      return gain(c, s) * (20 * Math.sin((2 * Math.PI * 10 * i) / RATE + c) + 10 * (rng() - 0.5));
    }),
  );
}

/**
 * Adaptation inputs of `channels` (features of the whole recording), fed in chunks of `sizes` windows with
 * the history carried between them, as the detector stores it.
 */
function streamed(channels: Float64Array[], sizes: number[]): Float32Array {
  const all = chunkFeatures(channels, RATE);
  const C = channels.length;
  const out: number[] = [];
  let history: SignalHistory | null = null;
  let w0 = 0;
  for (const n of sizes) {
    const part = all.features.subarray(w0 * C * F, (w0 + n) * C * F);
    const a = withAdaptation(part, n, C, history, history?.baseline ?? null);
    const ctx = withContext(part, n, C, history);
    history = { ...ctx.history, baseline: a.baseline };
    out.push(...a.inputs);
    w0 += n;
  }
  return Float32Array.from(out);
}

describe('withAdaptation', () => {
  it('names every input once: baseline-relative amplitude, montage-relative amplitude, spread', () => {
    expect(ADAPTATION_COUNT).toBe(11);
    expect(new Set(ADAPTATION_NAMES).size).toBe(ADAPTATION_COUNT);
    expect(ADAPTATION_NAMES).toContain('base_rel_log_line_length_uv');
    expect(ADAPTATION_NAMES).toContain('spread_recent_line_length');
  });

  it('gives the same inputs chunk by chunk (baseline carried) as for the whole recording', () => {
    const x = eeg(45, 3, (c, s) => (s > 30 && c > 0 ? 4 : 1));
    const whole = streamed(x, [45]);
    expect(streamed(x, [10, 10, 10, 10, 5])).toEqual(whole);
    expect(streamed(x, [3, 7, 1, 20, 14])).toEqual(whole);
  });

  it('a stored baseline (encoded, decoded) reproduces the inputs exactly', () => {
    const x = eeg(20, 2, () => 1);
    const f1 = chunkFeatures(
      x.map((c) => c.subarray(0, 10 * RATE)),
      RATE,
    );
    const f2 = chunkFeatures(
      x.map((c) => c.subarray(10 * RATE)),
      RATE,
    );
    const a1 = withAdaptation(f1.features, 10, 2, null, null);
    const h = withContext(f1.features, 10, 2, null).history;
    const direct = withAdaptation(f2.features, 10, 2, h, a1.baseline);
    const stored = decodeBaseline(JSON.parse(JSON.stringify(encodeBaseline(a1.baseline))));
    expect(withAdaptation(f2.features, 10, 2, h, stored)).toEqual(direct);
  });

  it('the first window is its own baseline; a rise against the baseline shows, then is learnt', () => {
    const x = eeg(100, 1, (_, s) => (s >= 20 ? 5 : 1));
    const a = streamed(x, [100]);
    const rel = (w: number) => a[w * ADAPTATION_COUNT + col('base_rel_log_sd_uv')]!;
    expect(rel(0)).toBe(0);
    expect(Math.abs(rel(10))).toBeLessThan(0.05);
    expect(rel(20)).toBeGreaterThan(0.5); // 5 × the amplitude: log10 about 0.7 higher
    expect(rel(99)).toBeLessThan(rel(20) / 4); // the baseline followed the patient
  });

  it('does not depend on the absolute amplitude of the recording', () => {
    const gain = (c: number, s: number) => (s >= 12 && c < 3 ? 4 : 1);
    const small = streamed(
      eeg(20, 4, (c, s) => 3 * gain(c, s)),
      [10, 10],
    );
    const large = streamed(
      eeg(20, 4, (c, s) => 30 * gain(c, s)),
      [10, 10],
    );
    // log10(x + 1) features are scale-free where x ≫ 1: SD and line length in µV; not every band power
    // is. (The spread inputs count channels past a cut, so a channel near it may flip.)
    const scaleFree = [
      'base_rel_log_sd_uv',
      'base_rel_log_line_length_uv',
      'montage_rel_log_sd_uv',
      'montage_rel_log_line_length_uv',
    ].map(col);
    for (let r = 0; r < small.length / ADAPTATION_COUNT; r++)
      for (const j of scaleFree) {
        const i = r * ADAPTATION_COUNT + j;
        expect(Math.abs(large[i]! - small[i]!)).toBeLessThan(0.02);
      }
  });

  it('spread counts the channels that rose together; montage inputs compare with the median channel', () => {
    const a = streamed(
      eeg(16, 4, (c, s) => (s >= 12 && c < 3 ? 4 : 1)),
      [16],
    );
    const at = (w: number, c: number, name: string) => a[(w * 4 + c) * ADAPTATION_COUNT + col(name)]!;
    expect(at(11, 0, 'spread_recent_line_length')).toBe(0);
    expect(at(12, 0, 'spread_recent_line_length')).toBe(0.75);
    expect(at(12, 3, 'spread_base_line_length')).toBe(0.75);
    expect(at(12, 3, 'montage_rel_log_sd_uv')).toBeLessThan(-0.4); // the quiet one, below the median
    expect(at(11, 3, 'montage_rel_log_sd_uv')).toBeCloseTo(0, 1);
  });

  it('ignores a baseline of another montage and finishes the warm-up after its windows', () => {
    const x = eeg(BASELINE_WARMUP_WINDOWS + 5, 2, () => 1);
    const f = chunkFeatures(x, RATE);
    const other: ChannelBaseline = { nChannels: 3, windows: 5, values: new Float32Array(3 * 7).fill(9) };
    const fresh = withAdaptation(f.features, f.nWindows, 2, null, null);
    expect(withAdaptation(f.features, f.nWindows, 2, null, other)).toEqual(fresh);
    expect(fresh.baseline.windows).toBe(BASELINE_WARMUP_WINDOWS);
    // during the warm-up the baseline is the plain mean of the windows seen
    const four = withAdaptation(f.features.subarray(0, 4 * 2 * F), 4, 2, null, null).baseline;
    const sd = FEATURE_NAMES.indexOf('log_sd_uv');
    const mean = [0, 1, 2, 3].reduce((s, w) => s + f.features[w * 2 * F + sd]!, 0) / 4;
    expect(four.values[0]).toBeCloseTo(mean, 5);
  });

  it('refuses a stored baseline of the wrong size', () => {
    const b = encodeBaseline({ nChannels: 2, windows: 3, values: new Float32Array(14) });
    expect(() => decodeBaseline({ ...b, nChannels: 3 })).toThrow(/expected/);
    expect(() => decodeBaseline({ ...b, windows: BASELINE_WARMUP_WINDOWS + 1 })).toThrow(/windows/);
  });
});

describe('chunkInputs', () => {
  it('carries the baseline in the history it returns', () => {
    const x = eeg(10, 2, () => 1);
    const r = chunkInputs(x, RATE, null, false);
    expect(r.history.baseline?.windows).toBe(10);
    expect(r.rows).toBe(20);
  });
});
