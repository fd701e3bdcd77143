// `vigil model train`: Bonn recordings → split by recording, plus the chb01 scalp seizure windows → split
// by seizure → inputs (the served preprocessing, context and adaptation) → MLP with Adam and early
// stopping, gradient-boosted trees or hybrid CNNs → threshold on validation → ONNX + model.json in the
// output dir.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTEXT_WINDOWS } from '../functions/seizure-detector/context.ts';
import { DEFAULT_EPISODE_RULE } from '../functions/seizure-detector/episode.ts';
import { MODEL_RATE_HZ } from '../functions/seizure-detector/features.ts';
import type { ModelInfo, ModelKind } from '../functions/seizure-detector/model.ts';
import {
  FEATURE_INPUT_COUNT as INPUT_COUNT,
  FEATURE_INPUT_NAMES as INPUT_NAMES,
  modelInputCount,
  modelInputNames,
  usesRawWindow,
} from '../functions/seizure-detector/model-inputs.ts';
import { WINDOW_SECONDS } from '../functions/seizure-detector/preprocess.ts';
import { readBonnDir } from '../recordings/bonn.ts';
import { type CnnOptions, type CnnParams, cnnEnsemblePredict, trainCnn } from './cnn.ts';
import { type RecordingWindows, recordingWindows, toDataset } from './dataset.ts';
import { memberSeed, trainMlpEnsemble } from './ensemble.ts';
import { type GbdtModel, type GbdtOptions, gbdtPredict, trainGbdt } from './gbdt.ts';
import { type Confusion, confusion, rocAuc } from './metrics.ts';
import { type Dataset, type MlpParams, predict, type TrainOptions } from './mlp.ts';
import { exportCnnOnnx, exportGbdtOnnx, exportOnnx, ML_OPSET, OPSET } from './onnx-export.ts';
import { readScalpWindows, scalpSeizures, scalpTrainingWindows } from './scalp-windows.ts';
import { type SplitName, splitByRecording } from './split.ts';

/** The scalp seizure whose two windows are the validation split's scalp part by default. */
export const DEFAULT_SCALP_VALIDATION = 'chb01_03';

export const TRAIN_OPTIONS: Omit<TrainOptions, 'seed'> = {
  hidden: [64, 32],
  learningRate: 1e-3,
  l2: 3e-3,
  inputDropout: 0.3,
  batchSize: 64,
  maxEpochs: 200,
  patience: 25,
  earlyStopping: 'auc',
};

/** MLPs (seeds memberSeed(seed, k)) whose mean logit the served model computes; see ensemble.ts. */
export const ENSEMBLE_SIZE = 5;

export const GBDT_OPTIONS: Omit<GbdtOptions, 'seed'> = {
  trees: 300,
  depth: 4,
  learningRate: 0.1,
  lambda: 1,
  minChildWeight: 1,
  maxBins: 64,
  subsample: 0.7,
  colsample: 0.7,
  patience: 0,
};

/**
 * The hybrid CNN (cnn.ts): three strided convolutions on the raw window beside the inputs, then the MLP
 * head, trained with the MLP's settings.
 */
export const CNN_OPTIONS: Omit<CnnOptions, 'seed'> = {
  ...TRAIN_OPTIONS,
  earlyStopping: 'auc',
  convs: [
    [8, 7, 2],
    [16, 5, 2],
    [16, 5, 2],
  ],
  keepAmplitude: true,
};

/** The model kind `vigil model train` builds without --kind. */
export const DEFAULT_KIND: ModelKind = 'mlp';

