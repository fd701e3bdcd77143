// Gradient-boosted decision trees (logistic loss, Newton leaves, class weights, shrinkage) trained in
// plain TypeScript with histogram splits. Deterministic for a seed. Thresholds are float32 values of
// training features and leaves are float32, so the ONNX TreeEnsembleRegressor export evaluates the
// same trees on the same float32 inputs.
import type { Dataset } from './mlp.ts';
import { sigmoid } from './mlp.ts';
import { mulberry32, type Rng } from './rng.ts';

export interface GbdtOptions {
  trees: number;
  /** Maximum depth (a depth-d tree has at most 2^d leaves). */
  depth: number;
  /** Shrinkage applied to every leaf. */
  learningRate: number;
  /** L2 penalty on leaf values (XGBoost's lambda). */
  lambda: number;
  /** Smallest summed hessian in a child. */
  minChildWeight: number;
  /** Histogram bins per feature (quantiles of the training rows). */
  maxBins: number;
  /** Fraction of rows drawn (without replacement) for each tree. */
  subsample: number;
  /** Fraction of features a tree may split on. */
  colsample: number;
  seed: number;
  /** Stop after this many trees without a lower validation loss and keep the best count (0: never). */
  patience: number;
}

/** One tree, nodes in creation order (node 0 is the root). A leaf has feature −1. */
export interface Tree {
  feature: number[];
  /** Go to `left` when x[feature] ≤ threshold (float32 value). */
  threshold: number[];
  left: number[];
  right: number[];
  /** Leaf value (float32, shrinkage included); 0 on branches. */
  value: number[];
}

export interface GbdtModel {
  dim: number;
  baseScore: number;
  trees: Tree[];
}

export interface GbdtResult {
  model: GbdtModel;
  bestTrees: number;
  history: Array<{ trees: number; trainLoss: number; validationLoss: number }>;
}

const f32 = Math.fround;

/** The logit of n rows of x (float32 comparisons, as the ONNX runtime does). */
export function gbdtLogits(model: GbdtModel, x: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n);
  const d = model.dim;
  for (let r = 0; r < n; r++) {
    let s = model.baseScore;
    const base = r * d;
    for (const t of model.trees) {
      let k = 0;
      while (t.feature[k]! >= 0)
        k = f32(x[base + t.feature[k]!]!) <= t.threshold[k]! ? t.left[k]! : t.right[k]!;
      s += t.value[k]!;
    }
    out[r] = s;
  }
  return out;
}

/** Probabilities for n rows of x: the reference forward pass for the ONNX graph. */
export function gbdtPredict(model: GbdtModel, x: ArrayLike<number>, n: number): Float64Array {
  return gbdtLogits(model, x, n).map(sigmoid);
}

/** Per-feature bin edges: float32 values from the training rows; bin b holds edge[b−1] < x ≤ edge[b]. */
function binEdges(d: Dataset, maxBins: number): Float32Array[] {
  const edges: Float32Array[] = [];
  const col = new Float32Array(d.n);
  for (let j = 0; j < d.dim; j++) {
    for (let r = 0; r < d.n; r++) col[r] = d.x[r * d.dim + j]!;
    const sorted = Float32Array.from(col).sort();
    const uniq: number[] = [];
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) uniq.push(sorted[i]!);
    let e: number[];
    if (uniq.length <= maxBins) e = uniq.slice(0, -1);
    else {
      e = [];
      for (let b = 1; b < maxBins; b++) {
        const v = sorted[Math.floor((b * sorted.length) / maxBins) - 1]!;
        if (e.length === 0 || v > e[e.length - 1]!) e.push(v);
      }
      // the last edge must leave something on its right
      while (e.length > 0 && e[e.length - 1]! >= uniq[uniq.length - 1]!) e.pop();
    }
    edges.push(Float32Array.from(e));
  }
  return edges;
}

