// Train/validation/test split BY RECORDING (file), stratified by Bonn set, with a fixed seed:
// windows of one recording are strongly correlated, so they must never straddle two splits.
import { mulberry32, shuffle } from './rng.ts';

export type SplitName = 'train' | 'validation' | 'test';

export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

export const DEFAULT_FRACTIONS: SplitFractions = { train: 0.6, validation: 0.2, test: 0.2 };

/** Assigns each item to a split; items are grouped by stratum and shuffled by name order + seed. */
export function splitByRecording<T extends { name: string; set: string }>(
  items: readonly T[],
  seed: number,
  fractions: SplitFractions = DEFAULT_FRACTIONS,
): Map<T, SplitName> {
  const rng = mulberry32(seed);
  const byStratum = new Map<string, T[]>();
  for (const it of [...items].sort((a, b) => (a.set + a.name < b.set + b.name ? -1 : 1)))
    byStratum.set(it.set, [...(byStratum.get(it.set) ?? []), it]);
  const out = new Map<T, SplitName>();
  for (const set of [...byStratum.keys()].sort()) {
    const group = shuffle(byStratum.get(set)!, rng);
    const nTest = Math.round(group.length * fractions.test);
    const nVal = Math.round(group.length * fractions.validation);
    group.forEach((it, i) => {
      out.set(it, i < nTest ? 'test' : i < nTest + nVal ? 'validation' : 'train');
    });
  }
  return out;
}
