// The served detection path for one chunk: preprocessing → context from the channel's previous windows,
// adaptation to the patient's running baseline (and the raw windows, for a CNN) → one batched ONNX call
// → per-window decision. The function, `vigil model evaluate`, training and the benchmark all go through
// chunkInputs().
import { type ChannelBaseline, withAdaptation } from './adaptation.ts';
import { type WindowHistory, withContext } from './context.ts';
import type { SeizureModel } from './model.ts';
import { usesRawWindow, withAdaptationInputs, withRawWindows } from './model-inputs.ts';
import { chunkFeatures } from './preprocess.ts';

export interface ChunkDetection {
  /** [window][channel] seizure probability. */
  windowProbabilities: number[][];
  /** One score per window, aggregated over channels (see windowScore). */
  windowScores: number[];
  /** windowScores[w] ≥ threshold. */
  positives: boolean[];
  /** Highest window score of the chunk (0 when the chunk holds no whole window). */
  chunkProbability: number;
  /** The windows and baseline to pass as `history` with the signal's next chunk. */
  history: SignalHistory;
}

/**
 * What a chunk is scored against: the signal's last windows (context) and the patient's running
 * baseline (adaptation). After a gap the windows are empty but the baseline is kept.
 */
export interface SignalHistory extends WindowHistory {
  baseline?: ChannelBaseline | null;
}

/**
 * The model rows of one chunk (preprocessing, context, adaptation, raw windows for a CNN) and the
 * history for the next chunk: the one definition training, evaluation and serving share.
 */
export function chunkInputs(
  samples: ReadonlyArray<ArrayLike<number>>,
  sampleRateHz: number,
  history: SignalHistory | null,
  raw: boolean,
): {
  /** rows × modelInputCount: the feature inputs, then (raw) the window's samples. */
  inputs: Float32Array;
  /** rows × FEATURE_INPUT_COUNT, without samples. */
  featureInputs: Float32Array;
  /** With `raw`: the resampled windows, rows × WINDOW_SAMPLES. */
  windows?: Float32Array | undefined;
  rows: number;
  nWindows: number;
  nChannels: number;
  history: SignalHistory;
} {
  const f = chunkFeatures(samples, sampleRateHz, raw);
  const ctx = withContext(f.features, f.nWindows, f.nChannels, history);
  const adapt = withAdaptation(f.features, f.nWindows, f.nChannels, history, history?.baseline ?? null);
  const rows = f.nWindows * f.nChannels;
  const joined = withAdaptationInputs(ctx.inputs, adapt.inputs, rows);
  return {
    inputs: raw ? withRawWindows(joined, f.windows!, rows) : joined,
    featureInputs: joined,
    windows: f.windows,
    rows,
    nWindows: f.nWindows,
    nChannels: f.nChannels,
    history: { ...ctx.history, baseline: adapt.baseline },
  };
}

/**
 * A window's score from its channels: the mean of the highest quarter of channel probabilities (at
 * least one). Single-channel input scores as that channel; on a montage, a focal seizure seen by a few
 * derivations counts while one artefact-laden channel alone does not.
 */
export function windowScore(channelProbabilities: ArrayLike<number>): number {
  const sorted = Array.from(channelProbabilities).sort((a, b) => b - a);
  const k = Math.max(1, Math.ceil(sorted.length / 4));
  let s = 0;
  for (let i = 0; i < k; i++) s += sorted[i]!;
  return s / k;
}

export async function detectChunk(
  model: SeizureModel,
  samples: ReadonlyArray<ArrayLike<number>>,
  sampleRateHz: number,
  /** The same signal's windows (and baseline) just before this chunk; null when there are none (first chunk). */
  history: SignalHistory | null = null,
): Promise<ChunkDetection> {
  const f = chunkInputs(samples, sampleRateHz, history, usesRawWindow(model.info.kind));
  const probs = await model.run(f.inputs, f.rows);
  const windowProbabilities: number[][] = [];
  const windowScores: number[] = [];
  const positives: boolean[] = [];
  let chunkProbability = 0;
  for (let w = 0; w < f.nWindows; w++) {
    const row = Array.from(probs.subarray(w * f.nChannels, (w + 1) * f.nChannels), (p) =>
      Math.min(1, Math.max(0, p)),
    );
    const score = windowScore(row);
    windowProbabilities.push(row);
    windowScores.push(score);
    positives.push(score >= model.info.threshold);
    chunkProbability = Math.max(chunkProbability, score);
  }
  return { windowProbabilities, windowScores, positives, chunkProbability, history: f.history };
}
