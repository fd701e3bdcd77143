// Features of one 1-second single-channel window at the model rate. Defined once, used by training,
// evaluation and serving. Most features are amplitude-invariant (relative band powers, spectral shape,
// normalised line length, Hjorth parameters) so that intracranial (Bonn) and scalp (CHB-MIT) EEG,
// whose amplitudes differ several-fold, land in the same feature space. Spectral features only look
// at 1–40 Hz, the band the Bonn recordings were filtered to.

export const MODEL_RATE_HZ = 128;
export const WINDOW_SAMPLES = 128;
/** Highest spectral bin used (1 Hz per bin at 128 samples / 128 Hz). */
const MAX_BIN = 40;

/** Relative band powers, inclusive 1-Hz bins. */
const BANDS: ReadonlyArray<readonly [number, number]> = [
  [1, 2],
  [3, 4],
  [5, 6],
  [7, 8],
  [9, 11],
  [12, 15],
  [16, 20],
  [21, 25],
  [26, 30],
  [31, 40],
];

/** Absolute band powers (amplitude-dependent), inclusive 1-Hz bins. */
const ABS_BANDS: ReadonlyArray<readonly [number, number]> = [
  [1, 3],
  [4, 7],
  [8, 12],
  [13, 20],
  [21, 40],
];

export const FEATURE_NAMES: readonly string[] = [
  ...BANDS.map(([a, b]) => `log_rel_power_${a}_${b}hz`),
  'spectral_entropy',
  'spectral_centroid',
  'spectral_spread',
  'spectral_edge_50',
  'spectral_edge_90',
  'spectral_flatness_log',
  'peak_frequency',
  'peak_relative_power',
  'hjorth_mobility',
  'hjorth_complexity',
  'line_length_per_sd',
  'zero_crossing_rate',
  'extrema_rate',
  'skewness',
  'log_kurtosis',
  'max_abs_per_sd',
  'half_sd_log_ratio',
  'permutation_entropy_d1',
  'permutation_entropy_d2',
  'autocorr_peak',
  'autocorr_peak_lag',
  'teager_energy_per_var',
  'log_sd_uv',
  'log_line_length_uv',
  ...ABS_BANDS.map(([a, b]) => `log_abs_power_${a}_${b}hz`),
];
export const FEATURE_COUNT = FEATURE_NAMES.length;

// Radix-2 FFT tables for WINDOW_SAMPLES points.
const N = WINDOW_SAMPLES;
const LOG2N = Math.log2(N);
const BITREV = new Uint16Array(N);
for (let i = 0; i < N; i++) {
  let r = 0;
  for (let b = 0; b < LOG2N; b++) r |= ((i >> b) & 1) << (LOG2N - 1 - b);
  BITREV[i] = r;
}
const COS = new Float64Array(N / 2);
const SIN = new Float64Array(N / 2);
for (let i = 0; i < N / 2; i++) {
  COS[i] = Math.cos((2 * Math.PI * i) / N);
  SIN[i] = -Math.sin((2 * Math.PI * i) / N);
}
const HANN = new Float64Array(N);
for (let i = 0; i < N; i++) HANN[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N);

// Scratch buffers (features are computed synchronously, one window at a time).
const re = new Float64Array(N);
const im = new Float64Array(N);
const power = new Float64Array(MAX_BIN + 1);
const centred = new Float64Array(N);

function fftInPlace(): void {
  for (let i = 0; i < N; i++) {
    const j = BITREV[i]!;
    if (j > i) {
      const t = re[i]!;
      re[i] = re[j]!;
      re[j] = t;
      const u = im[i]!;
      im[i] = im[j]!;
      im[j] = u;
    }
  }
  for (let size = 2; size <= N; size <<= 1) {
    const half = size >> 1;
    const step = N / size;
    // Twiddle outside, blocks inside: each twiddle is loaded once per stage (same arithmetic).
    for (let k = 0; k < half; k++) {
      const wr = COS[k * step]!;
      const wi = SIN[k * step]!;
      for (let a = k; a < N; a += size) {
        const b = a + half;
        const br = re[b]!;
        const bi = im[b]!;
        const xr = br * wr - bi * wi;
        const xi = br * wi + bi * wr;
        const ar = re[a]!;
        const ai = im[a]!;
        re[b] = ar - xr;
        im[b] = ai - xi;
        re[a] = ar + xr;
        im[a] = ai + xi;
      }
    }
  }
}

