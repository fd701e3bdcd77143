// `vigil model train | evaluate`: train the seizure model from the Bonn recordings, and evaluate the
// served detector (same preprocessing, same ONNX session, same episode rule) on Bonn dirs or EDF files.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { seizureModelDir, sharedDir } from '../../config/env.ts';
import { projectPath } from '../../config/project-root.ts';
import { DEFAULT_EPISODE_RULE, type EpisodeRule } from '../../functions/seizure-detector/episode.ts';
import { loadSeizureModel, MODEL_KINDS, type ModelKind } from '../../functions/seizure-detector/model.ts';
import { BonnFormatError } from '../../recordings/bonn.ts';
import { EdfFormatError } from '../../recordings/edf.ts';
import { type BonnEvaluation, evaluateBonn, evaluateEdf } from '../../training/evaluate.ts';
import { leaveOneSeizureOut, losoReport } from '../../training/loso.ts';
import { formatConfusion } from '../../training/metrics.ts';
import { DEFAULT_KIND, DEFAULT_SCALP_VALIDATION, trainSeizureModel } from '../../training/train.ts';
import { UsageError } from '../usage-error.ts';

const DEFAULT_BONN = path.join(sharedDir(), 'data/eeg/bonn');
const DEFAULT_OUT = projectPath('models/seizure');
const DEFAULT_SCALP = path.join(sharedDir(), 'data/eeg/chbmit-chb01/windows');
const CHB01_DIR = path.join(sharedDir(), 'data/eeg/chbmit-chb01');

const USAGE = `Usage:
  vigil model train [--bonn DIR] [--scalp DIR|none] [--scalp-validation SEIZURE] [--seed N]
                    [--kind mlp|gbdt|cnn] [--out DIR]
      Train the seizure model on a Bonn-layout dir (default ${path.relative(process.cwd(), DEFAULT_BONN) || DEFAULT_BONN}),
      split by recording (60/20/20, stratified by set, seeded), and on scalp seizure windows
      (*_ictal.edf, *_preictal10s.edf; default ${path.relative(process.cwd(), DEFAULT_SCALP) || DEFAULT_SCALP}),
      split by seizure (--scalp-validation, default ${DEFAULT_SCALP_VALIDATION}, is validation, the others train):
      an MLP ensemble with Adam and early stopping, gradient-boosted trees, or hybrid CNNs on the raw
      window and the inputs (--kind, default ${DEFAULT_KIND}), threshold on validation; writes
      model.onnx and model.json to DIR (default models/seizure). --seed defaults to 1.
  vigil model loso [--bonn DIR] [--scalp DIR] [--seed N] [--out DIR] [--only SEIZURE,...] [--json]
      Leave-one-seizure-out on the scalp windows: per seizure, a model trained without it (written to
      DIR/<seizure>, default /tmp/vigil-loso), and each of its windows run alone through the served
      detector. The fold of chb01_03 also scores the chb01_03 excerpts next to the windows dir.
  vigil model evaluate --bonn DIR [--split train|validation|test] [--model DIR] [--json]
      Run the served detector over every recording of a Bonn-layout dir (setA..setE, any subset;
      A-D label 0, E label 1): per-window and per-recording confusion matrices. A recording counts
      as seizure when the episode rule that raises alerts fires on it. --split keeps only the
      recordings the model's training put in that split.
  vigil model evaluate --edf FILE [--model DIR] [--json]
      Both take --rule P/W: score with another episode rule (P of the last W seconds) than the served one.
      Per-second seizure probabilities of an EDF/EDF+ file and whether/when the episode rule fires.`;

