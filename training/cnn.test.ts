import { describe, expect, it } from 'vitest';
import { type CnnOptions, cnnPredict, convLengths, standardiseWindow, trainCnn } from './cnn.ts';
import { rocAuc } from './metrics.ts';
import type { Dataset } from './mlp.ts';
import { gaussian, mulberry32 } from './rng.ts';

const FEATURES = 3;
const RAW = 64;

/**
 * Rows whose features are noise and whose raw window alone tells the class: a sharp periodic spike
 * train (1) against white noise (0), both scaled to a random amplitude so only the shape separates them.
 */
function synthetic(n: number, seed: number): Dataset {
  const rng = mulberry32(seed);
  const dim = FEATURES + RAW;
  const x = new Float32Array(n * dim);
  const y = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    y[r] = r % 2;
    for (let j = 0; j < FEATURES; j++) x[r * dim + j] = gaussian(rng);
    const gain = 10 + 90 * rng();
    const phase = Math.floor(rng() * 8);
    for (let t = 0; t < RAW; t++) {
      const v = y[r] ? ((t + phase) % 8 === 0 ? 3 : -0.4) + 0.3 * gaussian(rng) : gaussian(rng);
      x[r * dim + FEATURES + t] = gain * v;
    }
  }
  return { x, y, n, dim };
}

const OPTS: CnnOptions = {
  convs: [
    [4, 5, 2],
    [4, 3, 2],
  ],
  hidden: [8],
  seed: 7,
  learningRate: 3e-3,
  l2: 1e-4,
  inputDropout: 0,
  batchSize: 16,
  maxEpochs: 30,
  patience: 30,
  earlyStopping: 'auc',
};

describe('trainCnn', () => {
  it('learns a class that only the raw window shows (the features are noise)', () => {
    const train = synthetic(200, 1);
    const test = synthetic(200, 2);
    const { params } = trainCnn(train, synthetic(100, 3), FEATURES, OPTS);
    expect(rocAuc(test.y, cnnPredict(params, test.x, test.n))).toBeGreaterThan(0.97);
  });

  it('is reproducible: the same seed gives the same weights', () => {
    const train = synthetic(60, 4);
    const val = synthetic(30, 5);
    const a = trainCnn(train, val, FEATURES, { ...OPTS, maxEpochs: 3 });
    const b = trainCnn(train, val, FEATURES, { ...OPTS, maxEpochs: 3 });
    expect(a.params.convs[0]!.weight).toEqual(b.params.convs[0]!.weight);
    expect(a.params.head[0]!.weight).toEqual(b.params.head[0]!.weight);
    const c = trainCnn(train, val, FEATURES, { ...OPTS, maxEpochs: 3, seed: 8 });
    expect(c.params.convs[0]!.weight).not.toEqual(a.params.convs[0]!.weight);
  });

  it('keeps amplitude with one global scale when asked', () => {
    const train = synthetic(40, 6);
    const { params } = trainCnn(train, synthetic(20, 7), FEATURES, {
      ...OPTS,
      maxEpochs: 1,
      keepAmplitude: true,
    });
    expect(typeof params.rawScale).toBe('number');
    // scaled training windows have RMS 1
    const buf = new Float64Array(RAW);
    let sq = 0;
    for (let r = 0; r < train.n; r++) {
      standardiseWindow(train.x, r * train.dim + FEATURES, RAW, buf, params.rawScale);
      for (const v of buf) sq += v * v;
    }
    expect(Math.sqrt(sq / (train.n * RAW))).toBeCloseTo(1, 5);
  });
});

describe('standardiseWindow and convLengths', () => {
  it('centres and scales a window to SD 1, and maps a flat window to zeros', () => {
    const out = new Float64Array(4);
    standardiseWindow([1, 3, 1, 3], 0, 4, out);
    expect(Array.from(out)).toEqual([-1, 1, -1, 1].map((v) => v / Math.sqrt(1 + 1e-6)));
    standardiseWindow([5, 5, 5, 5], 0, 4, out);
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
  });

  it('gives valid strided output lengths', () => {
    const convs = OPTS.convs.map(([outCh, kernel, stride], i) => ({
      inCh: i ? 4 : 1,
      outCh,
      kernel,
      stride,
      weight: new Float64Array(0),
      bias: new Float64Array(0),
    }));
    // (64 − 5) / 2 + 1 = 30, (30 − 3) / 2 + 1 = 14
    expect(convLengths({ rawLength: 64, convs })).toEqual([64, 30, 14]);
  });
});
