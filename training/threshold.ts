// The threshold rule of round 7: the lowest threshold (on the 1/1000 grid of chooseThreshold) whose
// validation specificity reaches a floor, i.e. the most sensitive threshold that keeps the false
// alarms the floor allows. Why: the quality bar is a specificity (≥ 99 % of normal windows) and
// recording-level false alarms are what a ward feels; the balanced-accuracy rule trades specificity
// for sensitivity one for one, and on the flat validation curve of a few scalp seizures and 80 Bonn
// recordings it chose thresholds from 0.037 to 0.478.
import { confusion } from './metrics.ts';

/** The specificity floor on the validation window scores (the window bar). */
export const MIN_VALIDATION_SPECIFICITY = 0.99;

/**
 * The lowest grid threshold t (1/1000 steps) with specificity(t) ≥ minSpecificity on (truth, scores);
 * null when no grid threshold reaches it (the caller then keeps its other rule).
 */
export function specificityThreshold(
  truth: ArrayLike<number>,
  scores: ArrayLike<number>,
  minSpecificity = MIN_VALIDATION_SPECIFICITY,
): number | null {
  for (let i = 1; i < 1000; i++) {
    const t = i / 1000;
    const c = confusion(
      truth,
      Array.from(scores, (s) => (s >= t ? 1 : 0)),
    );
    if (c.specificity >= minSpecificity) return t;
  }
  return null;
}
