import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../training/rng.ts';
import {
  CONTEXT_WINDOWS,
  decodeHistory,
  encodeHistory,
  INPUT_COUNT,
  INPUT_NAMES,
  type WindowHistory,
  withContext,
} from './context.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from './features.ts';

const F = FEATURE_COUNT;

/** nWindows × nChannels × F pseudo-random features, float32 like chunkFeatures() returns. */
function features(nWindows: number, nChannels: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: nWindows * nChannels * F }, () => rng() * 10 - 5);
}

/** Feeds `all` chunk by chunk (sizes in windows), carrying the history; returns the concatenated inputs. */
function streamed(all: Float32Array, nChannels: number, sizes: number[]): Float32Array {
  const out: number[] = [];
  let history: WindowHistory | null = null;
  let w0 = 0;
  for (const n of sizes) {
    const part = all.subarray(w0 * nChannels * F, (w0 + n) * nChannels * F);
    const r = withContext(part, n, nChannels, history);
    history = r.history;
    out.push(...r.inputs);
    w0 += n;
  }
  return Float32Array.from(out);
}

describe('withContext', () => {
  it('names every input: the features, their context mean and SD, and the fill', () => {
    expect(INPUT_COUNT).toBe(3 * F + 1);
    expect(INPUT_NAMES.slice(0, F)).toEqual(FEATURE_NAMES);
    expect(INPUT_NAMES[F]).toBe(`ctx${CONTEXT_WINDOWS}_mean_${FEATURE_NAMES[0]}`);
    expect(new Set(INPUT_NAMES).size).toBe(INPUT_COUNT);
  });

  it('gives the first window of a signal its own features as mean, SD 0 and fill 1/K', () => {
    const f = features(1, 2, 1);
    const { inputs } = withContext(f, 1, 2, null);
    for (let c = 0; c < 2; c++) {
      const row = inputs.subarray(c * INPUT_COUNT, (c + 1) * INPUT_COUNT);
      const own = f.subarray(c * F, (c + 1) * F);
      expect(row.subarray(0, F)).toEqual(own);
      expect(row.subarray(F, 2 * F)).toEqual(own);
      expect(Array.from(row.subarray(2 * F, 3 * F))).toEqual(new Array(F).fill(0));
      expect(row[3 * F]).toBeCloseTo(1 / CONTEXT_WINDOWS, 7);
    }
  });

  it('takes the mean and SD over exactly the last K windows of the same channel', () => {
    const nW = CONTEXT_WINDOWS + 5;
    const nC = 3;
    const f = features(nW, nC, 2);
    const { inputs } = withContext(f, nW, nC, null);
    const w = nW - 1;
    const c = 1;
    const j = 7;
    const vals = Array.from({ length: CONTEXT_WINDOWS }, (_, k) => f[((w - k) * nC + c) * F + j]!);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length);
    const row = (w * nC + c) * INPUT_COUNT;
    expect(inputs[row + F + j]).toBeCloseTo(mean, 4);
    expect(inputs[row + 2 * F + j]).toBeCloseTo(sd, 4);
    expect(inputs[row + 3 * F]).toBe(1);
  });

  it('gives a stream cut into any chunks the same inputs as the whole signal at once', () => {
    const nC = 2;
    const f = features(23, nC, 3);
    const whole = withContext(f, 23, nC, null).inputs;
    expect(streamed(f, nC, [10, 10, 3])).toEqual(whole);
    expect(
      streamed(
        f,
        nC,
        Array.from({ length: 23 }, () => 1),
      ),
    ).toEqual(whole);
    expect(streamed(f, nC, [2, 0, 9, 12])).toEqual(whole);
  });

  it('keeps the last K − 1 windows as history, and ignores a history of another channel count', () => {
    const f = features(3, 2, 4);
    const first = withContext(f, 3, 2, null);
    expect(first.history.windows).toBe(3);
    const more = withContext(features(20, 2, 5), 20, 2, first.history);
    expect(more.history.windows).toBe(CONTEXT_WINDOWS - 1);
    expect(more.history.features.length).toBe((CONTEXT_WINDOWS - 1) * 2 * F);
    const g = features(2, 1, 6);
    expect(withContext(g, 2, 1, more.history).inputs).toEqual(withContext(g, 2, 1, null).inputs);
  });
});

describe('history storage', () => {
  it('round-trips exactly through JSON', () => {
    const h = withContext(features(9, 4, 7), 9, 4, null).history;
    const back = decodeHistory(JSON.parse(JSON.stringify(encodeHistory(h))));
    expect(back).toEqual(h);
  });

  it('stores float32 little-endian, whatever the host: 1.0 is the bytes 00 00 80 3f', () => {
    const h: WindowHistory = { windows: 1, nChannels: 1, features: new Float32Array(F) };
    h.features[0] = 1;
    h.features[F - 1] = -2.5;
    const bytes = Buffer.from(encodeHistory(h).features, 'base64');
    expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x00, 0x80, 0x3f]);
    expect(bytes.readFloatLE((F - 1) * 4)).toBe(-2.5);
    // a history held in a larger buffer (a slice) stores only its own values
    const big = withContext(features(12, 2, 9), 12, 2, null).history;
    expect(big.features.byteOffset).toBe(0);
    const view: WindowHistory = { ...big, windows: 1, features: big.features.subarray(2 * F * 6) };
    expect(decodeHistory(encodeHistory(view)).features).toEqual(view.features);
  });

  it('refuses a stored history whose size does not match its shape', () => {
    const e = encodeHistory(withContext(features(2, 1, 8), 2, 1, null).history);
    expect(() => decodeHistory({ ...e, nChannels: 2 })).toThrow(/expected/);
  });
});
