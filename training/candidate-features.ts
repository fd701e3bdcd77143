// Scratch: candidate extra per-window features for the cross-validation script (cv.ts), computed from
// the same resampled 1-s windows the served features use. Not used by the served model.
import { toolSettings } from '../config/env.ts';
import { MODEL_RATE_HZ, WINDOW_SAMPLES } from '../functions/seizure-detector/features.ts';
import { recordingChunks } from '../functions/seizure-detector/preprocess.ts';
import { resample } from '../functions/seizure-detector/resample.ts';
import type { RecordingWindows } from './dataset.ts';

const N = WINDOW_SAMPLES;

const ALL_CANDIDATES = [
  'log_rel_power_41_57hz',
  'log_abs_power_41_57hz',
  'log_iqr_uv',
  'log_max_abs_uv',
  'log_sd_diff1_uv',
  'log_sd_diff2_uv',
  'frac_over_3sd',
  'skew_diff1',
  'sample_entropy',
  'lz_complexity',
  'log_peak_abs_power',
  'frac_extrema_over_sd',
] as const;

/** CV_CANDIDATES=name,name,... keeps only those candidates (default: all). */
const keep = toolSettings().CV_CANDIDATES?.split(',');
const KEEP_INDEX = ALL_CANDIDATES.map((n, i) => [n, i] as const).filter(([n]) => !keep || keep.includes(n));
export const CANDIDATE_NAMES: readonly string[] = KEEP_INDEX.map(([n]) => n);

function dft(x: Float64Array): Float64Array {
  // plain DFT power of a Hann-windowed window, bins 0..N/2 (scratch: speed does not matter)
  const p = new Float64Array(N / 2 + 1);
  for (let k = 0; k <= N / 2; k++) {
    let re = 0;
    let im = 0;
    for (let i = 0; i < N; i++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N);
      re += x[i]! * w * Math.cos((2 * Math.PI * k * i) / N);
      im -= x[i]! * w * Math.sin((2 * Math.PI * k * i) / N);
    }
    p[k] = re * re + im * im;
  }
  return p;
}

function sampleEntropy(x: Float64Array, sd: number): number {
  const m = 2;
  const r = 0.2 * sd;
  let a = 0;
  let b = 0;
  for (let i = 0; i + m < N; i++)
    for (let j = i + 1; j + m < N; j++) {
      if (Math.abs(x[i]! - x[j]!) > r || Math.abs(x[i + 1]! - x[j + 1]!) > r) continue;
      b++;
      if (Math.abs(x[i + 2]! - x[j + 2]!) <= r) a++;
    }
  return -Math.log((a + 1) / (b + 1));
}

function lz(x: Float64Array): number {
  const sorted = Float64Array.from(x).sort();
  const med = sorted[N / 2]!;
  const s = Array.from(x, (v) => (v > med ? '1' : '0')).join('');
  let c = 1;
  let i = 0;
  let k = 1;
  let l = 1;
  let kMax = 1;
  for (;;) {
    if (s[i + k - 1] === s[l + k - 1]) {
      k++;
      if (l + k > N) {
        c++;
        break;
      }
    } else {
      if (k > kMax) kMax = k;
      i++;
      if (i === l) {
        c++;
        l += kMax;
        if (l + 1 > N) break;
        i = 0;
        k = 1;
        kMax = 1;
      } else k = 1;
    }
  }
  return (c * Math.log2(N)) / N;
}

export function candidateWindow(x: ArrayLike<number>, offset: number, out: number[]): void {
  const c = new Float64Array(N);
  let mean = 0;
  for (let i = 0; i < N; i++) mean += x[offset + i]!;
  mean /= N;
  let m2 = 0;
  for (let i = 0; i < N; i++) {
    c[i] = x[offset + i]! - mean;
    m2 += c[i]! * c[i]!;
  }
  const sd = Math.sqrt(m2 / N) + 1e-9;
  const p = dft(c);
  let low = 0;
  let high = 0;
  let peak = 0;
  for (let k = 1; k <= 40; k++) {
    low += p[k]!;
    peak = Math.max(peak, p[k]!);
  }
  for (let k = 41; k <= 57; k++) high += p[k]!;
  const norm = 2 / (N * N * 0.375);
  out.push(Math.log10(high / (low + high + 1e-12) + 1e-6));
  out.push(Math.log10(high * norm + 1));
  const sorted = Float64Array.from(c).sort();
  out.push(Math.log10(sorted[Math.floor(0.75 * N)]! - sorted[Math.floor(0.25 * N)]! + 1));
  out.push(Math.log10(Math.max(-sorted[0]!, sorted[N - 1]!) + 1));
  let d1 = 0;
  let d1m3 = 0;
  let d2 = 0;
  for (let i = 1; i < N; i++) {
    const d = c[i]! - c[i - 1]!;
    d1 += d * d;
    d1m3 += d * d * d;
    if (i + 1 < N) {
      const dd = c[i + 1]! - 2 * c[i]! + c[i - 1]!;
      d2 += dd * dd;
    }
  }
  const sdD1 = Math.sqrt(d1 / (N - 1));
  out.push(Math.log10(sdD1 + 1));
  out.push(Math.log10(Math.sqrt(d2 / (N - 2)) + 1));
  let over = 0;
  for (let i = 0; i < N; i++) if (Math.abs(c[i]!) > 3 * sd) over++;
  out.push(over / N);
  out.push(d1m3 / (N - 1) / (sdD1 * sdD1 * sdD1 + 1e-12));
  out.push(sampleEntropy(c, sd));
  out.push(lz(c));
  out.push(Math.log10(peak * norm + 1));
  let bigExtrema = 0;
  for (let i = 1; i + 1 < N; i++)
    if ((c[i]! - c[i - 1]!) * (c[i + 1]! - c[i]!) < 0 && Math.abs(c[i]!) > sd) bigExtrema++;
  out.push(bigExtrema / N);
}

/** The recording's windows with the candidate features appended to each row. */
export function withCandidates(rw: RecordingWindows, base: number): RecordingWindows {
  const all: number[] = [];
  for (const chunk of recordingChunks(rw.recording.channels[0]!, rw.recording.sampleRateHz)) {
    const x = resample(chunk, rw.recording.sampleRateHz, MODEL_RATE_HZ);
    for (let w = 0; (w + 1) * N <= x.length; w++) candidateWindow(x, w * N, all);
  }
  const extra: number[] = [];
  for (let r = 0; r < rw.nWindows; r++)
    for (const [, i] of KEEP_INDEX) extra.push(all[r * ALL_CANDIDATES.length + i]!);
  const k = CANDIDATE_NAMES.length;
  if (extra.length !== rw.nWindows * k) throw new Error('window count mismatch');
  const dim = base + k;
  const features = new Float32Array(rw.nWindows * dim);
  for (let r = 0; r < rw.nWindows; r++) {
    features.set(rw.features.subarray(r * base, (r + 1) * base), r * dim);
    for (let j = 0; j < k; j++) features[r * dim + base + j] = extra[r * k + j]!;
  }
  return { ...rw, features };
}
