// A small 1D-CNN on the raw 1-second window, side by side with the context features, trained in plain
// TypeScript: the window (128 samples at the model rate), standardised on its own (mean 0, SD 1, so the
// convolutions see waveform shape; amplitude is already in the features), goes through strided Conv1d +
// Relu layers, then global average and max pooling per filter. The pooled filters and the standardised
// feature row feed the dense layers of an MLP with a sigmoid output.
//
// Why: the features describe a window by spectra and summary statistics; a seizure's spike-and-wave
// shape and its rhythm are what a CNN learns from the samples (the 1D-CNN of Nour et al. 2024 is the
// published Bonn result the bars come from). Row layout: featureDim inputs, then rawLength samples.

import { adam } from './adam.ts';
import { columns } from './dataset.ts';
import { denseBackward, denseForward } from './dense.ts';
import { earlyStopping } from './early-stopping.ts';
import { rocAuc } from './metrics.ts';
import {
  type Dataset,
  type DenseLayer,
  sigmoid,
  standardisation,
  type TrainOptions,
  weightedLoss,
} from './mlp.ts';
import { gaussian, mulberry32, type Rng, shuffle } from './rng.ts';

export interface ConvLayer {
  inCh: number;
  outCh: number;
  kernel: number;
  stride: number;
  /** [outCh][inCh][kernel], the ONNX Conv `W` layout. */
  weight: Float64Array;
  bias: Float64Array;
}

export interface CnnParams {
  featureDim: number;
  rawLength: number;
  /** Standardisation of the feature part of a row (as the MLP's). */
  inputMean: Float64Array;
  inputScale: Float64Array;
  /**
   * How a window is scaled after removing its mean: 'window' divides by its own SD (shape only); a number
   * is one scale for every window (1 / the training windows' RMS), so the convolutions also see amplitude.
   */
  rawScale: 'window' | number;
  convs: ConvLayer[];
  /** Dense layers on [standardised features, average-pooled filters, max-pooled filters]. */
  head: DenseLayer[];
}

/** The MLP's training options (inputDropout applies to the features only, not the pooled filters). */
export interface CnnOptions extends TrainOptions {
  /** [outCh, kernel, stride] per convolution. */
  convs: Array<[number, number, number]>;
  /** Keep amplitude in the raw branch (one global scale) instead of standardising each window. */
  keepAmplitude?: boolean;
}

export interface CnnTrainResult {
  params: CnnParams;
  bestEpoch: number;
  epochs: number;
}

/** Added to the window variance before the square root, so a flat window standardises to zeros. */
export const RAW_EPSILON = 1e-6;

const outLength = (inLen: number, kernel: number, stride: number) =>
  Math.floor((inLen - kernel) / stride) + 1;

export function convLengths(params: Pick<CnnParams, 'rawLength' | 'convs'>): number[] {
  const lens = [params.rawLength];
  for (const c of params.convs) lens.push(outLength(lens[lens.length - 1]!, c.kernel, c.stride));
  return lens;
}

/**
 * The window without its mean, divided by its own SD (sqrt(var + RAW_EPSILON)) or multiplied by a
 * global scale.
 */
export function standardiseWindow(
  x: ArrayLike<number>,
  off: number,
  n: number,
  out: Float64Array,
  rawScale: 'window' | number = 'window',
): void {
  let m = 0;
  for (let i = 0; i < n; i++) m += x[off + i]!;
  m /= n;
  if (rawScale !== 'window') {
    for (let i = 0; i < n; i++) out[i] = (x[off + i]! - m) * rawScale;
    return;
  }
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = x[off + i]! - m;
    v += d * d;
  }
  const inv = 1 / Math.sqrt(v / n + RAW_EPSILON);
  for (let i = 0; i < n; i++) out[i] = (x[off + i]! - m) * inv;
}

interface Workspace {
  /** Post-activation per conv stage (acts[0] = standardised window), [ch][t]. */
  acts: Float64Array[];
  argmax: Int32Array;
  head: Float64Array[];
}

function workspace(p: CnnParams): Workspace {
  const lens = convLengths(p);
  const acts = [
    new Float64Array(p.rawLength),
    ...p.convs.map((c, i) => new Float64Array(c.outCh * lens[i + 1]!)),
  ];
  const dims = [p.head[0]!.inDim, ...p.head.map((l) => l.outDim)];
  return {
    acts,
    argmax: new Int32Array(p.convs[p.convs.length - 1]!.outCh),
    head: dims.map((d) => new Float64Array(d)),
  };
}

