// The served detection path for one chunk: preprocessing → context from the channel's previous windows
// (and the raw windows, for a CNN) → one batched ONNX call → per-window decision. The function,
// `vigil model evaluate` and the benchmark all go through detectChunk().
import { type WindowHistory, withContext } from './context.ts';
import type { SeizureModel } from './model.ts';
import { usesRawWindow, withRawWindows } from './model-inputs.ts';
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
  /** The windows to pass as `history` with the signal's next chunk. */
  history: WindowHistory;
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
  /** The same signal's windows just before this chunk; null when there are none (first chunk, gap). */
  history: WindowHistory | null = null,
): Promise<ChunkDetection> {
  const raw = usesRawWindow(model.info.kind);
  const f = chunkFeatures(samples, sampleRateHz, raw);
  const ctx = withContext(f.features, f.nWindows, f.nChannels, history);
  const rows = f.nWindows * f.nChannels;
  const probs = await model.run(raw ? withRawWindows(ctx.inputs, f.windows!, rows) : ctx.inputs, rows);
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
  return { windowProbabilities, windowScores, positives, chunkProbability, history: ctx.history };
}
