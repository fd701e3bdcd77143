// Per-patient adaptation: inputs that say how a window differs from the same patient's own EEG rather
// than from a recording family's absolute amplitude. Scalp EEG is several times weaker than Bonn's
// intracranial EEG, so a seizure on the scalp looks like normal intracranial EEG in microvolts; relative
// to the channel's own running baseline, and to the other channels of the montage, it does not.
//
// - Baseline: per channel, the running mean of the amplitude features (log SD, log line length, log
//   absolute band powers). For the first BASELINE_WARMUP_WINDOWS windows it is the plain mean of the
//   windows seen (the warm-up), then an exponential mean with that time constant, so it follows the
//   patient's EEG over minutes. A window is compared with the baseline of the windows before it.
// - Montage: a window's amplitude relative to the median channel of the same second.
// - Spread: the fraction of channels whose line length rose by SPREAD_LOG10 (log10) or more, over the baseline
//   and over the channel's previous CONTEXT_WINDOWS − 1 windows (a seizure changes many channels at
//   once, an electrode artefact one).
//
// Training, evaluation and serving all call withAdaptation(); the baseline it returns is stored per
// patient with the window history (float32, so a stored baseline reproduces the training inputs).
import { bytesToSamples, samplesToBytes } from '../../storage/float32-samples.ts';
import { CONTEXT_WINDOWS, type WindowHistory } from './context.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from './features.ts';

/** Windows (seconds) of the warm-up, and the time constant of the running baseline after it. */
export const BASELINE_WARMUP_WINDOWS = 30;
/**
 * A rise in log10 line length by this much (a factor of about 2.5) counts a channel as changed for the
 * spread inputs.
 */
export const SPREAD_LOG10 = 0.4;

const AMPLITUDE_FEATURES = [
  'log_sd_uv',
  'log_line_length_uv',
  ...FEATURE_NAMES.filter((n) => n.startsWith('log_abs_power_')),
] as const;
const AMP = AMPLITUDE_FEATURES.map((n) => FEATURE_NAMES.indexOf(n));
const A = AMP.length;
const SD = FEATURE_NAMES.indexOf('log_sd_uv');
const LL = FEATURE_NAMES.indexOf('log_line_length_uv');

export const ADAPTATION_NAMES: readonly string[] = [
  ...AMPLITUDE_FEATURES.map((n) => `base_rel_${n}`),
  'montage_rel_log_sd_uv',
  'montage_rel_log_line_length_uv',
  'spread_base_line_length',
  'spread_recent_line_length',
];
export const ADAPTATION_COUNT = ADAPTATION_NAMES.length;

/** Per channel, the running baseline of the amplitude features and how many windows it has seen. */
export interface ChannelBaseline {
  nChannels: number;
  /** Windows seen (capped at BASELINE_WARMUP_WINDOWS: only the warm-up needs the count). */
  windows: number;
  /** nChannels × AMPLITUDE_FEATURES float32. */
  values: Float32Array;
}

export interface AdaptationInputs {
  /** Row (window w, channel c) = w · nChannels + c; ADAPTATION_COUNT float32 values per row. */
  inputs: Float32Array;
  /** The baseline after this chunk, to pass with the next one. */
  baseline: ChannelBaseline;
}

/**
 * Adaptation inputs of one chunk's windows (`features` as chunkFeatures() returns them). `past` holds the
 * windows just before the chunk (as withContext() keeps them), `baseline` the patient's running baseline;
 * either may be null (first chunk, gap), and a baseline of another channel count is ignored.
 */