/** Forward pass of the convolutions and pooling into ws.head[0] (after the features, already placed). */
function convForward(p: CnnParams, ws: Workspace, lens: number[]): void {
  for (let l = 0; l < p.convs.length; l++) {
    const c = p.convs[l]!;
    const inp = ws.acts[l]!;
    const outp = ws.acts[l + 1]!;
    const inLen = lens[l]!;
    const oLen = lens[l + 1]!;
    for (let o = 0; o < c.outCh; o++)
      for (let t = 0; t < oLen; t++) {
        let s = c.bias[o]!;
        for (let i = 0; i < c.inCh; i++) {
          const wBase = (o * c.inCh + i) * c.kernel;
          const xBase = i * inLen + t * c.stride;
          for (let k = 0; k < c.kernel; k++) s += c.weight[wBase + k]! * inp[xBase + k]!;
        }
        outp[o * oLen + t] = Math.max(0, s);
      }
  }
  const last = p.convs[p.convs.length - 1]!;
  const lastLen = lens[lens.length - 1]!;
  const a = ws.acts[p.convs.length]!;
  const h0 = ws.head[0]!;
  for (let o = 0; o < last.outCh; o++) {
    let sum = 0;
    let max = Number.NEGATIVE_INFINITY;
    let arg = 0;
    for (let t = 0; t < lastLen; t++) {
      const v = a[o * lastLen + t]!;
      sum += v;
      if (v > max) {
        max = v;
        arg = t;
      }
    }
    h0[p.featureDim + o] = sum / lastLen;
    h0[p.featureDim + last.outCh + o] = max;
    ws.argmax[o] = arg;
  }
}

/** Logits for n rows (featureDim + rawLength floats each). */
export function cnnLogits(p: CnnParams, x: ArrayLike<number>, n: number): Float64Array {
  const ws = workspace(p);
  const lens = convLengths(p);
  const dim = p.featureDim + p.rawLength;
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const h0 = ws.head[0]!;
    for (let j = 0; j < p.featureDim; j++) h0[j] = (x[r * dim + j]! - p.inputMean[j]!) * p.inputScale[j]!;
    standardiseWindow(x, r * dim + p.featureDim, p.rawLength, ws.acts[0]!, p.rawScale);
    convForward(p, ws, lens);
    out[r] = denseForward(p.head, ws.head);
  }
  return out;
}

/** Probabilities for n rows of one network. */
export function cnnPredict(p: CnnParams, x: ArrayLike<number>, n: number): Float64Array {
  return cnnLogits(p, x, n).map(sigmoid);
}

/** Probabilities of a seed ensemble: the sigmoid of the members' mean logit (the reference for the ONNX graph). */
export function cnnEnsemblePredict(
  members: readonly CnnParams[],
  x: ArrayLike<number>,
  n: number,
): Float64Array {
  const logit = new Float64Array(n);
  for (const m of members) {
    const l = cnnLogits(m, x, n);
    for (let i = 0; i < n; i++) logit[i]! += l[i]!;
  }
  return logit.map((z) => sigmoid(z / members.length));
}

function he(n: number, fanIn: number, rng: Rng): Float64Array {
  const std = Math.sqrt(2 / fanIn);
  return Float64Array.from({ length: n }, () => gaussian(rng) * std);
}

