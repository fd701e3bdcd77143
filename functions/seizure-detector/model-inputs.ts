// What one model row holds, by model kind. Every kind reads the window's context inputs (context.ts)
// followed by its adaptation inputs (adaptation.ts); the hybrid CNN reads those followed by the window's
// resampled samples, which its convolutions see. One definition for training, model.json checks and
// serving.
import { ADAPTATION_COUNT, ADAPTATION_NAMES } from './adaptation.ts';
import { INPUT_COUNT, INPUT_NAMES } from './context.ts';
import { WINDOW_SAMPLES } from './features.ts';
import type { ModelKind } from './model.ts';

/** The inputs computed from features, before any raw samples. */
export const FEATURE_INPUT_NAMES: readonly string[] = [...INPUT_NAMES, ...ADAPTATION_NAMES];
export const FEATURE_INPUT_COUNT = FEATURE_INPUT_NAMES.length;

export const RAW_INPUT_NAMES: readonly string[] = Array.from(
  { length: WINDOW_SAMPLES },
  (_, i) => `raw_uv_${i}`,
);

/** Whether a kind's rows carry the raw window after the feature inputs. */
export const usesRawWindow = (kind: ModelKind): boolean => kind === 'cnn';

export const modelInputNames = (kind: ModelKind): readonly string[] =>
  usesRawWindow(kind) ? [...FEATURE_INPUT_NAMES, ...RAW_INPUT_NAMES] : FEATURE_INPUT_NAMES;

export const modelInputCount = (kind: ModelKind): number =>
  FEATURE_INPUT_COUNT + (usesRawWindow(kind) ? WINDOW_SAMPLES : 0);

/** Rows of the context inputs (INPUT_COUNT each) each followed by its adaptation inputs. */
export function withAdaptationInputs(
  context: Float32Array,
  adaptation: Float32Array,
  rows: number,
): Float32Array {
  const out = new Float32Array(rows * FEATURE_INPUT_COUNT);
  for (let r = 0; r < rows; r++) {
    out.set(context.subarray(r * INPUT_COUNT, (r + 1) * INPUT_COUNT), r * FEATURE_INPUT_COUNT);
    out.set(
      adaptation.subarray(r * ADAPTATION_COUNT, (r + 1) * ADAPTATION_COUNT),
      r * FEATURE_INPUT_COUNT + INPUT_COUNT,
    );
  }
  return out;
}

/**
 * Rows of FEATURE_INPUT_COUNT inputs, each followed by its `rawLength` samples (`raw`: rows × rawLength;
 * the served CNN reads one window, WINDOW_SAMPLES, as chunkFeatures returns them).
 */
export function withRawWindows(
  inputs: Float32Array,
  raw: Float32Array,
  rows: number,
  rawLength = WINDOW_SAMPLES,
): Float32Array {
  const dim = FEATURE_INPUT_COUNT + rawLength;
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    out.set(inputs.subarray(r * FEATURE_INPUT_COUNT, (r + 1) * FEATURE_INPUT_COUNT), r * dim);
    out.set(raw.subarray(r * rawLength, (r + 1) * rawLength), r * dim + FEATURE_INPUT_COUNT);
  }
  return out;
}
