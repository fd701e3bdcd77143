// A small multilayer perceptron (ReLU hidden layers, sigmoid output) trained in plain TypeScript with
// Adam, weighted binary cross-entropy, L2 weight decay, input dropout and early stopping on validation
// loss or validation ROC AUC.

import { adam } from './adam.ts';
import { denseBackward, denseForward } from './dense.ts';
import { earlyStopping } from './early-stopping.ts';
import { rocAuc } from './metrics.ts';
import { gaussian, mulberry32, type Rng, shuffle } from './rng.ts';

export interface DenseLayer {
  inDim: number;
  outDim: number;
  /** Row-major [outDim][inDim] (the ONNX Gemm `B` with transB = 1). */
  weight: Float64Array;
  bias: Float64Array;
}

export interface MlpParams {
  /** Input standardisation: z = (x − mean) · scale, scale = 1 / sd on the training windows. */
  inputMean: Float64Array;
  inputScale: Float64Array;
  layers: DenseLayer[];
}

export interface TrainOptions {
  hidden: number[];
  seed: number;
  learningRate: number;
  l2: number;
  /** Probability of zeroing each standardised input during training (regularisation). */
  inputDropout: number;
  batchSize: number;
  maxEpochs: number;
  /** Stop after this many epochs without a better validation score; keep the best epoch. */
  patience: number;
  /**
   * The validation score early stopping follows (default loss). ROC AUC ranks windows only, so a few
   * confidently wrong windows, which swing the weighted loss from epoch to epoch, do not pick the epoch.
   */
  earlyStopping?: 'loss' | 'auc';
}

export interface Dataset {
  x: Float32Array;
  y: Uint8Array;
  n: number;
  dim: number;
}

export interface TrainResult {
  params: MlpParams;
  bestEpoch: number;
  epochs: number;
  history: Array<{ epoch: number; trainLoss: number; validationLoss: number; validationAuc: number }>;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Standardisation from the training rows (sd floored so constant features do not blow up). */
export function standardisation(d: Dataset): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(d.dim);
  const sq = new Float64Array(d.dim);
  for (let r = 0; r < d.n; r++)
    for (let j = 0; j < d.dim; j++) {
      const v = d.x[r * d.dim + j]!;
      mean[j]! += v;
      sq[j]! += v * v;
    }
  const scale = new Float64Array(d.dim);
  for (let j = 0; j < d.dim; j++) {
    mean[j]! /= d.n;
    const sd = Math.sqrt(Math.max(0, sq[j]! / d.n - mean[j]! * mean[j]!));
    scale[j] = 1 / Math.max(sd, 1e-6);
  }
  return { mean, scale };
}

function initLayers(dims: number[], rng: Rng): DenseLayer[] {
  const layers: DenseLayer[] = [];
  for (let l = 0; l + 1 < dims.length; l++) {
    const inDim = dims[l]!;
    const outDim = dims[l + 1]!;
    const std = Math.sqrt(2 / inDim); // He initialisation for ReLU
    const weight = new Float64Array(outDim * inDim);
    for (let i = 0; i < weight.length; i++) weight[i] = gaussian(rng) * std;
    layers.push({ inDim, outDim, weight, bias: new Float64Array(outDim) });
  }
  return layers;
}

/** Probabilities for n rows of x (dim = inputMean.length). The reference forward pass for the ONNX graph. */
export function predict(params: MlpParams, x: ArrayLike<number>, n: number): Float64Array {
  const dim = params.inputMean.length;
  const out = new Float64Array(n);
  const maxWidth = Math.max(dim, ...params.layers.map((l) => l.outDim));
  let a = new Float64Array(maxWidth);
  let b = new Float64Array(maxWidth);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < dim; j++) a[j] = (x[r * dim + j]! - params.inputMean[j]!) * params.inputScale[j]!;
    params.layers.forEach((layer, li) => {
      const last = li === params.layers.length - 1;
      for (let o = 0; o < layer.outDim; o++) {
        let s = layer.bias[o]!;
        const base = o * layer.inDim;
        for (let i = 0; i < layer.inDim; i++) s += layer.weight[base + i]! * a[i]!;
        b[o] = last ? s : Math.max(0, s);
      }
      [a, b] = [b, a];
    });
    out[r] = sigmoid(a[0]!);
  }
  return out;
}