export function trainCnn(
  train: Dataset,
  validation: Dataset,
  featureDim: number,
  opts: CnnOptions,
): CnnTrainResult {
  const rawLength = train.dim - featureDim;
  const rng = mulberry32(opts.seed);
  const { mean, scale } = standardisation(columns(train, 0, featureDim));
  const convs: ConvLayer[] = [];
  let inCh = 1;
  for (const [outCh, kernel, stride] of opts.convs) {
    convs.push({
      inCh,
      outCh,
      kernel,
      stride,
      weight: he(outCh * inCh * kernel, inCh * kernel, rng),
      bias: new Float64Array(outCh),
    });
    inCh = outCh;
  }
  const dims = [featureDim + 2 * inCh, ...opts.hidden, 1];
  const head: DenseLayer[] = [];
  for (let l = 0; l + 1 < dims.length; l++)
    head.push({
      inDim: dims[l]!,
      outDim: dims[l + 1]!,
      weight: he(dims[l + 1]! * dims[l]!, dims[l]!, rng),
      bias: new Float64Array(dims[l + 1]!),
    });
  let rawScale: CnnParams['rawScale'] = 'window';
  if (opts.keepAmplitude) {
    const buf = new Float64Array(rawLength);
    let sq = 0;
    for (let r = 0; r < train.n; r++) {
      standardiseWindow(train.x, r * train.dim + featureDim, rawLength, buf, 1);
      for (const v of buf) sq += v * v;
    }
    rawScale = 1 / Math.sqrt(sq / (train.n * rawLength) + RAW_EPSILON);
  }
  const p: CnnParams = { featureDim, rawLength, inputMean: mean, inputScale: scale, rawScale, convs, head };
  const lens = convLengths(p);
  if (lens.some((l) => l < 1)) throw new Error(`convolutions too long for ${rawLength} samples`);

  let positives = 0;
  for (let i = 0; i < train.n; i++) positives += train.y[i]!;
  const posWeight = (train.n - positives) / Math.max(1, positives);

  const tensors = [...convs.flatMap((c) => [c.weight, c.bias]), ...head.flatMap((l) => [l.weight, l.bias])];
  const grads = tensors.map((t) => new Float64Array(t.length));
  const optimiser = adam(tensors, opts.learningRate, opts.l2);
  const nConvT = 2 * convs.length;

  const ws = workspace(p);
  const headDeltas = ws.head.map((h) => new Float64Array(h.length));
  const convDeltas = ws.acts.map((a) => new Float64Array(a.length));
  const dim = train.dim;
  const order = Array.from({ length: train.n }, (_, i) => i);
  // lower is better: the loss, or minus the AUC
  const stopping = earlyStopping(tensors, opts.patience);
  let epoch = 0;

  for (epoch = 1; epoch <= opts.maxEpochs; epoch++) {
    shuffle(order, rng);
    for (let s0 = 0; s0 < order.length; s0 += opts.batchSize) {
      const end = Math.min(order.length, s0 + opts.batchSize);
      for (const g of grads) g.fill(0);
      let batchWeight = 0;
      for (let k = s0; k < end; k++) {
        const r = order[k]!;
        const h0 = ws.head[0]!;
        for (let j = 0; j < featureDim; j++) {
          const z = (train.x[r * dim + j]! - mean[j]!) * scale[j]!;
          h0[j] = rng() < opts.inputDropout ? 0 : z / (1 - opts.inputDropout);
        }
        standardiseWindow(train.x, r * dim + featureDim, rawLength, ws.acts[0]!, p.rawScale);
        convForward(p, ws, lens);
        const prob = sigmoid(denseForward(p.head, ws.head));
        const y = train.y[r]!;
        const w = y ? posWeight : 1;
        batchWeight += w;
        headDeltas[head.length]![0] = w * (prob - y);
        denseBackward(head, ws.head, headDeltas, grads, nConvT);
        // pooling backward into the last conv stage's activations, then Relu' and conv backward
        const lastC = convs[convs.length - 1]!;
        const lastLen = lens[lens.length - 1]!;
        const dLast = convDeltas[convs.length]!;
        const dh0 = headDeltas[0]!;
        for (let o = 0; o < lastC.outCh; o++) {
          const dAvg = dh0[featureDim + o]! / lastLen;
          for (let t = 0; t < lastLen; t++) dLast[o * lastLen + t] = dAvg;
          dLast[o * lastLen + ws.argmax[o]!]! += dh0[featureDim + lastC.outCh + o]!;
        }
        for (let l = convs.length - 1; l >= 0; l--) {
          const c = convs[l]!;
          const outA = ws.acts[l + 1]!;
          const dOut = convDeltas[l + 1]!;
          for (let i = 0; i < dOut.length; i++) if (outA[i]! <= 0) dOut[i] = 0; // Relu'
          const inp = ws.acts[l]!;
          const dIn = convDeltas[l]!;
          const inLen = lens[l]!;
          const oLen = lens[l + 1]!;
          const gw = grads[2 * l]!;
          const gb = grads[2 * l + 1]!;
          const needIn = l > 0;
          if (needIn) dIn.fill(0);
          for (let o = 0; o < c.outCh; o++)
            for (let t = 0; t < oLen; t++) {
              const d = dOut[o * oLen + t]!;
              if (d === 0) continue;
              gb[o]! += d;
              for (let i = 0; i < c.inCh; i++) {
                const wBase = (o * c.inCh + i) * c.kernel;
                const xBase = i * inLen + t * c.stride;
                for (let k = 0; k < c.kernel; k++) {
                  gw[wBase + k]! += d * inp[xBase + k]!;
                  if (needIn) dIn[xBase + k]! += d * c.weight[wBase + k]!;
                }
              }
            }
        }
      }
      optimiser.step(grads, batchWeight);
    }
    const valProbs = cnnPredict(p, validation.x, validation.n);
    const score =
      opts.earlyStopping === 'auc'
        ? -rocAuc(validation.y, valProbs)
        : weightedLoss(valProbs, validation.y, posWeight);
    if (stopping.stop(epoch, score)) break;
  }
  const bestEpoch = stopping.restoreBest();
  return { params: p, bestEpoch, epochs: Math.min(epoch, opts.maxEpochs) };
}
