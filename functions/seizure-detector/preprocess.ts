// The one preprocessing path from raw multi-channel EEG (µV, any rate) to the model's feature matrix:
// resample every channel to MODEL_RATE_HZ, cut consecutive 1-second windows, compute features per
// window and channel. Training, evaluation and the served function all call chunkFeatures().
import { FEATURE_COUNT, MODEL_RATE_HZ, WINDOW_SAMPLES, windowFeatures } from './features.ts';
import { resample, resampledLength } from './resample.ts';

export { FEATURE_COUNT, FEATURE_NAMES, MODEL_RATE_HZ, WINDOW_SAMPLES } from './features.ts';

export const WINDOW_SECONDS = WINDOW_SAMPLES / MODEL_RATE_HZ;

export interface ChunkFeatures {
  nWindows: number;
  nChannels: number;
  /** Row (window w, channel c) = w · nChannels + c; FEATURE_COUNT float32 values per row. */
  features: Float32Array;
  /** With `keepWindows`: the resampled windows (µV), same rows, WINDOW_SAMPLES values each. */
  windows?: Float32Array;
}

/** Whole 1-second windows a chunk of nSamples at sampleRateHz yields (a trailing partial window is dropped). */
export function windowCount(nSamples: number, sampleRateHz: number): number {
  return Math.floor(resampledLength(nSamples, sampleRateHz, MODEL_RATE_HZ) / WINDOW_SAMPLES);
}

/**
 * Samples are clipped to ±1 V (1e6 µV). No EEG comes near it, and it keeps every feature finite for any
 * finite input the contract allows (fourth powers of 1e150 would overflow).
 */
export const CLIP_UV = 1e6;

function clipped(x: ArrayLike<number>): ArrayLike<number> {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v > CLIP_UV || v < -CLIP_UV)
      return Float64Array.from(x, (u) => Math.max(-CLIP_UV, Math.min(CLIP_UV, u)));
  }
  return x;
}

export function chunkFeatures(
  samples: ReadonlyArray<ArrayLike<number>>,
  sampleRateHz: number,
  /** Also return the resampled windows (for models that read the samples, see model-inputs.ts). */
  keepWindows = false,
): ChunkFeatures {
  const nChannels = samples.length;
  const nWindows = nChannels === 0 ? 0 : windowCount(samples[0]!.length, sampleRateHz);
  const features = new Float32Array(nWindows * nChannels * FEATURE_COUNT);
  const windows = keepWindows ? new Float32Array(nWindows * nChannels * WINDOW_SAMPLES) : undefined;
  for (let c = 0; c < nChannels; c++) {
    const x = resample(clipped(samples[c]!), sampleRateHz, MODEL_RATE_HZ);
    for (let w = 0; w < nWindows; w++) {
      windowFeatures(x, w * WINDOW_SAMPLES, features, (w * nChannels + c) * FEATURE_COUNT);
      windows?.set(
        x.subarray(w * WINDOW_SAMPLES, (w + 1) * WINDOW_SAMPLES),
        (w * nChannels + c) * WINDOW_SAMPLES,
      );
    }
  }
  return { nWindows, nChannels, features, windows };
}

/**
 * Splits a long single recording into the chunks a device would send (≤ chunkSeconds each), so
 * training and evaluation see exactly the windows the served function sees.
 */
export function recordingChunks(
  samples: Float64Array,
  sampleRateHz: number,
  chunkSeconds = 10,
): Float64Array[] {
  const per = Math.floor(chunkSeconds * sampleRateHz + 1e-9);
  const out: Float64Array[] = [];
  for (let s = 0; s < samples.length; s += per)
    out.push(samples.subarray(s, Math.min(samples.length, s + per)));
  return out;
}
