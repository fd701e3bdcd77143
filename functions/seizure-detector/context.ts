// Causal context: a window's model input is its own features plus the mean and SD of every feature over
// the last CONTEXT_WINDOWS windows of the same channel (itself included) and how full that history is.
// One second of EEG cannot tell some interictal high-amplitude activity from a seizure; eight seconds of
// the same channel can tell most of it (cross-validated in models/seizure/model-card.md). Only past
// windows are used, so a window's probability is final when its second has arrived.
//
// Training, evaluation and serving all call withContext(); the history it returns is what the detector
// stores per patient between chunks (float32, so a stored history reproduces the training inputs exactly).
import { bytesToSamples, samplesToBytes } from '../../storage/float32-samples.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from './features.ts';

export const CONTEXT_WINDOWS = 8;

/** What the model consumes per (window, channel) row, in order. */
export const INPUT_NAMES: readonly string[] = [
  ...FEATURE_NAMES,
  ...FEATURE_NAMES.map((n) => `ctx${CONTEXT_WINDOWS}_mean_${n}`),
  ...FEATURE_NAMES.map((n) => `ctx${CONTEXT_WINDOWS}_sd_${n}`),
  `ctx${CONTEXT_WINDOWS}_fill`,
];
export const INPUT_COUNT = INPUT_NAMES.length;

/** The previous windows of every channel: windows × nChannels × FEATURE_COUNT float32, oldest first. */
export interface WindowHistory {
  windows: number;
  nChannels: number;
  features: Float32Array;
}

const emptyHistory = (nChannels: number): WindowHistory => ({
  windows: 0,
  nChannels,
  features: new Float32Array(0),
});

export interface ContextInputs {
  /** Row (window w, channel c) = w · nChannels + c; INPUT_COUNT float32 values per row. */
  inputs: Float32Array;
  /** The last ≤ CONTEXT_WINDOWS − 1 windows, to pass with the next chunk. */
  history: WindowHistory;
}

/**
 * Model inputs for the windows of one chunk (`features`: nWindows × nChannels × FEATURE_COUNT, as
 * chunkFeatures() returns them) given the windows before it. A history for another channel count is
 * not this signal's past and is ignored.
 */
export function withContext(
  features: Float32Array,
  nWindows: number,
  nChannels: number,
  history: WindowHistory | null,
): ContextInputs {
  const F = FEATURE_COUNT;
  const past = history && history.nChannels === nChannels ? history : emptyHistory(nChannels);
  const rowF = nChannels * F;
  // every window in time order: the history, then this chunk
  const all = new Float32Array((past.windows + nWindows) * rowF);
  all.set(past.features.subarray(0, past.windows * rowF));
  all.set(features.subarray(0, nWindows * rowF), past.windows * rowF);
  const inputs = new Float32Array(nWindows * nChannels * INPUT_COUNT);
  for (let w = 0; w < nWindows; w++) {
    const t = past.windows + w;
    const lo = Math.max(0, t - CONTEXT_WINDOWS + 1);
    const n = t - lo + 1;
    for (let c = 0; c < nChannels; c++) {
      const o = (w * nChannels + c) * INPUT_COUNT;
      const own = t * rowF + c * F;
      for (let j = 0; j < F; j++) {
        let s = 0;
        let s2 = 0;
        for (let u = lo; u <= t; u++) {
          const v = all[u * rowF + c * F + j]!;
          s += v;
          s2 += v * v;
        }
        const mean = s / n;
        inputs[o + j] = all[own + j]!;
        inputs[o + F + j] = mean;
        inputs[o + 2 * F + j] = Math.sqrt(Math.max(0, s2 / n - mean * mean));
      }
      inputs[o + 3 * F] = n / CONTEXT_WINDOWS;
    }
  }
  const total = past.windows + nWindows;
  const keep = Math.min(CONTEXT_WINDOWS - 1, total);
  return {
    inputs,
    history: {
      windows: keep,
      nChannels,
      features: all.slice((total - keep) * rowF, total * rowF),
    },
  };
}

/** The stored form of a history (JSON-safe): the float32 LE bytes of storage/float32-samples.ts, base64. */
export function encodeHistory(h: WindowHistory): { windows: number; nChannels: number; features: string } {
  return {
    windows: h.windows,
    nChannels: h.nChannels,
    features: samplesToBytes([h.features]).toString('base64'),
  };
}

export function decodeHistory(e: { windows: number; nChannels: number; features: string }): WindowHistory {
  const bytes = Buffer.from(e.features, 'base64');
  const expected = e.windows * e.nChannels * FEATURE_COUNT;
  if (bytes.length !== expected * 4)
    throw new Error(`stored window history holds ${bytes.length} bytes, expected ${expected * 4}`);
  return { windows: e.windows, nChannels: e.nChannels, features: bytesToSamples(bytes, 1)[0]! };
}
