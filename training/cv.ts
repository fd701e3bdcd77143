// Scratch cross-validation by recording for model choices (never looks at the test split).
// The 320 non-test recordings of the seed-1 split are cut into 5 folds by recording, stratified by set.
// For each outer fold: 3 folds train, the next fold is the inner validation (early stopping and the
// threshold, chosen by the same rule as `vigil model train`), the outer fold is scored. Figures are
// pooled over the 5 outer folds. Also prints the validation-split figures of training on the train split.
//
// Run: nice -n 19 npx tsx training/cv.ts [--bonn DIR] [options] [candidate ...]
//   --raw K        append the resampled samples of the last K windows to each row (cnn candidates: K 1 or 8)
//   --candidates   append the 12 scratch features of candidate-features.ts (CV_CANDIDATES=a,b keeps some)
//   --sens99       threshold = highest one keeping ≥ 99 % of the (inner) validation seizure windows,
//                  instead of the best sensitivity + specificity (the rule of `vigil model train`)
//   --auc          first print each feature's single-feature AUC for set E against set D windows
//   --verbose      name the recordings that fire and the windows beyond the 98.7 %-sensitivity threshold
//   --no-validation  skip the train-split / validation-split run
// Columns: pooled window sensitivity, specificity and ROC AUC; seizure recordings the episode rule
// finds and normal recordings it fires on; "spec@sens98.7" is the specificity of the single pooled
// threshold that keeps 98.7 % window sensitivity (informative only: that threshold is chosen on the
// scored windows themselves); FP = false-positive windows per set. "train(in)" scores the training
// recordings themselves (not held out).

import path from 'node:path';
import { parseArgs } from 'node:util';
import { sharedDir } from '../config/env.ts';
import { DEFAULT_EPISODE_RULE, runEpisodes } from '../functions/seizure-detector/episode.ts';
import {
  FEATURE_INPUT_COUNT as INPUT_COUNT,
  FEATURE_INPUT_NAMES as INPUT_NAMES,
} from '../functions/seizure-detector/model-inputs.ts';
import { WINDOW_SAMPLES } from '../functions/seizure-detector/preprocess.ts';
import { readBonnDir } from '../recordings/bonn.ts';
import { CANDIDATE_NAMES, withCandidates } from './candidate-features.ts';
import { type CnnOptions, cnnEnsemblePredict, cnnPredict, trainCnn } from './cnn.ts';
import { columns, type RecordingWindows, recordingWindows, toDataset } from './dataset.ts';
import { memberSeed, trainMlpEnsemble } from './ensemble.ts';
import { type GbdtOptions, gbdtPredict, trainGbdt } from './gbdt.ts';
import { confusion, rocAuc } from './metrics.ts';
import { type Dataset, predict, trainMlp } from './mlp.ts';
import { mulberry32, shuffle } from './rng.ts';
import { splitByRecording } from './split.ts';
import { CNN_OPTIONS, chooseThreshold, GBDT_OPTIONS, TRAIN_OPTIONS } from './train.ts';

type Scorer = (train: Dataset, validation: Dataset) => (x: Float32Array, n: number) => Float64Array;

/** The trained settings without row/feature subsampling, as the cross-validation's starting point. */
const GBDT_BASE: GbdtOptions = { ...GBDT_OPTIONS, subsample: 1, colsample: 1, seed: 1 };

const gbdt =
  (o: Partial<GbdtOptions>): Scorer =>
  (train, validation) => {
    const r = trainGbdt(train, validation, { ...GBDT_BASE, ...o });
    return (x, n) => gbdtPredict(r.model, x, n);
  };
const mlpWith =
  (o: Partial<typeof TRAIN_OPTIONS>): Scorer =>
  (train, validation) => {
    const r = trainMlp(train, validation, { ...TRAIN_OPTIONS, ...o, seed: 1 });
    return (x, n) => predict(r.params, x, n);
  };
const mlp = mlpWith({});
const ensembleOf =
  (size: number, o: Partial<typeof TRAIN_OPTIONS>): Scorer =>
  (train, validation) => {
    const r = trainMlpEnsemble(train, validation, { ...TRAIN_OPTIONS, ...o, seed: 1 }, size);
    return (x, n) => predict(r.params, x, n);
  };
const average =
  (a: Scorer, b: Scorer): Scorer =>
  (train, validation) => {
    const fa = a(train, validation);
    const fb = b(train, validation);
    return (x, n) => {
      const pa = fa(x, n);
      const pb = fb(x, n);
      return pa.map((v, i) => (v + pb[i]!) / 2);
    };
  };

