// `vigil model train`: Bonn recordings → split by recording → features (the served preprocessing) →
// MLP with Adam and early stopping → threshold on validation → ONNX + model.json in the output dir.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readBonnDir } from '../../../recordings/bonn.ts';
import { DEFAULT_EPISODE_RULE } from '../episode.ts';
import { FEATURE_NAMES, MODEL_RATE_HZ } from '../features.ts';
import { type Confusion, confusion, rocAuc } from '../metrics.ts';
import type { ModelInfo } from '../model.ts';
import { WINDOW_SECONDS } from '../preprocess.ts';
import { recordingWindows, toDataset } from './dataset.ts';
import { predict, type TrainOptions, trainMlp } from './mlp.ts';
import { exportOnnx, OPSET } from './onnx-export.ts';
import { type SplitName, splitByRecording } from './split.ts';

export const TRAIN_OPTIONS: Omit<TrainOptions, 'seed'> = {
  hidden: [32, 16],
  learningRate: 1e-3,
  l2: 3e-3,
  inputDropout: 0.3,
  batchSize: 64,
  maxEpochs: 200,
  patience: 25,
};

/** Everything model.json records: what the server needs plus how the model was made. */
export interface TrainedModelInfo extends ModelInfo {
  seed: number;
  opset: number;
  windowSeconds: number;
  architecture: string;
  training: Omit<TrainOptions, 'seed'> & { bestEpoch: number; epochs: number };
  episodeRule: typeof DEFAULT_EPISODE_RULE;
  split: Record<SplitName, string[]>;
  validation: { windows: Confusion & { rocAuc: number } };
}

export interface TrainReport {
  info: TrainedModelInfo;
  onnxPath: string;
}

/**
 * The threshold with the best balanced accuracy (sensitivity + specificity) on the validation windows;
 * when a range of thresholds ties, its midpoint, so the choice does not hug one validation window.
 * Chosen on validation only; the test split never influences it.
 */
export function chooseThreshold(truth: ArrayLike<number>, scores: ArrayLike<number>): number {
  let best = -1;
  let lo = 0.5;
  let hi = 0.5;
  for (let i = 1; i < 1000; i++) {
    const t = i / 1000;
    const c = confusion(
      truth,
      Array.from(scores, (s) => (s >= t ? 1 : 0)),
    );
    const j = c.sensitivity + c.specificity;
    if (j > best + 1e-12) {
      best = j;
      lo = t;
      hi = t;
    } else if (Math.abs(j - best) <= 1e-12 && hi === (i - 1) / 1000) hi = t;
  }
  return Math.round(((lo + hi) / 2) * 1000) / 1000;
}

export async function trainSeizureModel(opts: {
  bonnDir: string;
  seed: number;
  outDir: string;
  log?: (line: string) => void;
}): Promise<TrainReport> {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  const recordings = await readBonnDir(opts.bonnDir);
  const windows = recordings.map(recordingWindows);
  const assignment = splitByRecording(
    windows.map((w) => ({ name: w.recording.name, set: w.recording.set, w })),
    opts.seed,
  );
  const of = (s: SplitName) => [...assignment].filter(([, v]) => v === s).map(([k]) => k.w);
  const train = toDataset(of('train'));
  const validation = toDataset(of('validation'));
  log(
    `recordings: ${recordings.length} (train ${of('train').length}, validation ${of('validation').length}, test ${of('test').length}); windows: train ${train.n}, validation ${validation.n}`,
  );
  const result = trainMlp(train, validation, { ...TRAIN_OPTIONS, seed: opts.seed });
  const seconds = (performance.now() - started) / 1000;
  log(`trained: best epoch ${result.bestEpoch} of ${result.epochs}, ${seconds.toFixed(1)} s`);

  const valScores = predict(result.params, validation.x, validation.n);
  const threshold = chooseThreshold(validation.y, valScores);
  const valConfusion = confusion(
    validation.y,
    Array.from(valScores, (s) => (s >= threshold ? 1 : 0)),
  );
  const valAuc = rocAuc(validation.y, valScores);

  const hash = createHash('sha256');
  for (const l of result.params.layers) {
    hash.update(Buffer.from(Float32Array.from(l.weight).buffer));
    hash.update(Buffer.from(Float32Array.from(l.bias).buffer));
  }
  hash.update(Buffer.from(Float32Array.from(result.params.inputMean).buffer));
  hash.update(Buffer.from(Float32Array.from(result.params.inputScale).buffer));
  hash.update(String(threshold));
  const modelVersion = `seizure-mlp-1+${hash.digest('hex').slice(0, 10)}`;
  const architecture = `standardise(${FEATURE_NAMES.length}) → ${TRAIN_OPTIONS.hidden.map((h) => `Gemm(${h}) → Relu`).join(' → ')} → Gemm(1) → Sigmoid`;

  const onnx = exportOnnx(result.params, {
    modelVersion,
    docString: `Vigil seizure detector: per 1-s single-channel EEG window at ${MODEL_RATE_HZ} Hz, ${FEATURE_NAMES.length} features → seizure probability. Trained on the Bonn EEG sets (Andrzejak et al. 2001), split by recording, seed ${opts.seed}.`,
    metadata: {
      threshold: String(threshold),
      features: FEATURE_NAMES.join(','),
      model_rate_hz: String(MODEL_RATE_HZ),
    },
  });
  const bySplit = (s: SplitName) => of(s).map((w) => `${w.recording.set}/${w.recording.name}`);
  const info: TrainedModelInfo = {
    modelVersion,
    threshold,
    modelRateHz: MODEL_RATE_HZ,
    featureNames: [...FEATURE_NAMES],
    onnxSha256: createHash('sha256').update(onnx).digest('hex'),
    seed: opts.seed,
    opset: OPSET,
    windowSeconds: WINDOW_SECONDS,
    architecture,
    training: { ...TRAIN_OPTIONS, bestEpoch: result.bestEpoch, epochs: result.epochs },
    episodeRule: DEFAULT_EPISODE_RULE,
    split: { train: bySplit('train'), validation: bySplit('validation'), test: bySplit('test') },
    validation: { windows: { ...valConfusion, rocAuc: valAuc } },
  };
  await mkdir(opts.outDir, { recursive: true });
  const onnxPath = path.join(opts.outDir, 'model.onnx');
  await writeFile(onnxPath, onnx);
  await writeFile(path.join(opts.outDir, 'model.json'), `${JSON.stringify(info, null, 2)}\n`);
  log(
    `validation windows: sensitivity ${(valConfusion.sensitivity * 100).toFixed(2)} %, specificity ${(valConfusion.specificity * 100).toFixed(2)} %, ROC AUC ${valAuc.toFixed(4)}, threshold ${threshold}`,
  );
  log(`model ${modelVersion} written to ${opts.outDir}`);
  return { info, onnxPath };
}
