// Early stopping shared by the MLP and CNN trainers: keeps a copy of the weights of the epoch with the
// best (lowest) validation score, says when `patience` epochs have passed without a better one, and
// puts the best weights back at the end.
export interface EarlyStopping {
  /** Records an epoch's score; true when training should stop. */
  stop(epoch: number, score: number): boolean;
  /** Writes the best epoch's weights back into the tensors; returns that epoch (0: none was better than the start). */
  restoreBest(): number;
}

export function earlyStopping(tensors: readonly Float64Array[], patience: number): EarlyStopping {
  const snapshot = () => tensors.map((t) => Float64Array.from(t));
  let best = { score: Number.POSITIVE_INFINITY, epoch: 0, weights: snapshot() };
  return {
    stop(epoch, score) {
      if (score < best.score - 1e-6) best = { score, epoch, weights: snapshot() };
      else if (epoch - best.epoch >= patience) return true;
      return false;
    },
    restoreBest() {
      for (const [i, t] of tensors.entries()) t.set(best.weights[i]!);
      return best.epoch;
    },
  };
}
