import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INPUT_COUNT, INPUT_NAMES } from './context.ts';
import { MODEL_RATE_HZ } from './features.ts';
import { DEFAULT_MODEL_DIR, loadSeizureModel, modelInfoSchema } from './model.ts';
import { gbdtPredict, trainGbdt } from './training/gbdt.ts';
import { exportGbdtOnnx } from './training/onnx-export.ts';
import { mulberry32 } from './training/rng.ts';

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
    const committed = JSON.parse(readFileSync(path.join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8'));
    const info = modelInfoSchema.parse({ ...committed, kind: undefined });
    expect(info.kind).toBe('mlp');
    expect(() => modelInfoSchema.parse({ ...committed, kind: 'forest' })).toThrow();
  });
});