/** Hybrid CNN settings (--raw 1): those of `vigil model train --kind cnn`, each window standardised on its own. */
const CNN_BASE: Omit<CnnOptions, 'seed'> = { ...CNN_OPTIONS, keepAmplitude: false };
/** Convolutions for 8 s (1024 samples): 255 → 126 → 61 → 29 steps. */
const CNN_8S: CnnOptions['convs'] = [
  [8, 7, 4],
  [16, 5, 2],
  [16, 5, 2],
  [16, 5, 2],
];
const cnnWith =
  (o: Partial<CnnOptions>): Scorer =>
  (train, validation) => {
    const r = trainCnn(train, validation, INPUT_COUNT, { ...CNN_BASE, ...o, seed: 1 });
    process.stderr.write(`  cnn best epoch ${r.bestEpoch} of ${r.epochs}\n`);
    return (x, n) => cnnPredict(r.params, x, n);
  };

/** The raw-window part of every row only: the CNN without the features. */
const rawOnly = (d: Dataset): Dataset => columns(d, INPUT_COUNT);
const cnnRawOnly =
  (o: Partial<CnnOptions>): Scorer =>
  (train, validation) => {
    const r = trainCnn(rawOnly(train), rawOnly(validation), 0, { ...CNN_BASE, ...o, seed: 1 });
    process.stderr.write(`  cnn-raw-only best epoch ${r.bestEpoch} of ${r.epochs}\n`);
    return (x, n) => {
      const d = rawOnly({ x, y: new Uint8Array(n), n, dim: x.length / n });
      return cnnPredict(r.params, d.x, n);
    };
  };
/** The MLP on the features part of every row (for averaging with a raw-window model). */
const featuresOnly =
  (s: Scorer): Scorer =>
  (train, validation) => {
    const cut = (d: Dataset): Dataset => columns(d, 0, INPUT_COUNT);
    const f = s(cut(train), cut(validation));
    return (x, n) => f(cut({ x, y: new Uint8Array(n), n, dim: x.length / n }).x, n);
  };

/** Mean logit of `size` hybrid CNNs with member seeds memberSeed(1, k), as the MLP ensemble. */
const cnnEnsemble =
  (size: number, o: Partial<CnnOptions>): Scorer =>
  (train, validation) => {
    const members = Array.from({ length: size }, (_, k) =>
      trainCnn(train, validation, INPUT_COUNT, { ...CNN_BASE, ...o, seed: memberSeed(1, k) }),
    );
    process.stderr.write(`  cnn ensemble best epochs ${members.map((m) => m.bestEpoch).join(', ')}\n`);
    const params = members.map((m) => m.params);
    return (x, n) => cnnEnsemblePredict(params, x, n);
  };

export const CANDIDATES: Record<string, Scorer> = {
  'cnn-amplitude-ensemble5': cnnEnsemble(5, { keepAmplitude: true }),
  cnn: cnnWith({}),
  'cnn-raw-only': cnnRawOnly({}),
  'cnn-raw-only-amplitude': cnnRawOnly({ keepAmplitude: true }),
  'mlp+cnn-raw-only-amplitude': average(featuresOnly(mlp), cnnRawOnly({ keepAmplitude: true })),
  'cnn-amplitude': cnnWith({ keepAmplitude: true }),
  // with --raw 8: the last 8 seconds of samples
  'cnn-8s': cnnWith({ convs: CNN_8S }),
  'cnn-8s-amplitude': cnnWith({ convs: CNN_8S, keepAmplitude: true }),
  'cnn-stop-loss': cnnWith({ earlyStopping: 'loss' }),
  'cnn-wide': cnnWith({
    convs: [
      [16, 7, 2],
      [32, 5, 2],
      [32, 5, 2],
    ],
  }),
  mlp,
  'mlp-stop-loss': mlpWith({ earlyStopping: 'loss' }),
  'mlp-40-epochs': mlpWith({ maxEpochs: 40, patience: 1000 }),
  'mlp-lr3e-4': mlpWith({ learningRate: 3e-4 }),
  'mlp-lr3e-4-stop-loss': mlpWith({ learningRate: 3e-4, earlyStopping: 'loss' }),
  'mlp-32-16': mlpWith({ hidden: [32, 16] }),
  'mlp-ensemble5-stop-loss': ensembleOf(5, { earlyStopping: 'loss' }),
  'mlp-ensemble5-stop-auc': ensembleOf(5, { earlyStopping: 'auc' }),
  'gbdt-d3-300-lr0.1': gbdt({ depth: 3 }),
  'gbdt-d4-300-lr0.1': gbdt({}),
  'gbdt-d5-300-lr0.1': gbdt({ depth: 5 }),
  'gbdt-d4-600-lr0.05': gbdt({ trees: 600, learningRate: 0.05 }),
  'gbdt-d4-300-lr0.1-sub0.7-col0.7': gbdt({ subsample: 0.7, colsample: 0.7 }),
  'gbdt-d4-es50': gbdt({ trees: 1000, patience: 50 }),
  'gbdt-d3-600-lr0.05-mcw5-l5': gbdt({
    depth: 3,
    trees: 600,
    learningRate: 0.05,
    minChildWeight: 5,
    lambda: 5,
  }),
  'mlp+gbdt-d4': average(mlp, gbdt({})),
  'gbdt-d2-300-lr0.1': gbdt({ depth: 2 }),
  'gbdt-d3-150-lr0.1-mcw20-l10-sub0.5': gbdt({
    depth: 3,
    trees: 150,
    minChildWeight: 20,
    lambda: 10,
    subsample: 0.5,
  }),
  'gbdt-d4-100-lr0.1': gbdt({ trees: 100 }),
  'gbdt-d6-300-lr0.05-sub0.5-col0.5': gbdt({ depth: 6, learningRate: 0.05, subsample: 0.5, colsample: 0.5 }),
};

