// A seed ensemble of MLPs served as ONE MLP. Members share the architecture and the input
// standardisation (both come from the same training rows), so the mean of their logits is a single wider
// network: first layers side by side, later layers block-diagonal, output weights divided by the member
// count. The ONNX export, the serving code and the 1e-5 parity test stay those of one MLP.
//
// Why: on 240 training recordings the validation loss swings from epoch to epoch (a few confidently
// wrong windows dominate it), so the epoch early stopping keeps differs from seed to seed; averaging
// members trained from different seeds evens that out (model card, fourth round).
import { type Dataset, type MlpParams, type TrainOptions, type TrainResult, trainMlp } from './mlp.ts';

/** Member k of the ensemble with seed s trains with this seed. */
export const memberSeed = (seed: number, k: number): number => seed * 1000 + k;

export function mergeMlps(members: readonly MlpParams[]): MlpParams {
  const first = members[0];
  if (!first) throw new Error('an ensemble needs at least one member');
  const K = members.length;
  for (const m of members) {
    if (
      m.layers.length !== first.layers.length ||
      m.layers.some((l, i) => l.inDim !== first.layers[i]!.inDim || l.outDim !== first.layers[i]!.outDim)
    )
      throw new Error('ensemble members must share one architecture');
    if (m.inputMean.some((v, j) => v !== first.inputMean[j] || m.inputScale[j] !== first.inputScale[j]))
      throw new Error('ensemble members must share one input standardisation');
  }
  const layers = first.layers.map((l0, li) => {
    const firstLayer = li === 0;
    const last = li === first.layers.length - 1;
    const inDim = firstLayer ? l0.inDim : l0.inDim * K;
    const outDim = last ? 1 : l0.outDim * K;
    const weight = new Float64Array(outDim * inDim);
    const bias = new Float64Array(outDim);
    members.forEach((m, k) => {
      const l = m.layers[li]!;
      for (let o = 0; o < l.outDim; o++) {
        const row = last ? 0 : k * l.outDim + o;
        const col0 = firstLayer ? 0 : k * l.inDim;
        for (let i = 0; i < l.inDim; i++)
          weight[row * inDim + col0 + i]! += last
            ? l.weight[o * l.inDim + i]! / K
            : l.weight[o * l.inDim + i]!;
        bias[row]! += last ? l.bias[o]! / K : l.bias[o]!;
      }
    });
    return { inDim, outDim, weight, bias };
  });
  return { inputMean: first.inputMean, inputScale: first.inputScale, layers };
}

export interface EnsembleResult {
  params: MlpParams;
  members: TrainResult[];
}

/** Trains `size` MLPs (seeds memberSeed(opts.seed, k)) and merges them. */
export function trainMlpEnsemble(
  train: Dataset,
  validation: Dataset,
  opts: TrainOptions,
  size: number,
): EnsembleResult {
  const members = Array.from({ length: size }, (_, k) =>
    trainMlp(train, validation, { ...opts, seed: memberSeed(opts.seed, k) }),
  );
  return { params: mergeMlps(members.map((m) => m.params)), members };
}