/** Mean class-weighted binary cross-entropy (positives weighted so both classes count equally). */
export function weightedLoss(probs: Float64Array, y: Uint8Array, posWeight: number): number {
  let s = 0;
  let wsum = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, probs[i]!));
    const w = y[i] ? posWeight : 1;
    s -= w * (y[i] ? Math.log(p) : Math.log(1 - p));
    wsum += w;
  }
  return s / wsum;
}

export function trainMlp(train: Dataset, validation: Dataset, opts: TrainOptions): TrainResult {
  const rng = mulberry32(opts.seed);
  const { mean, scale } = standardisation(train);
  const dims = [train.dim, ...opts.hidden, 1];
  const layers = initLayers(dims, rng);
  const params: MlpParams = { inputMean: mean, inputScale: scale, layers };
  let positives = 0;
  for (let i = 0; i < train.n; i++) positives += train.y[i]!;
  const posWeight = (train.n - positives) / Math.max(1, positives);

  const tensors = layers.flatMap((l) => [l.weight, l.bias]);
  const grads = tensors.map((t) => new Float64Array(t.length));
  const optimiser = adam(tensors, opts.learningRate, opts.l2);

  const acts = dims.map((d) => new Float64Array(d)); // post-activation per layer (acts[0] = input)
  const deltas = dims.map((d) => new Float64Array(d));
  const order = Array.from({ length: train.n }, (_, i) => i);
  // lower is better: the loss, or minus the AUC
  const stopping = earlyStopping(tensors, opts.patience);
  const history: TrainResult['history'] = [];
  let epoch = 0;

  for (epoch = 1; epoch <= opts.maxEpochs; epoch++) {
    shuffle(order, rng);
    let trainLoss = 0;
    let trainWeight = 0;
    for (let startIdx = 0; startIdx < order.length; startIdx += opts.batchSize) {
      const end = Math.min(order.length, startIdx + opts.batchSize);
      for (const g of grads) g.fill(0);
      let batchWeight = 0;
      for (let k = startIdx; k < end; k++) {
        const r = order[k]!;
        const a0 = acts[0]!;
        for (let j = 0; j < train.dim; j++) {
          const z = (train.x[r * train.dim + j]! - mean[j]!) * scale[j]!;
          a0[j] = rng() < opts.inputDropout ? 0 : z / (1 - opts.inputDropout);
        }
        const logit = denseForward(layers, acts);
        const p = sigmoid(logit);
        const y = train.y[r]!;
        const w = y ? posWeight : 1;
        const pc = Math.min(1 - 1e-7, Math.max(1e-7, p));
        trainLoss -= w * (y ? Math.log(pc) : Math.log(1 - pc));
        trainWeight += w;
        batchWeight += w;
        deltas[layers.length]![0] = w * (p - y);
        denseBackward(layers, acts, deltas, grads);
      }
      optimiser.step(grads, batchWeight);
    }
    const valProbs = predict(params, validation.x, validation.n);
    const validationLoss = weightedLoss(valProbs, validation.y, posWeight);
    const validationAuc = rocAuc(validation.y, valProbs);
    history.push({ epoch, trainLoss: trainLoss / trainWeight, validationLoss, validationAuc });
    const score = opts.earlyStopping === 'auc' ? -validationAuc : validationLoss;
    if (stopping.stop(epoch, score)) break;
  }
  const bestEpoch = stopping.restoreBest();
  return { params, bestEpoch, epochs: Math.min(epoch, opts.maxEpochs), history };
}
