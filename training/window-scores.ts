// The scores the detector thresholds, for validation recordings: each window's score over ALL of its
// channels (detect.ts windowScore, the mean of the top quarter), labelled by its recording. Why: the
// served detector compares that window score with the threshold, never a single channel's probability.
// A threshold chosen on channel rows instead counts a scalp seizure's changed derivations (the rows kept
// for training, scalp-windows.ts) as if each one were a decision, so one validation seizure of a few
// dozen rows pulled the threshold far from where Bonn puts it (0.037 to 0.478 between the
// leave-one-seizure-out folds of round 6).
import { windowScore } from '../functions/seizure-detector/detect.ts';
import type { RecordingWindows } from './dataset.ts';

export interface WindowScores {
  /** One label per window: its recording's. */
  truth: Uint8Array;
  /** One score per window, in the order of the recordings and their windows. */
  scores: Float64Array;
}

/**
 * `score` gives the probabilities of n rows (dim inputs each) of the model; every channel of every window
 * is scored, whatever rows `keep` selects for training.
 */
export function windowScores(
  items: readonly RecordingWindows[],
  dim: number,
  score: (x: Float32Array, n: number) => Float64Array,
): WindowScores {
  const total = items.reduce((a, it) => a + it.nWindows, 0);
  const truth = new Uint8Array(total);
  const scores = new Float64Array(total);
  let k = 0;
  for (const it of items) {
    const rows = it.nWindows * it.nChannels;
    const p = score(it.features.subarray(0, rows * dim), rows);
    for (let w = 0; w < it.nWindows; w++) {
      truth[k] = it.recording.label;
      scores[k++] = windowScore(p.subarray(w * it.nChannels, (w + 1) * it.nChannels));
    }
  }
  return { truth, scores };
}
