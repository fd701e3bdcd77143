import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { chunkInputs } from '../functions/seizure-detector/detect.ts';
import { loadSeizureModel } from '../functions/seizure-detector/model.ts';
import { FEATURE_INPUT_COUNT as INPUT_COUNT } from '../functions/seizure-detector/model-inputs.ts';
import { recordingChunks } from '../functions/seizure-detector/preprocess.ts';
import { BONN_SAMPLE_RATE_HZ, parseBonnText } from '../recordings/bonn.ts';
import { type CnnParams, cnnEnsemblePredict } from './cnn.ts';
import { gbdtPredict, trainGbdt } from './gbdt.ts';
import { type Dataset, type MlpParams, predict, trainMlp } from './mlp.ts';
import { exportCnnOnnx, exportGbdtOnnx, exportOnnx, INPUT_NAME, OUTPUT_NAME } from './onnx-export.ts';
import { mulberry32 } from './rng.ts';

async function runOnnx(bytes: Uint8Array, x: Float32Array, rows: number, dim: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', x, [rows, dim]) });
  return out[OUTPUT_NAME]!.data as Float32Array;
}

/** Reads the MLP back out of ONNX bytes (initializers by name), to compare the graph with predict(). */
function importOnnx(bytes: Uint8Array): MlpParams {
  const root = protobuf.loadSync(fileURLToPath(new URL('./onnx.proto', import.meta.url)));
  const model = root
    .lookupType('onnx.ModelProto')
    .toObject(root.lookupType('onnx.ModelProto').decode(bytes), {
      longs: Number,
    }) as { graph: { initializer: Array<{ name: string; dims: number[]; floatData: number[] }> } };
  const t = new Map(model.graph.initializer.map((i) => [i.name, i]));
  const layers: MlpParams['layers'] = [];
  for (let i = 0; t.has(`dense${i}_weight`) || t.has(`dense${i}_block0_weight`); i++) {
    const w = t.get(`dense${i}_weight`);
    if (w) {
      layers.push({
        outDim: w.dims[0]!,
        inDim: w.dims[1]!,
        weight: Float64Array.from(w.floatData),
        bias: Float64Array.from(t.get(`dense${i}_bias`)!.floatData),
      });
      continue;
    }
    // a blocked layer (Split → Gemm per block → Concat): the block-diagonal matrix it computes
    const blocks: Array<{ w: (typeof model.graph.initializer)[number]; b: number[] }> = [];
    for (let k = 0; t.has(`dense${i}_block${k}_weight`); k++)
      blocks.push({
        w: t.get(`dense${i}_block${k}_weight`)!,
        b: t.get(`dense${i}_block${k}_bias`)!.floatData,
      });
    const [bo, bi] = [blocks[0]!.w.dims[0]!, blocks[0]!.w.dims[1]!];
    const outDim = bo * blocks.length;
    const inDim = bi * blocks.length;
    const weight = new Float64Array(outDim * inDim);
    blocks.forEach(({ w: bw }, k) => {
      for (let o = 0; o < bo; o++)
        for (let c = 0; c < bi; c++) weight[(k * bo + o) * inDim + k * bi + c] = bw.floatData[o * bi + c]!;
    });
    layers.push({ outDim, inDim, weight, bias: Float64Array.from(blocks.flatMap((b) => b.b)) });
  }
  return {
    inputMean: Float64Array.from(t.get('input_mean')!.floatData),
    inputScale: Float64Array.from(t.get('input_scale')!.floatData),
    layers,
  };
}

function synthetic(n: number, dim: number, seed: number): Dataset {
  const rng = mulberry32(seed);
  const x = new Float32Array(n * dim);
  const y = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const v = (rng() - 0.5) * 10 + j;
      x[r * dim + j] = v;
      s += (j % 2 ? 1 : -1) * (v - j);
    }
    y[r] = s > 0 ? 1 : 0;
  }
  return { x, y, n, dim };
}