/** Everything model.json records: what the server needs plus how the model was made. */
export interface TrainedModelInfo extends Omit<ModelInfo, 'kind'> {
  kind?: ModelKind;
  seed: number;
  opset: number;
  mlOpset?: number;
  windowSeconds: number;
  /** Windows of the same channel (this one included) whose feature mean and SD each input row carries. */
  contextWindows: number;
  architecture: string;
  training:
    | (Omit<TrainOptions, 'seed'> & { ensemble: number; bestEpochs: number[]; epochs: number[] })
    | (Omit<CnnOptions, 'seed'> & {
        ensemble: number;
        bestEpochs: number[];
        epochs: number[];
        rawScales: Array<number | 'window'>;
      })
    | (Omit<GbdtOptions, 'seed'> & { treesKept: number });
  episodeRule: typeof DEFAULT_EPISODE_RULE;
  split: Record<SplitName, string[]>;
  /** The scalp windows of each split (`seizure/file`), absent when trained on Bonn alone. */
  scalpSplit?: Record<SplitName, string[]>;
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

interface Fitted {
  scores(x: Float32Array, n: number): Float64Array;
  hashInto(hash: ReturnType<typeof createHash>): void;
  architecture: string;
  training: TrainedModelInfo['training'];
  onnx(info: { modelVersion: string; docString: string; metadata: Record<string, string> }): Uint8Array;
}

type Fit = (
  train: Dataset,
  validation: Dataset,
  seed: number,
  started: number,
  log: (l: string) => void,
) => Fitted;

/** The float32 bytes of values, for the model-version hash. */
const f32 = (v: ArrayLike<number>) => Buffer.from(Float32Array.from(v).buffer);

const fitMlp: Fit = (train, validation, seed, started, log) => {
  const result = trainMlpEnsemble(train, validation, { ...TRAIN_OPTIONS, seed }, ENSEMBLE_SIZE);
  const bestEpochs = result.members.map((m) => m.bestEpoch);
  const epochs = result.members.map((m) => m.epochs);
  log(
    `trained: ${ENSEMBLE_SIZE} MLPs, best epochs ${bestEpochs.join(', ')} (of ${epochs.join(', ')}), ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const params: MlpParams = result.params;
  return {
    scores: (x, n) => predict(params, x, n),
    hashInto(hash) {
      for (const l of params.layers) hash.update(f32(l.weight)).update(f32(l.bias));
      hash.update(f32(params.inputMean)).update(f32(params.inputScale));
    },
    architecture: `mean logit of ${ENSEMBLE_SIZE} MLPs standardise(${INPUT_NAMES.length}) → ${TRAIN_OPTIONS.hidden.map((h) => `Gemm(${h}) → Relu`).join(' → ')} → Gemm(1), as one graph: standardise(${INPUT_NAMES.length}) → Gemm(${TRAIN_OPTIONS.hidden[0]! * ENSEMBLE_SIZE}) → Relu → ${TRAIN_OPTIONS.hidden
      .slice(1)
      .map((h) => `Split → ${ENSEMBLE_SIZE} × Gemm(${h}) → Concat → Relu`)
      .join(' → ')} → Gemm(1) → Sigmoid`,
    training: { ...TRAIN_OPTIONS, ensemble: ENSEMBLE_SIZE, bestEpochs, epochs },
    onnx: (info) => exportOnnx(params, info, ENSEMBLE_SIZE),
  };
};

const fitGbdt: Fit = (train, validation, seed, started, log) => {
  const result = trainGbdt(train, validation, { ...GBDT_OPTIONS, seed });
  log(`trained: ${result.bestTrees} trees, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const model: GbdtModel = result.model;
  return {
    scores: (x, n) => gbdtPredict(model, x, n),
    hashInto(hash) {
      hash.update(f32([model.baseScore]));
      for (const t of model.trees) {
        hash.update(Buffer.from(Int32Array.from(t.feature).buffer));
        hash.update(f32(t.threshold));
        hash.update(Buffer.from(Int32Array.from(t.left).buffer));
        hash.update(Buffer.from(Int32Array.from(t.right).buffer));
        hash.update(f32(t.value));
      }
    },
    architecture: `TreeEnsembleRegressor(${model.trees.length} trees, depth ≤ ${GBDT_OPTIONS.depth}, ${INPUT_NAMES.length} raw inputs) → Sigmoid`,
    training: { ...GBDT_OPTIONS, treesKept: model.trees.length },
    onnx: (info) => exportGbdtOnnx(model, info),
  };
};

const fitCnn: Fit = (train, validation, seed, started, log) => {
  const results = Array.from({ length: ENSEMBLE_SIZE }, (_, k) =>
    trainCnn(train, validation, INPUT_COUNT, { ...CNN_OPTIONS, seed: memberSeed(seed, k) }),
  );
  const bestEpochs = results.map((m) => m.bestEpoch);
  const epochs = results.map((m) => m.epochs);
  log(
    `trained: ${ENSEMBLE_SIZE} hybrid CNNs, best epochs ${bestEpochs.join(', ')} (of ${epochs.join(', ')}), ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const members: CnnParams[] = results.map((r) => r.params);
  const m0 = members[0]!;
  return {
    scores: (x, n) => cnnEnsemblePredict(members, x, n),
    hashInto(hash) {
      for (const m of members) {
        for (const c of m.convs) hash.update(f32(c.weight)).update(f32(c.bias));
        for (const l of m.head) hash.update(f32(l.weight)).update(f32(l.bias));
        hash.update(f32(m.inputMean)).update(f32(m.inputScale)).update(String(m.rawScale));
      }
    },
    architecture: `mean logit of ${ENSEMBLE_SIZE} hybrid CNNs: raw window (${m0.rawLength} samples, mean removed, × one scale) → ${m0.convs
      .map((c) => `Conv1d(${c.outCh}, k${c.kernel}, s${c.stride}) → Relu`)
      .join(
        ' → ',
      )} → global average + max pooling, Concat with standardise(${INPUT_COUNT}) → ${CNN_OPTIONS.hidden
      .map((h) => `Gemm(${h}) → Relu`)
      .join(' → ')} → Gemm(1); mean logit → Sigmoid`,
    training: {
      ...CNN_OPTIONS,
      ensemble: ENSEMBLE_SIZE,
      bestEpochs,
      epochs,
      rawScales: members.map((m) => m.rawScale),
    },
    onnx: (info) => exportCnnOnnx(members, info),
  };
};

const scalpName = (w: RecordingWindows) => `${w.recording.set}/${w.recording.name}`;

const FITS: Record<ModelKind, Fit> = { mlp: fitMlp, gbdt: fitGbdt, cnn: fitCnn };

export async function trainSeizureModel(opts: {
  bonnDir: string;
  /**
   * Scalp seizure windows (readScalpWindows) to train on beside Bonn; null: Bonn alone. One seizure's
   * windows are validation (`scalpValidation`), one may be held out entirely (`scalpTest`, for
   * leave-one-seizure-out).
   */
  scalpDir?: string | null;
  scalpValidation?: string;
  scalpTest?: string;
  seed: number;
  outDir: string;
  kind?: ModelKind;
  log?: (line: string) => void;
}): Promise<TrainReport> {
  const log = opts.log ?? (() => {});
  const kind = opts.kind ?? DEFAULT_KIND;
  const started = performance.now();
  const recordings = await readBonnDir(opts.bonnDir);
  const raw = usesRawWindow(kind);
  const windows = recordings.map((r) => recordingWindows(r, raw ? 1 : 0));
  const assignment = splitByRecording(
    windows.map((w) => ({ name: w.recording.name, set: w.recording.set, w })),
    opts.seed,
  );
  const of = (s: SplitName) => [...assignment].filter(([, v]) => v === s).map(([k]) => k.w);
  const scalp = opts.scalpDir
    ? scalpTrainingWindows(
        (await readScalpWindows(opts.scalpDir)).map((r) => recordingWindows(r, raw ? 1 : 0)),
      )
    : [];
  const scalpValidation = opts.scalpValidation ?? DEFAULT_SCALP_VALIDATION;
  const seizures = scalpSeizures(scalp.map((w) => w.recording));
  for (const g of [scalpValidation, opts.scalpTest])
    if (scalp.length > 0 && g !== undefined && !seizures.includes(g))
      throw new Error(`no scalp seizure ${g} in ${opts.scalpDir} (${seizures.join(', ')})`);
  if (opts.scalpTest !== undefined && opts.scalpTest === scalpValidation)
    throw new Error(`scalp seizure ${scalpValidation} cannot be both validation and test`);
  const scalpOf = (s: SplitName): RecordingWindows[] =>
    scalp.filter((w) => {
      const g = w.recording.set;
      const split: SplitName = g === opts.scalpTest ? 'test' : g === scalpValidation ? 'validation' : 'train';
      return split === s;
    });
  const dim = modelInputCount(kind);
  const train = toDataset([...of('train'), ...scalpOf('train')], dim);
  const validation = toDataset([...of('validation'), ...scalpOf('validation')], dim);
  log(
    `recordings: ${recordings.length} (train ${of('train').length}, validation ${of('validation').length}, test ${of('test').length})${scalp.length > 0 ? `; scalp windows: ${scalp.length} of ${seizures.length} seizures (train ${scalpOf('train').length}, validation ${scalpOf('validation').length}: ${scalpValidation}, test ${scalpOf('test').length}${opts.scalpTest ? `: ${opts.scalpTest}` : ''})` : ''}; rows: train ${train.n}, validation ${validation.n}`,
  );
  const fitted = FITS[kind](train, validation, opts.seed, started, log);

  const valScores = fitted.scores(validation.x, validation.n);
  const threshold = chooseThreshold(validation.y, valScores);
  const valConfusion = confusion(
    validation.y,
    Array.from(valScores, (s) => (s >= threshold ? 1 : 0)),
  );
  const valAuc = rocAuc(validation.y, valScores);

  const hash = createHash('sha256');
  fitted.hashInto(hash);
  hash.update(String(threshold));
  const modelVersion = `seizure-${kind}-1+${hash.digest('hex').slice(0, 10)}`;
  const architecture = fitted.architecture;

  const onnx = fitted.onnx({
    modelVersion,
    docString: `Vigil seizure detector: per 1-s single-channel EEG window at ${MODEL_RATE_HZ} Hz, ${INPUT_NAMES.length} inputs (the window's features, their mean and SD over the channel's last ${CONTEXT_WINDOWS} windows, and its amplitude relative to the channel's running baseline and the montage)${raw ? ` and the window's ${modelInputCount(kind) - INPUT_COUNT} resampled samples` : ''} → seizure probability. Trained on the Bonn EEG sets (Andrzejak et al. 2001), split by recording${scalp.length > 0 ? ', and the CHB-MIT chb01 seizure windows, split by seizure' : ''}, seed ${opts.seed}.`,
    metadata: {
      threshold: String(threshold),
      features: modelInputNames(kind).join(','),
      model_rate_hz: String(MODEL_RATE_HZ),
    },
  });
  const bySplit = (s: SplitName) => of(s).map((w) => `${w.recording.set}/${w.recording.name}`);
  const info: TrainedModelInfo = {
    modelVersion,
    // written only for non-MLP models, so an MLP retrain stays byte-identical to older model.json files
    ...(kind === 'mlp' ? {} : { kind }),
    threshold,
    modelRateHz: MODEL_RATE_HZ,
    featureNames: [...modelInputNames(kind)],
    onnxSha256: createHash('sha256').update(onnx).digest('hex'),
    seed: opts.seed,
    opset: OPSET,
    ...(kind === 'gbdt' ? { mlOpset: ML_OPSET } : {}),
    windowSeconds: WINDOW_SECONDS,
    contextWindows: CONTEXT_WINDOWS,
    architecture,
    training: fitted.training,
    episodeRule: DEFAULT_EPISODE_RULE,
    split: { train: bySplit('train'), validation: bySplit('validation'), test: bySplit('test') },
    ...(scalp.length > 0
      ? {
          scalpSplit: {
            train: scalpOf('train').map(scalpName),
            validation: scalpOf('validation').map(scalpName),
            test: scalpOf('test').map(scalpName),
          },
        }
      : {}),
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
