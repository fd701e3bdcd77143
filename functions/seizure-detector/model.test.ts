import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seizureModelDir } from '../../config/env.ts';
import { cnnEnsemblePredict, trainCnn } from '../../training/cnn.ts';
import { gbdtPredict, trainGbdt } from '../../training/gbdt.ts';
import { exportCnnOnnx, exportGbdtOnnx } from '../../training/onnx-export.ts';
import { mulberry32 } from '../../training/rng.ts';
import { withAdaptation } from './adaptation.ts';
import { withContext } from './context.ts';
import { detectChunk } from './detect.ts';
import { MODEL_RATE_HZ } from './features.ts';
import { loadSeizureModel, modelInfoSchema } from './model.ts';
import {
  FEATURE_INPUT_COUNT as INPUT_COUNT,
  FEATURE_INPUT_NAMES as INPUT_NAMES,
  modelInputCount,
  modelInputNames,
  withAdaptationInputs,
  withRawWindows,
} from './model-inputs.ts';
import { chunkFeatures, WINDOW_SAMPLES } from './preprocess.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function modelDir(onnx: Uint8Array, extra: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-model-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'model.onnx'), onnx);
  writeFileSync(
    path.join(dir, 'model.json'),
    JSON.stringify({
      modelVersion: 'seizure-gbdt-test',
      threshold: 0.5,
      modelRateHz: MODEL_RATE_HZ,
      featureNames: INPUT_NAMES,
      onnxSha256: createHash('sha256').update(onnx).digest('hex'),
      ...extra,
    }),
  );
  return dir;
}

describe('loadSeizureModel', () => {
  it('loads the tree model a model.json names (kind gbdt) and serves the trees of its ONNX file', async () => {
    const rng = mulberry32(5);
    const n = 300;
    const x = Float32Array.from({ length: n * INPUT_COUNT }, () => rng() * 4 - 2);
    const y = Uint8Array.from({ length: n }, (_, r) =>
      x[r * INPUT_COUNT]! + x[r * INPUT_COUNT + 7]! > 0 ? 1 : 0,
    );
    const trained = trainGbdt({ x, y, n, dim: INPUT_COUNT }, null, {
      trees: 40,
      depth: 3,
      learningRate: 0.3,
      lambda: 1,
      minChildWeight: 1,
      maxBins: 32,
      subsample: 1,
      colsample: 1,
      seed: 1,
      patience: 0,
    });
    const dir = modelDir(exportGbdtOnnx(trained.model, { modelVersion: 't', docString: 't', metadata: {} }), {
      kind: 'gbdt',
    });
    const model = await loadSeizureModel(dir);
    expect(model.info.kind).toBe('gbdt');
    const served = await model.run(x, n);
    const ts = gbdtPredict(trained.model, x, n);
    for (let i = 0; i < n; i++) expect(Math.abs(served[i]! - ts[i]!)).toBeLessThan(1e-5);
  });

  it('reads a model.json without a kind as an MLP, and refuses an unknown kind', () => {
    const committed = JSON.parse(readFileSync(path.join(seizureModelDir(), 'model.json'), 'utf8'));
    const info = modelInfoSchema.parse({ ...committed, kind: undefined });
    expect(info.kind).toBe('mlp');
    expect(() => modelInfoSchema.parse({ ...committed, kind: 'forest' })).toThrow();
  });

  it('serves a hybrid CNN (kind cnn): detectChunk feeds it the context and adaptation inputs and the raw windows', async () => {
    const rng = mulberry32(11);
    // a 3-channel, 4-s chunk at 256 Hz: noise, a 6 Hz rhythm, a spike train
    const rate = 256;
    const samples = [0, 1, 2].map((c) =>
      Float64Array.from({ length: 4 * rate }, (_, i) =>
        c === 0
          ? 40 * (rng() - 0.5)
          : c === 1
            ? 120 * Math.sin((2 * Math.PI * 6 * i) / rate)
            : i % 64 < 3
              ? 300
              : -20,
      ),
    );
    const dim = modelInputCount('cnn');
    expect(dim).toBe(INPUT_COUNT + WINDOW_SAMPLES);
    // members trained for one epoch on random rows: the weights only need to be some CNN's
    const n = 64;
    const x = Float32Array.from({ length: n * dim }, () => rng() * 100 - 50);
    const y = Uint8Array.from({ length: n }, (_, i) => i % 2);
    const opts = {
      convs: [
        [4, 7, 2],
        [4, 5, 2],
      ] as Array<[number, number, number]>,
      hidden: [8],
      learningRate: 1e-2,
      l2: 0,
      inputDropout: 0,
      batchSize: 16,
      maxEpochs: 1,
      patience: 1,
      earlyStopping: 'auc' as const,
      keepAmplitude: true,
    };
    const members = [1, 2].map(
      (seed) => trainCnn({ x, y, n, dim }, { x, y, n, dim }, INPUT_COUNT, { ...opts, seed }).params,
    );
    const onnx = exportCnnOnnx(members, { modelVersion: 't', docString: 't', metadata: {} });
    const model = await loadSeizureModel(
      modelDir(onnx, { kind: 'cnn', featureNames: modelInputNames('cnn') }),
    );
    expect(model.info.kind).toBe('cnn');

    const got = await detectChunk(model, samples, rate);
    const f = chunkFeatures(samples, rate, true);
    const rows = f.nWindows * f.nChannels;
    const ctx = withContext(f.features, f.nWindows, f.nChannels, null);
    const adapt = withAdaptation(f.features, f.nWindows, f.nChannels, null, null);
    const inputs = withAdaptationInputs(ctx.inputs, adapt.inputs, rows);
    const want = cnnEnsemblePredict(members, withRawWindows(inputs, f.windows!, rows), rows);
    expect(got.windowProbabilities.flat()).toHaveLength(rows);
    got.windowProbabilities.flat().forEach((p, i) => {
      expect(Math.abs(p - want[i]!)).toBeLessThan(1e-5);
    });
    // the raw windows are the resampled signal: the spike channel's window is not the noise channel's
    expect(f.windows!.subarray(2 * WINDOW_SAMPLES, 3 * WINDOW_SAMPLES)).not.toEqual(
      f.windows!.subarray(0, WINDOW_SAMPLES),
    );
  });

  it('refuses a cnn model.json whose input list lacks the raw window', async () => {
    const dir = modelDir(new Uint8Array([1, 2, 3]), { kind: 'cnn', featureNames: INPUT_NAMES });
    await expect(loadSeizureModel(dir)).rejects.toThrow(/other preprocessing/);
  });
});