describe('ONNX export', () => {
  it('the exported graph reproduces the TypeScript forward pass (1e-5) and is deterministic per seed', async () => {
    const opts = {
      hidden: [8, 4],
      seed: 7,
      learningRate: 0.01,
      l2: 1e-4,
      inputDropout: 0,
      batchSize: 16,
      maxEpochs: 15,
      patience: 5,
    };
    const train = synthetic(400, 6, 1);
    const val = synthetic(100, 6, 2);
    const a = trainMlp(train, val, opts);
    const b = trainMlp(train, val, opts);
    expect(b.history).toEqual(a.history);
    const bytes = exportOnnx(a.params, { modelVersion: 'test', docString: 'test', metadata: {} });
    const onnx = await runOnnx(bytes, val.x, val.n, val.dim);
    const ts = predict(a.params, val.x, val.n);
    expect(onnx.length).toBe(val.n);
    for (let i = 0; i < val.n; i++) expect(Math.abs(onnx[i]! - ts[i]!)).toBeLessThan(1e-5);
    // and the model learned something: better than chance on held-out rows
    let correct = 0;
    for (let i = 0; i < val.n; i++) correct += (ts[i]! >= 0.5 ? 1 : 0) === val.y[i] ? 1 : 0;
    expect(correct / val.n).toBeGreaterThan(0.8);
  });

  it('a GBDT exported as TreeEnsembleRegressor + Sigmoid reproduces the TypeScript trees (1e-5), deterministically', async () => {
    const opts = {
      trees: 60,
      depth: 3,
      learningRate: 0.2,
      lambda: 1,
      minChildWeight: 1,
      maxBins: 16,
      subsample: 0.8,
      colsample: 0.8,
      seed: 3,
      patience: 0,
    };
    const train = synthetic(400, 6, 1);
    const val = synthetic(200, 6, 2);
    const a = trainGbdt(train, val, opts);
    const b = trainGbdt(train, val, opts);
    expect(b.model).toEqual(a.model);
    expect(a.model.trees.length).toBe(60);
    const bytes = exportGbdtOnnx(a.model, { modelVersion: 'test', docString: 'test', metadata: {} });
    // rows exactly on thresholds must take the same branch in both: score the training rows too
    for (const d of [val, train]) {
      const onnx = await runOnnx(bytes, d.x, d.n, d.dim);
      const ts = gbdtPredict(a.model, d.x, d.n);
      expect(onnx.length).toBe(d.n);
      for (let i = 0; i < d.n; i++) expect(Math.abs(onnx[i]! - ts[i]!)).toBeLessThan(1e-5);
    }
    const ts = gbdtPredict(a.model, val.x, val.n);
    let correct = 0;
    for (let i = 0; i < val.n; i++) correct += (ts[i]! >= 0.5 ? 1 : 0) === val.y[i] ? 1 : 0;
    expect(correct / val.n).toBeGreaterThan(0.8);
  });

  it('the committed model runs on real features and equals the forward pass of its own weights', async () => {
    const model = await loadSeizureModel();
    const bytes = readFileSync(fileURLToPath(new URL('../models/seizure/model.onnx', import.meta.url)));
    const fixture = fileURLToPath(new URL('../data/demo/eeg/bonn/setE/S046.txt', import.meta.url));
    const samples = parseBonnText(readFileSync(fixture, 'latin1'), fixture);
    const [first] = recordingChunks(samples, BONN_SAMPLE_RATE_HZ);
    const f = chunkInputs([first!], BONN_SAMPLE_RATE_HZ, null, false);
    const { inputs } = f;
    const served = await model.run(inputs, f.nWindows);
    const ts = predict(importOnnx(bytes), inputs, f.nWindows);
    expect(inputs.length).toBe(f.nWindows * INPUT_COUNT);
    for (let i = 0; i < f.nWindows; i++) expect(Math.abs(served[i]! - ts[i]!)).toBeLessThan(1e-5);
  });
});

describe('exportCnnOnnx', () => {
  /** A hybrid CNN with random weights (trainCnn's shapes, no training). */
  function randomCnn(seed: number, rawScale: CnnParams['rawScale']): CnnParams {
    const rng = mulberry32(seed);
    const r = (n: number, s: number) => Float64Array.from({ length: n }, () => (rng() - 0.5) * s);
    const featureDim = 5;
    const convs = [
      { inCh: 1, outCh: 3, kernel: 5, stride: 2, weight: r(15, 1), bias: r(3, 0.2) },
      { inCh: 3, outCh: 4, kernel: 3, stride: 2, weight: r(36, 1), bias: r(4, 0.2) },
    ];
    const inDim = featureDim + 2 * 4;
    return {
      featureDim,
      rawLength: 32,
      inputMean: r(featureDim, 2),
      inputScale: Float64Array.from(r(featureDim, 1), (v) => 1 + Math.abs(v)),
      rawScale,
      convs,
      head: [
        { inDim, outDim: 6, weight: r(6 * inDim, 1), bias: r(6, 0.2) },
        { inDim: 6, outDim: 1, weight: r(6, 1), bias: r(1, 0.2) },
      ],
    };
  }

  it('onnxruntime reproduces the TypeScript ensemble forward pass within 1e-5', async () => {
    const members = [randomCnn(1, 0.02), randomCnn(2, 'window'), randomCnn(3, 0.05)];
    const rng = mulberry32(9);
    const rows = 40;
    const dim = 5 + 32;
    const x = Float32Array.from({ length: rows * dim }, (_, i) =>
      i % dim < 5 ? (rng() - 0.5) * 4 : (rng() - 0.5) * 200,
    );
    x.fill(7, 3 * dim + 5, 4 * dim); // a flat window (its own SD is 0)
    const want = cnnEnsemblePredict(members, x, rows);
    const got = await runOnnx(
      exportCnnOnnx(members, { modelVersion: 't', docString: 'test', metadata: {} }),
      x,
      rows,
      dim,
    );
    expect(got.length).toBe(rows);
    for (let i = 0; i < rows; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5);
    // the members disagree, so the mean logit is not any single member's output
    const single = cnnEnsemblePredict([members[0]!], x, rows);
    expect(Array.from(want).some((v, i) => Math.abs(v - single[i]!) > 1e-3)).toBe(true);
  });

  it('refuses members with different row layouts', () => {
    const other = { ...randomCnn(4, 0.02), rawLength: 64 };
    expect(() =>
      exportCnnOnnx([randomCnn(1, 0.02), other], { modelVersion: 't', docString: '', metadata: {} }),
    ).toThrow(/row layout/);
  });
});