function folds(items: RecordingWindows[], k: number, seed: number): RecordingWindows[][] {
  const rng = mulberry32(seed);
  const out: RecordingWindows[][] = Array.from({ length: k }, () => []);
  const bySet = new Map<string, RecordingWindows[]>();
  for (const it of [...items].sort((a, b) =>
    a.recording.set + a.recording.name < b.recording.set + b.recording.name ? -1 : 1,
  ))
    bySet.set(it.recording.set, [...(bySet.get(it.recording.set) ?? []), it]);
  for (const set of [...bySet.keys()].sort())
    shuffle(bySet.get(set)!, rng).forEach((it, i) => {
      out[i % k]!.push(it);
    });
  return out;
}

/** Alternative threshold rule: the highest threshold that keeps ≥ minSens of the validation seizure windows. */
function sensitivityThreshold(truth: ArrayLike<number>, scores: ArrayLike<number>, minSens = 0.99): number {
  const pos = Array.from(scores)
    .filter((_, i) => truth[i] === 1)
    .sort((a, b) => a - b);
  return pos[Math.floor(pos.length * (1 - minSens))]!;
}

const chooseT = (truth: ArrayLike<number>, scores: ArrayLike<number>) =>
  values.sens99 ? sensitivityThreshold(truth, scores) : chooseThreshold(truth, scores);

interface Scored {
  rec: RecordingWindows;
  scores: Float64Array;
  threshold: number;
}

