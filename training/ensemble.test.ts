import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { INPUT_NAME, OUTPUT_NAME } from '../functions/seizure-detector/model.ts';
import { mergeMlps, trainMlpEnsemble } from './ensemble.ts';
import { type Dataset, type MlpParams, predict, sigmoid } from './mlp.ts';
import { exportOnnx } from './onnx-export.ts';
import { mulberry32 } from './rng.ts';

function synthetic(n: number, dim: number, seed: number): Dataset {
  const rng = mulberry32(seed);
  const x = Float32Array.from({ length: n * dim }, () => rng() * 4 - 2);
  const y = Uint8Array.from({ length: n }, (_, r) =>
    x[r * dim]! * x[r * dim + 1]! + x[r * dim + 2]! > 0 ? 1 : 0,
  );
  return { x, y, n, dim };
}

const logit = (p: number) => Math.log(p / (1 - p));

describe('MLP seed ensemble', () => {
  const train = synthetic(300, 5, 1);
  const val = synthetic(100, 5, 2);
  const opts = {
    hidden: [8, 4],
    seed: 7,
    learningRate: 1e-2,
    l2: 1e-4,
    inputDropout: 0,
    batchSize: 32,
    maxEpochs: 15,
    patience: 100,
  };

  it('merged into one MLP, predicts the sigmoid of the mean of the members’ logits', () => {
    const e = trainMlpEnsemble(train, val, opts, 3);
    expect(e.members).toHaveLength(3);
    expect(e.params.layers.map((l) => [l.inDim, l.outDim])).toEqual([
      [5, 24],
      [24, 12],
      [12, 1],
    ]);
    const merged = predict(e.params, val.x, val.n);
    const each = e.members.map((m) => predict(m.params, val.x, val.n));
    for (let r = 0; r < val.n; r++) {
      const mean = each.reduce((a, p) => a + logit(p[r]!), 0) / each.length;
      expect(merged[r]).toBeCloseTo(sigmoid(mean), 9);
    }
    // the members differ (different seeds), so the ensemble is not one of them
    expect(Array.from(each[1]!)).not.toEqual(Array.from(each[0]!));
  });

  it('exports to ONNX like one MLP: onnxruntime reproduces the merged forward pass (1e-5)', async () => {
    const e = trainMlpEnsemble(train, val, opts, 3);
    const info = { modelVersion: 'ens', docString: 'ens', metadata: {} };
    // blocks = 3: the block-diagonal second layer as Split → 3 Gemms → Concat, as vigil model train writes it
    const bytes = exportOnnx(e.params, info, 3);
    expect(bytes.length).toBeLessThan(exportOnnx(e.params, info).length);
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', val.x, [val.n, val.dim]) });
    const onnx = out[OUTPUT_NAME]!.data as Float32Array;
    const ts = predict(e.params, val.x, val.n);
    for (let r = 0; r < val.n; r++) expect(Math.abs(onnx[r]! - ts[r]!)).toBeLessThan(1e-5);
  });

  it('refuses a blocked export of a layer that is not block-diagonal', () => {
    const e = trainMlpEnsemble(train, val, opts, 3);
    const info = { modelVersion: 'x', docString: 'x', metadata: {} };
    const layer = e.params.layers[1]!;
    layer.weight[layer.inDim - 1] = 0.5; // row 0 (block 0) reading an input of block 2
    expect(() => exportOnnx(e.params, info, 3)).toThrow(/not block-diagonal/);
    expect(() => exportOnnx(e.params, info, 5)).toThrow(/does not split/);
  });

  it('refuses members of different shapes or standardisations', () => {
    const a = trainMlpEnsemble(train, val, opts, 1).params;
    const b = trainMlpEnsemble(train, val, { ...opts, hidden: [6, 4] }, 1).params;
    expect(() => mergeMlps([a, b])).toThrow(/architecture/);
    const c: MlpParams = { ...a, inputMean: a.inputMean.map((v) => v + 1) };
    expect(() => mergeMlps([a, c])).toThrow(/standardisation/);
    expect(() => mergeMlps([])).toThrow(/at least one/);
  });
});