function binOf(edges: Float32Array, v: number): number {
  let lo = 0;
  let hi = edges.length; // answer in [0, edges.length]
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function weightedLogLoss(logits: Float64Array, y: Uint8Array, posWeight: number): number {
  let s = 0;
  let w = 0;
  for (let i = 0; i < logits.length; i++) {
    const z = logits[i]!;
    // log(1 + e^−z) for positives, log(1 + e^z) for negatives, computed stably
    const m = y[i] ? -z : z;
    const l = m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
    const wi = y[i] ? posWeight : 1;
    s += wi * l;
    w += wi;
  }
  return s / w;
}

export function trainGbdt(train: Dataset, validation: Dataset | null, opts: GbdtOptions): GbdtResult {
  const rng: Rng = mulberry32(opts.seed);
  const { n, dim } = train;
  const edges = binEdges(train, opts.maxBins);
  const nBins = edges.map((e) => e.length + 1);
  const binned = new Uint16Array(n * dim);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < dim; j++) binned[r * dim + j] = binOf(edges[j]!, train.x[r * dim + j]!);

  let positives = 0;
  for (let i = 0; i < n; i++) positives += train.y[i]!;
  const posWeight = (n - positives) / Math.max(1, positives);
  const weight = Float64Array.from(train.y, (y) => (y ? posWeight : 1));
  let wPos = 0;
  let wAll = 0;
  for (let i = 0; i < n; i++) {
    wAll += weight[i]!;
    if (train.y[i]) wPos += weight[i]!;
  }
  const p0 = Math.min(1 - 1e-6, Math.max(1e-6, wPos / wAll));
  const baseScore = f32(Math.log(p0 / (1 - p0)));
  const model: GbdtModel = { dim, baseScore, trees: [] };

  const logit = new Float64Array(n).fill(baseScore);
  const valLogit = validation ? new Float64Array(validation.n).fill(baseScore) : null;
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const maxB = Math.max(...nBins);
  const histG = new Float64Array(dim * maxB);
  const histH = new Float64Array(dim * maxB);
  const history: GbdtResult['history'] = [];
  let best = { loss: Number.POSITIVE_INFINITY, trees: 0 };
  const allRows = Array.from({ length: n }, (_, i) => i);
  const allFeatures = Array.from({ length: dim }, (_, j) => j);

  for (let t = 0; t < opts.trees; t++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(logit[i]!);
      g[i] = weight[i]! * (p - train.y[i]!);
      h[i] = Math.max(weight[i]! * p * (1 - p), 1e-12);
    }
    let rows = allRows;
    if (opts.subsample < 1) {
      rows = allRows.filter(() => rng() < opts.subsample);
    }
    let features = allFeatures;
    if (opts.colsample < 1) {
      const k = Math.max(1, Math.round(dim * opts.colsample));
      const f = [...allFeatures];
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(rng() * (dim - i));
        [f[i], f[j]] = [f[j]!, f[i]!];
      }
      features = f.slice(0, k).sort((a, b) => a - b);
    }
    const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
    const newNode = () => {
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(0);
      tree.right.push(0);
      tree.value.push(0);
      return tree.feature.length - 1;
    };
    // depth-first growth; every node holds its rows
    const grow = (node: number, nodeRows: number[], depth: number) => {
      let G = 0;
      let H = 0;
      for (const r of nodeRows) {
        G += g[r]!;
        H += h[r]!;
      }
      const parentScore = (G * G) / (H + opts.lambda);
      let bestGain = 1e-9;
      let bestF = -1;
      let bestBin = -1;
      if (depth < opts.depth && H >= 2 * opts.minChildWeight) {
        for (const j of features) {
          histG.fill(0, j * maxB, j * maxB + nBins[j]!);
          histH.fill(0, j * maxB, j * maxB + nBins[j]!);
        }
        for (const r of nodeRows) {
          const gr = g[r]!;
          const hr = h[r]!;
          const base = r * dim;
          for (const j of features) {
            const k = j * maxB + binned[base + j]!;
            histG[k]! += gr;
            histH[k]! += hr;
          }
        }
        for (const j of features) {
          let gl = 0;
          let hl = 0;
          for (let b = 0; b + 1 < nBins[j]!; b++) {
            gl += histG[j * maxB + b]!;
            hl += histH[j * maxB + b]!;
            const hr = H - hl;
            if (hl < opts.minChildWeight) continue;
            if (hr < opts.minChildWeight) break;
            const gr = G - gl;
            const gain = (gl * gl) / (hl + opts.lambda) + (gr * gr) / (hr + opts.lambda) - parentScore;
            if (gain > bestGain) {
              bestGain = gain;
              bestF = j;
              bestBin = b;
            }
          }
        }
      }
      if (bestF < 0) {
        tree.value[node] = f32((-G / (H + opts.lambda)) * opts.learningRate);
        return;
      }
      tree.feature[node] = bestF;
      tree.threshold[node] = edges[bestF]![bestBin]!;
      const l = newNode();
      const rr = newNode();
      tree.left[node] = l;
      tree.right[node] = rr;
      const leftRows: number[] = [];
      const rightRows: number[] = [];
      for (const r of nodeRows) (binned[r * dim + bestF]! <= bestBin ? leftRows : rightRows).push(r);
      grow(l, leftRows, depth + 1);
      grow(rr, rightRows, depth + 1);
    };
    grow(newNode(), rows, 0);
    model.trees.push(tree);
    const one: GbdtModel = { dim, baseScore: 0, trees: [tree] };
    const dt = gbdtLogits(one, train.x, n);
    for (let i = 0; i < n; i++) logit[i]! += dt[i]!;
    if (validation && valLogit) {
      const dv = gbdtLogits(one, validation.x, validation.n);
      for (let i = 0; i < validation.n; i++) valLogit[i]! += dv[i]!;
      const validationLoss = weightedLogLoss(valLogit, validation.y, posWeight);
      history.push({ trees: t + 1, trainLoss: weightedLogLoss(logit, train.y, posWeight), validationLoss });
      if (validationLoss < best.loss - 1e-7) best = { loss: validationLoss, trees: t + 1 };
      else if (opts.patience > 0 && t + 1 - best.trees >= opts.patience) break;
    }
  }
  const bestTrees = validation && opts.patience > 0 ? best.trees : model.trees.length;
  model.trees.length = bestTrees;
  return { model, bestTrees, history };
}
