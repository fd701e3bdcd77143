// The served model: models/seizure/model.onnx run by onnxruntime-node, plus its sidecar model.json
// (version, decision threshold, feature list). Loaded once per process, lazily, and shared.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { seizureModelDir } from '../../config/env.ts';
import { MODEL_RATE_HZ } from './features.ts';
import { modelInputCount, modelInputNames } from './model-inputs.ts';

export const INPUT_NAME = 'features';
export const OUTPUT_NAME = 'probability';

/**
 * What model.onnx holds: an MLP (Gemm/Relu), gradient-boosted trees (ai.onnx.ml TreeEnsembleRegressor) or
 * hybrid CNNs (Conv on the raw window beside the inputs, see training/cnn.ts).
 */
export const MODEL_KINDS = ['mlp', 'gbdt', 'cnn'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** The sidecar written by `vigil model train` next to model.onnx. */
export const modelInfoSchema = z.object({
  modelVersion: z.string().min(1),
  /** Absent in model.json files written before trees existed: those are MLPs. */
  kind: z.enum(MODEL_KINDS).default('mlp'),
  threshold: z.number().min(0).max(1),
  modelRateHz: z.number().positive(),
  featureNames: z.array(z.string()),
  onnxSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ModelInfo = z.infer<typeof modelInfoSchema>;

export interface SeizureModel {
  info: ModelInfo;
  /** Probabilities for `rows` input rows (modelInputCount(info.kind) floats each), in one batched ONNX call. */
  run(features: Float32Array, rows: number): Promise<Float32Array>;
}

async function readInfo(dir: string): Promise<ModelInfo> {
  const infoPath = path.join(dir, 'model.json');
  const info = modelInfoSchema.parse(JSON.parse(await readFile(infoPath, 'utf8')));
  if (info.modelRateHz !== MODEL_RATE_HZ || info.featureNames.join() !== modelInputNames(info.kind).join())
    throw new Error(
      `${infoPath}: trained with other preprocessing than this code (retrain with vigil model train)`,
    );
  return info;
}

async function load(dir: string): Promise<SeizureModel> {
  const onnxPath = path.join(dir, 'model.onnx');
  const info = await loadModelInfo(dir);
  const bytes = await readFile(onnxPath);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== info.onnxSha256)
    throw new Error(
      `${onnxPath} (sha256 ${sha}) is not the model ${path.join(dir, 'model.json')} describes (${info.onnxSha256})`,
    );
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  if (session.inputNames.join() !== INPUT_NAME || session.outputNames.join() !== OUTPUT_NAME)
    throw new Error(
      `${onnxPath}: expected input "${INPUT_NAME}" and output "${OUTPUT_NAME}", got ${session.inputNames.join()} → ${session.outputNames.join()}`,
    );
  const dim = modelInputCount(info.kind);
  return {
    info,
    async run(features, rows) {
      if (rows === 0) return new Float32Array(0);
      const input = new ort.Tensor('float32', features, [rows, dim]);
      const out = await session.run({ [INPUT_NAME]: input });
      return out[OUTPUT_NAME]!.data as Float32Array;
    },
  };
}

/** Loads once per directory and shares the promise; a failed load is retried on the next call. */
function cachedPerDir<T>(loader: (dir: string) => Promise<T>): (dir?: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (dir) => {
    const key = path.resolve(dir ?? seizureModelDir());
    let p = cache.get(key);
    if (!p) {
      p = loader(key);
      p.catch(() => cache.delete(key));
      cache.set(key, p);
    }
    return p;
  };
}

/** model.json of dir (version, threshold), checked against this code's preprocessing; no ONNX session. */
export const loadModelInfo = cachedPerDir(readInfo);

/** The model in dir, loaded on first use and cached. */
export const loadSeizureModel = cachedPerDir(load);