const EPS = 1e-12;

/**
 * Writes FEATURE_COUNT features of x[offset .. offset+WINDOW_SAMPLES) (µV at MODEL_RATE_HZ) into
 * out[outOffset ..]. The window mean is removed first, so DC offsets never matter.
 */
export function windowFeatures(
  x: ArrayLike<number>,
  offset: number,
  out: { [i: number]: number },
  outOffset: number,
): void {
  let mean = 0;
  for (let i = 0; i < N; i++) mean += x[offset + i]!;
  mean /= N;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  let firstHalf = 0;
  let secondHalf = 0;
  for (let i = 0; i < N; i++) {
    const v = x[offset + i]! - mean;
    centred[i] = v;
    const v2 = v * v;
    m2 += v2;
    m3 += v2 * v;
    m4 += v2 * v2;
    if (i < N / 2) firstHalf += v2;
    else secondHalf += v2;
    re[i] = v * HANN[i]!;
    im[i] = 0;
  }
  m2 /= N;
  m3 /= N;
  m4 /= N;
  const sd = Math.sqrt(m2);
  const flat = sd < 1e-6; // a flat line: every shape feature falls back to a fixed value

  fftInPlace();
  let total = 0;
  for (let k = 1; k <= MAX_BIN; k++) {
    const p = re[k]! * re[k]! + im[k]! * im[k]!;
    power[k] = p;
    total += p;
  }
  total += EPS;

  let o = outOffset;
  for (const [a, b] of BANDS) {
    let s = 0;
    for (let k = a; k <= b; k++) s += power[k]!;
    out[o++] = Math.log10(s / total + 1e-6);
  }
  let entropy = 0;
  let centroid = 0;
  let f2 = 0;
  let f4 = 0;
  let logSum = 0;
  let peakK = 1;
  let peakP = -1;
  const logTotal = Math.log(total);
  for (let k = 1; k <= MAX_BIN; k++) {
    const p = power[k]! / total;
    // One log per bin serves both sums: ln p = ln power − ln total (EPS is far below any power > 0).
    const logPower = Math.log(power[k]! + EPS);
    if (p > 0) entropy -= p * (logPower - logTotal);
    centroid += k * p;
    f2 += k * k * p;
    f4 += k * k * k * k * p;
    logSum += logPower;
    if (power[k]! > peakP) {
      peakP = power[k]!;
      peakK = k;
    }
  }
  const spread = Math.sqrt(Math.max(0, f2 - centroid * centroid));
  let cum = 0;
  let edge50 = MAX_BIN;
  let edge90 = MAX_BIN;
  for (let k = 1; k <= MAX_BIN; k++) {
    cum += power[k]! / total;
    if (cum >= 0.5 && edge50 === MAX_BIN) edge50 = k;
    if (cum >= 0.9) {
      edge90 = k;
      break;
    }
  }
  const geoMean = Math.exp(logSum / MAX_BIN);
  const mobility = Math.sqrt(f2); // in Hz: sqrt(Σ f² p)
  const complexity = mobility > 0 ? Math.sqrt(f4 / Math.max(f2, EPS)) / mobility : 1;
  out[o++] = flat ? 1 : entropy / Math.log(MAX_BIN);
  out[o++] = flat ? 0.5 : centroid / MAX_BIN;
  out[o++] = flat ? 0 : spread / MAX_BIN;
  out[o++] = flat ? 0.5 : edge50 / MAX_BIN;
  out[o++] = flat ? 1 : edge90 / MAX_BIN;
  out[o++] = flat ? 0 : Math.log10(geoMean / (total / MAX_BIN) + 1e-6);
  out[o++] = flat ? 0 : peakK / MAX_BIN;
  out[o++] = flat ? 0 : peakP / total;
  out[o++] = flat ? 0 : mobility / MAX_BIN;
  out[o++] = flat ? 1 : complexity;

  let lineLength = 0;
  let crossings = 0;
  let extrema = 0;
  let maxAbs = 0;
  for (let i = 1; i < N; i++) {
    const d = centred[i]! - centred[i - 1]!;
    lineLength += Math.abs(d);
    if (centred[i]! >= 0 !== centred[i - 1]! >= 0) crossings++;
    if (i < N - 1) {
      const d2 = centred[i + 1]! - centred[i]!;
      if (d * d2 < 0) extrema++;
    }
  }
  for (let i = 0; i < N; i++) maxAbs = Math.max(maxAbs, Math.abs(centred[i]!));
  out[o++] = flat ? 0 : lineLength / (N - 1) / sd;
  out[o++] = crossings / (N - 1);
  out[o++] = extrema / (N - 2);
  out[o++] = flat ? 0 : m3 / (sd * sd * sd);
  out[o++] = flat ? Math.log10(3) : Math.log10(m4 / (m2 * m2));
  out[o++] = flat ? 0 : maxAbs / sd;
  out[o++] = Math.abs(Math.log10((firstHalf + EPS) / (secondHalf + EPS)));
  out[o++] = flat ? 1 : permutationEntropy(1);
  out[o++] = flat ? 1 : permutationEntropy(2);
  const [acPeak, acLag] = flat ? [0, 0] : autocorrPeak(m2);
  out[o++] = acPeak;
  out[o++] = acLag / N;
  let teager = 0;
  for (let i = 1; i < N - 1; i++) teager += centred[i]! * centred[i]! - centred[i - 1]! * centred[i + 1]!;
  out[o++] = flat ? 0 : teager / (N - 2) / m2;
  out[o++] = Math.log10(sd + 1);
  out[o++] = Math.log10(lineLength / (N - 1) + 1);
  // Hann window power gain is 3/8; scale so a sine of amplitude A gives ≈ A²/2 in its bin.
  const norm = 2 / (N * N * 0.375);
  for (const [a, b] of ABS_BANDS) {
    let s = 0;
    for (let k = a; k <= b; k++) s += power[k]!;
    out[o++] = Math.log10(s * norm + 1);
  }
}

