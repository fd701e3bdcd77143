import { describe, expect, it } from 'vitest';
import { type GbdtOptions, gbdtLogits, gbdtPredict, trainGbdt } from './gbdt.ts';
import type { Dataset } from './mlp.ts';
import { mulberry32 } from './rng.ts';

const OPTS: GbdtOptions = {
  trees: 80,
  depth: 2,
  learningRate: 0.3,
  lambda: 1,
  minChildWeight: 1,
  maxBins: 32,
  subsample: 1,
  colsample: 1,
  seed: 1,
  patience: 0,
};

/** XOR of two features' signs (no single split and no linear score separates it), plus a noise feature. */
function xor(n: number, seed: number, positiveShare = 0.5): Dataset {
  const rng = mulberry32(seed);
  const x = new Float32Array(n * 3);
  const y = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    let a = 0;
    let b = 0;
    let label = 0;
    do {
      a = rng() * 2 - 1;
      b = rng() * 2 - 1;
      label = a > 0 !== b > 0 ? 1 : 0;
    } while (label === 1 && rng() > positiveShare / (1 - positiveShare));
    x.set([a, b, rng()], r * 3);
    y[r] = label;
  }
  return { x, y, n, dim: 3 };
}

function accuracy(d: Dataset, p: Float64Array): number {
  let ok = 0;
  for (let i = 0; i < d.n; i++) ok += (p[i]! >= 0.5 ? 1 : 0) === d.y[i] ? 1 : 0;
  return ok / d.n;
}

describe('trainGbdt', () => {
  it('learns an interaction of two features that no single split separates', () => {
    const train = xor(600, 1);
    const test = xor(300, 2);
    const r = trainGbdt(train, null, OPTS);
    expect(accuracy(test, gbdtPredict(r.model, test.x, test.n))).toBeGreaterThan(0.95);
    expect(
      accuracy(test, gbdtPredict({ ...r.model, trees: r.model.trees.slice(0, 1) }, test.x, test.n)),
    ).toBeLessThan(0.9);
  });

  it('weights the classes so a rare class is not ignored (base score is the weighted log-odds, 0)', () => {
    const train = xor(800, 3, 0.1);
    let pos = 0;
    for (const v of train.y) pos += v;
    expect(pos / train.n).toBeLessThan(0.2);
    const r = trainGbdt(train, null, { ...OPTS, trees: 1, depth: 0 });
    expect(r.model.baseScore).toBeCloseTo(0, 6);
    const full = trainGbdt(train, null, OPTS);
    const test = xor(400, 4, 0.1);
    const p = gbdtPredict(full.model, test.x, test.n);
    let tp = 0;
    let fn = 0;
    for (let i = 0; i < test.n; i++) if (test.y[i]) p[i]! >= 0.5 ? tp++ : fn++;
    expect(tp / (tp + fn)).toBeGreaterThan(0.9);
  });

  it('compares float32 features with float32 thresholds: a value on a threshold goes left', () => {
    const model = {
      dim: 1,
      baseScore: 0,
      trees: [
        {
          feature: [0, -1, -1],
          threshold: [0.1, 0, 0],
          left: [1, 0, 0],
          right: [2, 0, 0],
          value: [0, -1, 1],
        },
      ],
    };
    model.trees[0]!.threshold[0] = Math.fround(0.1);
    // 0.1000000017 is above float32(0.1) as a double but rounds to it as a float32
    expect(Array.from(gbdtLogits(model, [0.1, 0.1000000017, 0.10000002, 0.2], 4))).toEqual([-1, -1, 1, 1]);
  });

  it('early stopping keeps the tree count with the lowest validation loss, deterministically', () => {
    const train = xor(300, 5);
    const val = xor(300, 6);
    const opts = { ...OPTS, trees: 400, depth: 4, learningRate: 0.5, patience: 20, subsample: 0.7, seed: 9 };
    const a = trainGbdt(train, val, opts);
    const b = trainGbdt(train, val, opts);
    expect(b.model).toEqual(a.model);
    expect(a.bestTrees).toBeLessThan(400);
    expect(a.model.trees.length).toBe(a.bestTrees);
    const best = Math.min(...a.history.map((h) => h.validationLoss));
    expect(a.history[a.bestTrees - 1]!.validationLoss).toBe(best);
  });
});
