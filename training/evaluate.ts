// Evaluation through the SERVED path: each recording is cut into the ≤ 10-s chunks a device would send,
// every chunk goes through detectChunk() (same preprocessing, same ONNX session, the previous chunk's
// window history as context) and the windows through the same episode rule that raises alerts. A
// recording counts as seizure when that rule fires on it.

import type { WindowHistory } from '../functions/seizure-detector/context.ts';
import { detectChunk } from '../functions/seizure-detector/detect.ts';
import {
  DEFAULT_EPISODE_RULE,
  type EpisodeRule,
  type EpisodeTransition,
  runEpisodes,
} from '../functions/seizure-detector/episode.ts';
import type { SeizureModel } from '../functions/seizure-detector/model.ts';
import { recordingChunks, WINDOW_SECONDS } from '../functions/seizure-detector/preprocess.ts';
import { listBonnDir, readBonnFile } from '../recordings/bonn.ts';
import { readEdfFile } from '../recordings/edf.ts';
import { type Confusion, confusion, rocAuc } from './metrics.ts';

export interface WindowResult {
  /** Seconds from the recording start. */
  startS: number;
  probability: number;
  channelProbabilities: number[];
  positive: boolean;
}

export interface RecordingEvaluation {
  windows: WindowResult[];
  transitions: Array<EpisodeTransition & { episodeStartS: number; windowStartS: number }>;
  fired: boolean;
}

/** Runs one multi-channel recording through the served path, chunk by chunk, from a fresh episode state. */
export async function evaluateSignals(
  model: SeizureModel,
  channels: ReadonlyArray<Float64Array>,
  sampleRateHz: number,
  rule: EpisodeRule = DEFAULT_EPISODE_RULE,
): Promise<RecordingEvaluation> {
  const perChannel = channels.map((c) => recordingChunks(c, sampleRateHz));
  const chunkCount = perChannel[0]?.length ?? 0;
  const windows: WindowResult[] = [];
  let chunkStartS = 0;
  let history: WindowHistory | null = null;
  for (let k = 0; k < chunkCount; k++) {
    const chunk = perChannel.map((parts) => parts[k]!);
    const d = await detectChunk(model, chunk, sampleRateHz, history);
    history = d.history;
    for (const [w, p] of d.windowScores.entries())
      windows.push({
        startS: chunkStartS + w * WINDOW_SECONDS,
        probability: p,
        channelProbabilities: d.windowProbabilities[w]!,
        positive: d.positives[w]!,
      });
    chunkStartS += chunk[0]!.length / sampleRateHz;
  }
  const { transitions } = runEpisodes(
    rule,
    windows.map((w) => ({ startMs: Math.round(w.startS * 1000), positive: w.positive })),
  );
  return {
    windows,
    transitions: transitions.map((t) => ({
      ...t,
      episodeStartS: t.episodeStartMs / 1000,
      windowStartS: t.windowStartMs / 1000,
    })),
    fired: transitions.some((t) => t.kind === 'onset'),
  };
}

export interface BonnRecordingResult {
  set: string;
  name: string;
  label: 0 | 1;
  windows: number;
  positiveWindows: number;
  fired: boolean;
  /** Seconds from the recording start to the window where the episode rule fired. */
  firstAlertS: number | null;
}

export interface BonnEvaluation {
  recordings: BonnRecordingResult[];
  windowConfusion: Confusion;
  recordingConfusion: Confusion;
  windowRocAuc: number;
}

/** Evaluates every recording of a Bonn-layout dir (optionally only those named `setX/NAME` in `only`). */
export async function evaluateBonn(
  model: SeizureModel,
  dir: string,
  only?: ReadonlySet<string>,
  rule: EpisodeRule = DEFAULT_EPISODE_RULE,
): Promise<BonnEvaluation> {
  const entries = (await listBonnDir(dir)).filter((e) => !only || only.has(`${e.set}/${e.name}`));
  const results: BonnRecordingResult[] = [];
  const wTruth: number[] = [];
  const wPred: number[] = [];
  const wScore: number[] = [];
  for (const e of entries) {
    const rec = await readBonnFile(e.file, e.set);
    const ev = await evaluateSignals(model, [rec.samples], rec.sampleRateHz, rule);
    for (const w of ev.windows) {
      wTruth.push(rec.label);
      wPred.push(w.positive ? 1 : 0);
      wScore.push(w.probability);
    }
    const onset = ev.transitions.find((t) => t.kind === 'onset');
    results.push({
      set: e.set,
      name: e.name,
      label: rec.label,
      windows: ev.windows.length,
      positiveWindows: ev.windows.filter((w) => w.positive).length,
      fired: ev.fired,
      firstAlertS: onset ? onset.windowStartS + WINDOW_SECONDS : null,
    });
  }
  return {
    recordings: results,
    windowConfusion: confusion(wTruth, wPred),
    recordingConfusion: confusion(
      results.map((r) => r.label),
      results.map((r) => (r.fired ? 1 : 0)),
    ),
    windowRocAuc: rocAuc(wTruth, wScore),
  };
}

export interface EdfEvaluation extends RecordingEvaluation {
  labels: string[];
  sampleRateHz: number;
  durationS: number;
}

/** Evaluates an EDF/EDF+ file: every data signal is a channel; all must share one sampling rate. */
export async function evaluateEdf(
  model: SeizureModel,
  file: string,
  rule: EpisodeRule = DEFAULT_EPISODE_RULE,
): Promise<EdfEvaluation> {
  const edf = await readEdfFile(file);
  const rates = new Set(edf.signals.map((s) => s.sampleRateHz));
  if (rates.size !== 1)
    throw new Error(
      `${file}: signals have different sampling rates (${[...rates].join(', ')} Hz); one rate is required`,
    );
  const sampleRateHz = edf.signals[0]!.sampleRateHz;
  const ev = await evaluateSignals(
    model,
    edf.signals.map((s) => s.samples),
    sampleRateHz,
    rule,
  );
  return {
    ...ev,
    labels: edf.signals.map((s) => s.label),
    sampleRateHz,
    durationS: edf.signals[0]!.samples.length / sampleRateHz,
  };
}