const perm = new Float64Array(24);
/** LOG_COUNT[c] = ln c: permutation entropy takes logs of pattern counts (at most N) only. */
const LOG_COUNT = Float64Array.from({ length: N + 1 }, (_, c) => (c > 0 ? Math.log(c) : 0));
/** Normalised permutation entropy of order 4 at the given delay (Bandt & Pompe), amplitude-invariant. */
function permutationEntropy(delay: number): number {
  perm.fill(0);
  const last = N - 3 * delay;
  for (let i = 0; i < last; i++) {
    const a = centred[i]!;
    const b = centred[i + delay]!;
    const c = centred[i + 2 * delay]!;
    const d = centred[i + 3 * delay]!;
    // Lehmer code of the ordinal pattern of (a, b, c, d).
    const code =
      ((a > b ? 1 : 0) + (a > c ? 1 : 0) + (a > d ? 1 : 0)) * 6 +
      ((b > c ? 1 : 0) + (b > d ? 1 : 0)) * 2 +
      (c > d ? 1 : 0);
    perm[code]! += 1;
  }
  // −Σ p ln p with p = c / last, from a table of ln c (ln p = ln c − ln last).
  let h = 0;
  const logLast = LOG_COUNT[last]!;
  for (let k = 0; k < 24; k++) {
    const c = perm[k]!;
    if (c > 0) h -= (c / last) * (LOG_COUNT[c]! - logLast);
  }
  return h / Math.log(24);
}

/** Highest normalised autocorrelation after the first zero crossing (rhythmicity) and its lag. */
function autocorrPeak(variance: number): [number, number] {
  let crossed = false;
  let best = 0;
  let bestLag = 0;
  for (let lag = 1; lag <= N / 2; lag++) {
    // Four independent sums: one running sum waits on every add's latency (the slowest part here).
    const n = N - lag;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += centred[i]! * centred[i + lag]!;
      s1 += centred[i + 1]! * centred[i + 1 + lag]!;
      s2 += centred[i + 2]! * centred[i + 2 + lag]!;
      s3 += centred[i + 3]! * centred[i + 3 + lag]!;
    }
    for (; i < n; i++) s0 += centred[i]! * centred[i + lag]!;
    const r = (s0 + s1 + (s2 + s3)) / n / variance;
    if (!crossed) {
      if (r < 0) crossed = true;
      continue;
    }
    if (r > best) {
      best = r;
      bestLag = lag;
    }
  }
  return [best, bestLag];
}
