// Band-limited resampling of one channel to the model rate (windowed-sinc, Blackman window).
// Weights depend only on (input rate, input length), so they are computed once per chunk geometry
// and reused for every channel and every chunk of the same shape.

/** Low-pass cut-off as a fraction of the lower Nyquist frequency: keeps 0–40 Hz intact at 128 Hz. */
const CUTOFF_FRACTION = 0.9;
/** Sinc lobes kept on each side of the kernel centre. */
const LOBES = 8;

interface Plan {
  nOut: number;
  taps: number;
  /** First input index used by each output sample. */
  start: Int32Array;
  /** nOut × taps weights, each row summing to 1 (unit DC gain, also at the edges). */
  weights: Float64Array;
}

const plans = new Map<string, Plan>();
const MAX_PLANS = 16;

/**
 * Output samples for nIn input samples: the same duration at the new rate, rounded (174 samples at
 * 173.61 Hz give one 128-sample second; the last output may sit half a sample past the last input).
 */
export function resampledLength(nIn: number, fsIn: number, fsOut: number): number {
  if (nIn <= 0) return 0;
  if (fsIn === fsOut) return nIn;
  return Math.round((nIn * fsOut) / fsIn);
}

function plan(nIn: number, fsIn: number, fsOut: number): Plan {
  const key = `${fsIn}:${fsOut}:${nIn}`;
  const hit = plans.get(key);
  if (hit) return hit;
  const nOut = resampledLength(nIn, fsIn, fsOut);
  const cutoff = (CUTOFF_FRACTION * Math.min(fsIn, fsOut)) / 2;
  const r = cutoff / fsIn; // cut-off in cycles per input sample
  const half = Math.ceil(LOBES / (2 * r));
  const taps = 2 * half + 1;
  const start = new Int32Array(nOut);
  const weights = new Float64Array(nOut * taps);
  for (let m = 0; m < nOut; m++) {
    const pos = (m * fsIn) / fsOut;
    const centre = Math.round(pos);
    const s = centre - half;
    start[m] = s;
    let sum = 0;
    for (let t = 0; t < taps; t++) {
      const k = s + t;
      if (k < 0 || k >= nIn) continue;
      const d = k - pos;
      const u = d / (half + 1); // Blackman window over |u| < 1
      if (Math.abs(u) >= 1) continue;
      const x = 2 * r * d;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const w = 0.42 + 0.5 * Math.cos(Math.PI * u) + 0.08 * Math.cos(2 * Math.PI * u);
      const v = sinc * w;
      weights[m * taps + t] = v;
      sum += v;
    }
    for (let t = 0; t < taps; t++) weights[m * taps + t]! /= sum;
  }
  const p: Plan = { nOut, taps, start, weights };
  if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value as string);
  plans.set(key, p);
  return p;
}

/** Resamples x (sampled at fsIn) to fsOut. Identity copy when the rates are equal. */
export function resample(x: ArrayLike<number>, fsIn: number, fsOut: number): Float64Array {
  const nIn = x.length;
  if (fsIn === fsOut) return Float64Array.from(x);
  const { nOut, taps, start, weights } = plan(nIn, fsIn, fsOut);
  const out = new Float64Array(nOut);
  for (let m = 0; m < nOut; m++) {
    const s = start[m]!;
    const base = m * taps;
    const t0 = s < 0 ? -s : 0;
    const t1 = Math.min(taps, nIn - s);
    // Four independent sums: a single running sum waits on every add's latency.
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let t = t0;
    for (; t + 3 < t1; t += 4) {
      a0 += weights[base + t]! * x[s + t]!;
      a1 += weights[base + t + 1]! * x[s + t + 1]!;
      a2 += weights[base + t + 2]! * x[s + t + 2]!;
      a3 += weights[base + t + 3]! * x[s + t + 3]!;
    }
    for (; t < t1; t++) a0 += weights[base + t]! * x[s + t]!;
    out[m] = a0 + a1 + (a2 + a3);
  }
  return out;
}