function fail(message: string): number {
  process.stderr.write(`vigil model: ${message}\n`);
  return 2;
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  try {
    if (sub === 'train') return await train(rest);
    if (sub === 'evaluate') return await evaluate(rest);
    if (sub === 'loso') return await loso(rest);
    throw new UsageError(`unknown subcommand "${sub}" (expected train, evaluate or loso)`);
  } catch (err) {
    if (err instanceof UsageError) return fail(`${err.message}\n${USAGE}`);
    if (err instanceof BonnFormatError || err instanceof EdfFormatError) return fail(err.message);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fail((err as Error).message);
    if (err instanceof Error && /model\.json|model\.onnx|sampling rates/.test(err.message))
      return fail(err.message);
    throw err;
  }
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function train(args: string[]): Promise<number> {
  const { values } = parse(args, {
    bonn: { type: 'string' },
    scalp: { type: 'string' },
    'scalp-validation': { type: 'string' },
    seed: { type: 'string' },
    kind: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const seed = parseSeed(values.seed as string | undefined);
  const scalp = (values.scalp as string | undefined) ?? DEFAULT_SCALP;
  const kind = (values.kind as string | undefined) ?? DEFAULT_KIND;
  if (!(MODEL_KINDS as readonly string[]).includes(kind))
    throw new UsageError(`--kind must be one of ${MODEL_KINDS.join(', ')}, got "${kind}"`);
  await trainSeizureModel({
    bonnDir: path.resolve((values.bonn as string | undefined) ?? DEFAULT_BONN),
    scalpDir: scalp === 'none' ? null : path.resolve(scalp),
    ...(values['scalp-validation'] ? { scalpValidation: values['scalp-validation'] as string } : {}),
    seed,
    kind: kind as ModelKind,
    outDir: path.resolve((values.out as string | undefined) ?? DEFAULT_OUT),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  return 0;
}

function parseSeed(text = '1'): number {
  const seed = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed))
    throw new UsageError(`--seed must be a non-negative integer, got "${text}"`);
  return seed;
}

async function loso(args: string[]): Promise<number> {
  const { values } = parse(args, {
    bonn: { type: 'string' },
    scalp: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    only: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const results = await leaveOneSeizureOut({
    bonnDir: path.resolve((values.bonn as string | undefined) ?? DEFAULT_BONN),
    scalpDir: path.resolve((values.scalp as string | undefined) ?? DEFAULT_SCALP),
    seed: parseSeed(values.seed as string | undefined),
    outDir: path.resolve((values.out as string | undefined) ?? '/tmp/vigil-loso'),
    extra: {
      seizure: 'chb01_03',
      files: [
        { file: path.join(CHB01_DIR, 'chb01_03_Seizure.edf'), label: 1 },
        { file: path.join(CHB01_DIR, 'chb01_03_NonSeizure.edf'), label: 0 },
      ],
    },
    ...(values.only ? { only: (values.only as string).split(',') } : {}),
    log: values.json ? undefined : (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(values.json ? `${JSON.stringify(results)}\n` : `${losoReport(results)}\n`);
  return 0;
}

async function evaluate(args: string[]): Promise<number> {
  const { values } = parse(args, {
    bonn: { type: 'string' },
    edf: { type: 'string' },
    split: { type: 'string' },
    model: { type: 'string' },
    rule: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const rule = parseRule(values.rule as string | undefined);
  const bonn = values.bonn as string | undefined;
  const edf = values.edf as string | undefined;
  if ((bonn === undefined) === (edf === undefined))
    throw new UsageError('give exactly one of --bonn DIR or --edf FILE');
  const split = values.split as string | undefined;
  if (split !== undefined && !['train', 'validation', 'test'].includes(split))
    throw new UsageError(`--split must be train, validation or test, got "${split}"`);
  if (split !== undefined && edf !== undefined) throw new UsageError('--split applies to --bonn only');
  const modelDir = path.resolve((values.model as string | undefined) ?? seizureModelDir());
  const model = await loadSeizureModel(modelDir);

  if (edf !== undefined) {
    const r = await evaluateEdf(model, path.resolve(edf), rule);
    const onset = r.transitions.find((t) => t.kind === 'onset');
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({
          file: edf,
          modelVersion: model.info.modelVersion,
          threshold: model.info.threshold,
          sampleRateHz: r.sampleRateHz,
          channels: r.labels.length,
          seconds: r.windows.map((w) => ({
            startS: w.startS,
            probability: w.probability,
            positive: w.positive,
          })),
          fired: r.fired,
          episodeStartS: onset?.episodeStartS ?? null,
          alertAtS: onset ? onset.windowStartS + 1 : null,
          transitions: r.transitions,
        })}\n`,
      );
      return 0;
    }
    const lines = [
      `${edf}: ${r.labels.length} channels at ${r.sampleRateHz} Hz, ${r.durationS.toFixed(1)} s; model ${model.info.modelVersion}, threshold ${model.info.threshold}`,
      'second  probability  positive  (window probability = mean of the top quarter of channels)',
      ...r.windows.map(
        (w) =>
          `${w.startS.toFixed(0).padStart(6)}  ${w.probability.toFixed(4).padStart(11)}  ${w.positive ? '   yes' : '    no'}`,
      ),
      onset
        ? `episode rule FIRES: alert raised after the window starting at ${onset.windowStartS.toFixed(1)} s (i.e. at ${(onset.windowStartS + 1).toFixed(1)} s), episode start ${onset.episodeStartS.toFixed(1)} s`
        : 'episode rule does not fire: no alert',
      ...r.transitions
        .filter((t) => t.kind === 'end')
        .map((t) => `episode ended at the window starting ${t.windowStartS.toFixed(1)} s (alert cleared)`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  }

  let only: Set<string> | undefined;
  if (split !== undefined) {
    const info = JSON.parse(await readFile(path.join(modelDir, 'model.json'), 'utf8')) as {
      split?: Record<string, string[]>;
    };
    const names = info.split?.[split];
    if (!names) throw new Error(`${path.join(modelDir, 'model.json')}: no "${split}" split recorded`);
    only = new Set(names);
  }
  const r = await evaluateBonn(model, path.resolve(bonn!), only, rule);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(jsonReport(r, model.info.modelVersion, model.info.threshold, split, rule))}\n`,
    );
    return 0;
  }
  process.stdout.write(`${textReport(r, model.info.modelVersion, model.info.threshold, split, rule)}\n`);
  return 0;
}

/** `--rule P/W`: an episode starts when P of the last W windows are positive (default: the served rule). */
function parseRule(text: string | undefined): EpisodeRule {
  if (text === undefined) return DEFAULT_EPISODE_RULE;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const p = m ? Number(m[1]) : 0;
  const w = m ? Number(m[2]) : 0;
  if (!m || p < 1 || w < p || w > 60)
    throw new UsageError(
      `--rule must be P/W with 1 <= P <= W <= 60 (P of the last W windows), got "${text}"`,
    );
  return { ...DEFAULT_EPISODE_RULE, onsetPositives: p, onsetWindow: w };
}

function jsonReport(
  r: BonnEvaluation,
  modelVersion: string,
  threshold: number,
  split: string | undefined,
  rule: EpisodeRule,
) {
  return {
    modelVersion,
    threshold,
    split: split ?? 'all',
    episodeRule: rule,
    windows: { ...r.windowConfusion, rocAuc: r.windowRocAuc },
    recordings: r.recordingConfusion,
    perRecording: r.recordings,
  };
}

function textReport(
  r: BonnEvaluation,
  modelVersion: string,
  threshold: number,
  split: string | undefined,
  rule: EpisodeRule,
): string {
  const perSet = new Map<string, { n: number; fired: number; windows: number; positives: number }>();
  for (const rec of r.recordings) {
    const s = perSet.get(rec.set) ?? { n: 0, fired: 0, windows: 0, positives: 0 };
    s.n++;
    s.fired += rec.fired ? 1 : 0;
    s.windows += rec.windows;
    s.positives += rec.positiveWindows;
    perSet.set(rec.set, s);
  }
  const wrong = r.recordings.filter((x) => x.fired !== (x.label === 1));
  return [
    `model ${modelVersion}, threshold ${threshold}, recordings: ${r.recordings.length} (${split ? `${split} split` : 'all'})`,
    `episode rule: ${rule.onsetPositives} of the last ${rule.onsetWindow} windows positive → seizure; ends after ${rule.endNegatives} negative windows`,
    '',
    'per set:  recordings  rule fired  windows  positive windows',
    ...[...perSet].map(
      ([set, s]) =>
        `  ${set.padEnd(6)}  ${String(s.n).padStart(10)}  ${String(s.fired).padStart(10)}  ${String(s.windows).padStart(7)}  ${String(s.positives).padStart(16)}`,
    ),
    '',
    formatConfusion('windows (1 s each):', r.windowConfusion),
    `  ROC AUC ${r.windowRocAuc.toFixed(4)}`,
    '',
    formatConfusion('recordings (episode rule):', r.recordingConfusion),
    '',
    wrong.length === 0
      ? 'misclassified recordings: none'
      : `misclassified recordings: ${wrong.map((x) => `${x.set}/${x.name} (${x.positiveWindows}/${x.windows} windows positive)`).join(', ')}`,
  ].join('\n');
}