export function withAdaptation(
  features: Float32Array,
  nWindows: number,
  nChannels: number,
  past: WindowHistory | null,
  baseline: ChannelBaseline | null,
): AdaptationInputs {
  const F = FEATURE_COUNT;
  const rowF = nChannels * F;
  const prior = past && past.nChannels === nChannels ? past : null;
  const priorWindows = prior?.windows ?? 0;
  const ok = baseline && baseline.nChannels === nChannels && baseline.values.length === nChannels * A;
  const values = ok ? Float32Array.from(baseline.values) : new Float32Array(nChannels * A);
  let seen = ok ? baseline.windows : 0;
  // the feature j of channel c at window t, counting the prior windows first
  const at = (t: number, c: number, j: number): number =>
    t < priorWindows
      ? prior!.features[t * rowF + c * F + j]!
      : features[(t - priorWindows) * rowF + c * F + j]!;
  const inputs = new Float32Array(nWindows * nChannels * ADAPTATION_COUNT);
  const sd = new Float64Array(nChannels);
  const ll = new Float64Array(nChannels);
  for (let w = 0; w < nWindows; w++) {
    const t = priorWindows + w;
    if (seen === 0)
      for (let c = 0; c < nChannels; c++) for (let i = 0; i < A; i++) values[c * A + i] = at(t, c, AMP[i]!);
    let changedBase = 0;
    let changedRecent = 0;
    for (let c = 0; c < nChannels; c++) {
      const o = (w * nChannels + c) * ADAPTATION_COUNT;
      for (let i = 0; i < A; i++) inputs[o + i] = at(t, c, AMP[i]!) - values[c * A + i]!;
      if (at(t, c, LL) - values[c * A + 1]! > SPREAD_LOG10) changedBase++;
      const lo = Math.max(0, t - (CONTEXT_WINDOWS - 1));
      if (t > lo) {
        let s = 0;
        for (let u = lo; u < t; u++) s += at(u, c, LL);
        if (at(t, c, LL) - s / (t - lo) > SPREAD_LOG10) changedRecent++;
      }
      sd[c] = at(t, c, SD);
      ll[c] = at(t, c, LL);
    }
    const sdMedian = median(sd);
    const llMedian = median(ll);
    for (let c = 0; c < nChannels; c++) {
      const o = (w * nChannels + c) * ADAPTATION_COUNT + A;
      inputs[o] = sd[c]! - sdMedian;
      inputs[o + 1] = ll[c]! - llMedian;
      inputs[o + 2] = changedBase / nChannels;
      inputs[o + 3] = changedRecent / nChannels;
    }
    // the warm-up's plain mean, then an exponential mean with the same time constant
    const a = Math.max(1 / BASELINE_WARMUP_WINDOWS, 1 / (seen + 1));
    for (let c = 0; c < nChannels; c++)
      for (let i = 0; i < A; i++) {
        const k = c * A + i;
        values[k] = values[k]! + a * (at(t, c, AMP[i]!) - values[k]!);
      }
    seen = Math.min(BASELINE_WARMUP_WINDOWS, seen + 1);
  }
  return { inputs, baseline: { nChannels, windows: seen, values } };
}

/** The lower median (an actual channel's value, so one channel alone is its own median). */
function median(v: Float64Array): number {
  const s = Float64Array.from(v).sort();
  return s[(s.length - 1) >> 1]!;
}

/** The stored form of a baseline (JSON-safe): the float32 LE bytes of storage/float32-samples.ts, base64. */
export function encodeBaseline(b: ChannelBaseline): { nChannels: number; windows: number; values: string } {
  return {
    nChannels: b.nChannels,
    windows: b.windows,
    values: samplesToBytes([b.values]).toString('base64'),
  };
}

export function decodeBaseline(e: { nChannels: number; windows: number; values: string }): ChannelBaseline {
  const bytes = Buffer.from(e.values, 'base64');
  const expected = e.nChannels * A;
  if (bytes.length !== expected * 4)
    throw new Error(`stored baseline holds ${bytes.length} bytes, expected ${expected * 4}`);
  if (!Number.isInteger(e.windows) || e.windows < 0 || e.windows > BASELINE_WARMUP_WINDOWS)
    throw new Error(`stored baseline has ${e.windows} windows, expected 0–${BASELINE_WARMUP_WINDOWS}`);
  return { nChannels: e.nChannels, windows: e.windows, values: bytesToSamples(bytes, 1)[0]! };
}
