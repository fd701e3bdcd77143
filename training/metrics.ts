// Binary classification figures: confusion matrix, sensitivity, specificity, ROC AUC.

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  sensitivity: number;
  specificity: number;
}

/** Confusion matrix of predicted vs true labels (1 = seizure). Sensitivity/specificity are NaN-free: 0 when undefined. */
export function confusion(truth: ArrayLike<number>, predicted: ArrayLike<number>): Confusion {
  if (truth.length !== predicted.length)
    throw new Error(`confusion: ${truth.length} labels but ${predicted.length} predictions`);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] === 1;
    const p = predicted[i] === 1;
    if (t && p) tp++;
    else if (t) fn++;
    else if (p) fp++;
    else tn++;
  }
  return fromCounts(tp, fp, tn, fn);
}

export function fromCounts(tp: number, fp: number, tn: number, fn: number): Confusion {
  return {
    tp,
    fp,
    tn,
    fn,
    sensitivity: tp + fn === 0 ? 0 : tp / (tp + fn),
    specificity: tn + fp === 0 ? 0 : tn / (tn + fp),
  };
}

/** Area under the ROC curve (Mann–Whitney U, ties count one half). NaN when a class is missing. */
export function rocAuc(truth: ArrayLike<number>, scores: ArrayLike<number>): number {
  const idx = Array.from({ length: truth.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let nPos = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (truth[idx[k]!] === 1) {
        rankSumPos += avgRank;
        nPos++;
      }
    i = j + 1;
  }
  const nNeg = truth.length - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** A confusion matrix as aligned text, for the CLI and the model card. */
export function formatConfusion(title: string, c: Confusion): string {
  const pct = (v: number) => `${(v * 100).toFixed(2)} %`;
  return [
    `${title}`,
    `                 predicted seizure  predicted normal`,
    `  true seizure   ${String(c.tp).padStart(17)}  ${String(c.fn).padStart(16)}`,
    `  true normal    ${String(c.fp).padStart(17)}  ${String(c.tn).padStart(16)}`,
    `  sensitivity ${pct(c.sensitivity)}  specificity ${pct(c.specificity)}`,
  ].join('\n');
}