function report(name: string, what: string, scored: Scored[]): void {
  const truth: number[] = [];
  const score: number[] = [];
  const pred: number[] = [];
  let seizureFound = 0;
  let seizureTotal = 0;
  let normalFired = 0;
  let normalTotal = 0;
  const fpBySet = new Map<string, number>();
  const firedNames: string[] = [];
  for (const s of scored) {
    const label = s.rec.recording.label;
    const pos = Array.from(s.scores, (v) => v >= s.threshold);
    for (let i = 0; i < s.scores.length; i++) {
      truth.push(label);
      score.push(s.scores[i]!);
      pred.push(pos[i] ? 1 : 0);
      if (!label && pos[i]) fpBySet.set(s.rec.recording.set, (fpBySet.get(s.rec.recording.set) ?? 0) + 1);
    }
    const fired = runEpisodes(
      DEFAULT_EPISODE_RULE,
      pos.map((positive, i) => ({ startMs: i * 1000, positive })),
    ).transitions.some((t) => t.kind === 'onset');
    if (label) {
      seizureTotal++;
      if (fired) seizureFound++;
    } else {
      normalTotal++;
      if (fired) {
        normalFired++;
        firedNames.push(`${s.rec.recording.set}/${s.rec.recording.name}`);
      }
    }
  }
  const c = confusion(truth, pred);
  // informative only: the best specificity any single threshold gives at ≥ 98.7 % window sensitivity
  const posScores = score.filter((_, i) => truth[i] === 1).sort((a, b) => a - b);
  const tOracle = posScores[Math.floor(posScores.length * (1 - 0.987))]!;
  const oracle = confusion(
    truth,
    score.map((v) => (v >= tOracle ? 1 : 0)),
  );
  const pct = (v: number) => (v * 100).toFixed(2);
  if (values.verbose) {
    const low = new Map<string, number>();
    const high = new Map<string, number>();
    for (const s of scored)
      for (const v of s.scores) {
        const key = `${s.rec.recording.set}/${s.rec.recording.name}`;
        if (s.rec.recording.label && v < tOracle) low.set(key, (low.get(key) ?? 0) + 1);
        if (!s.rec.recording.label && v >= tOracle) high.set(key, (high.get(key) ?? 0) + 1);
      }
    const fmt = (m: Map<string, number>) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k}:${v}`)
        .join(' ');
    process.stdout.write(
      `  at sens 98.7: seizure windows below: ${fmt(low)}\n  normal windows above: ${fmt(high)}\n`,
    );
  }
  process.stdout.write(
    `${name.padEnd(34)} ${what.padEnd(10)} sens ${pct(c.sensitivity)} spec ${pct(c.specificity)} AUC ${rocAuc(truth, score).toFixed(4)}` +
      ` | seizure recs ${seizureFound}/${seizureTotal} normal fired ${normalFired}/${normalTotal}` +
      ` | spec@sens98.7 ${pct(oracle.specificity)} | FP ${[...fpBySet].map(([k, v]) => `${k}:${v}`).join(' ')}` +
      `${values.verbose && firedNames.length ? ` | fired ${firedNames.join(' ')}` : ''}\n`,
  );
}

const { values, positionals } = parseArgs({
  options: {
    bonn: { type: 'string' },
    'no-validation': { type: 'boolean' },
    candidates: { type: 'boolean' },
    raw: { type: 'string' },
    auc: { type: 'boolean' },
    sens99: { type: 'boolean' },
    verbose: { type: 'boolean' },
  },
  allowPositionals: true,
});
const bonnDir = path.resolve(values.bonn ?? path.join(sharedDir(), 'data/eeg/bonn'));
const recordings = await readBonnDir(bonnDir);
if (values.raw && values.candidates) throw new Error('--raw and --candidates do not combine');
const rawWindows = values.raw === undefined ? 0 : Number(values.raw);
if (!Number.isInteger(rawWindows) || rawWindows < 0) throw new Error('--raw takes a window count');
const dim = INPUT_COUNT + (values.candidates ? CANDIDATE_NAMES.length : 0) + rawWindows * WINDOW_SAMPLES;
const windows = recordings.map((r) => {
  const w = recordingWindows(r, rawWindows);
  return values.candidates ? withCandidates(w, INPUT_COUNT) : w;
});
const toDs = (items: RecordingWindows[]) => toDataset(items, dim);
const assignment = splitByRecording(
  windows.map((w) => ({ name: w.recording.name, set: w.recording.set, w })),
  1,
);
const bySplit = (s: string) => [...assignment].filter(([, v]) => v === s).map(([k]) => k.w);
const pool = [...bySplit('train'), ...bySplit('validation')];
const k = 5;
const fs = folds(pool, k, 1001);
if (values.auc) {
  // single-feature separation of set E from set D windows (AUC of the feature as a score; 0.5 = none)
  const names = [...INPUT_NAMES, ...(values.candidates ? CANDIDATE_NAMES : [])];
  const de = pool.filter((w) => w.recording.set === 'setD' || w.recording.set === 'setE');
  const d = toDs(de);
  for (let j = 0; j < dim; j++) {
    const col = Array.from({ length: d.n }, (_, r) => d.x[r * dim + j]!);
    const auc = rocAuc(d.y, col);
    process.stdout.write(`${names[j]!.padEnd(28)} D-vs-E AUC ${Math.max(auc, 1 - auc).toFixed(4)}\n`);
  }
}
const names = positionals.length ? positionals : Object.keys(CANDIDATES);
for (const name of names) {
  const scorer = CANDIDATES[name];
  if (!scorer) throw new Error(`unknown candidate ${name}; known: ${Object.keys(CANDIDATES).join(', ')}`);
  const started = performance.now();
  const scored: Scored[] = [];
  for (let f = 0; f < k; f++) {
    const inner = fs[(f + 1) % k]!;
    const trainRecs = fs.filter((_, i) => i !== f && i !== (f + 1) % k).flat();
    const run = scorer(toDs(trainRecs), toDs(inner));
    const innerD = toDs(inner);
    const threshold = chooseT(innerD.y, run(innerD.x, innerD.n));
    for (const rec of fs[f]!) scored.push({ rec, scores: run(rec.features, rec.nWindows), threshold });
  }
  report(name, 'cv-5fold', scored);
  if (!values['no-validation']) {
    const trainD = toDs(bySplit('train'));
    const valD = toDs(bySplit('validation'));
    const run = scorer(trainD, valD);
    const threshold = chooseT(valD.y, run(valD.x, valD.n));
    report(
      name,
      'train(in)',
      bySplit('train').map((rec) => ({ rec, scores: run(rec.features, rec.nWindows), threshold })),
    );
    report(
      name,
      'validation',
      bySplit('validation').map((rec) => ({ rec, scores: run(rec.features, rec.nWindows), threshold })),
    );
  }
  process.stderr.write(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
