// What one model row holds, by model kind. MLPs and trees read the window's context inputs
// (context.ts); the hybrid CNN reads those followed by the window's resampled samples, which its
// convolutions see. One definition for training, model.json checks and serving.
import { INPUT_COUNT, INPUT_NAMES } from './context.ts';
import { WINDOW_SAMPLES } from './features.ts';
import type { ModelKind } from './model.ts';

export const RAW_INPUT_NAMES: readonly string[] = Array.from(
  { length: WINDOW_SAMPLES },
  (_, i) => `raw_uv_${i}`,
);

/** Whether a kind's rows carry the raw window after the context inputs. */
export const usesRawWindow = (kind: ModelKind): boolean => kind === 'cnn';

export const modelInputNames = (kind: ModelKind): readonly string[] =>
  usesRawWindow(kind) ? [...INPUT_NAMES, ...RAW_INPUT_NAMES] : INPUT_NAMES;

export const modelInputCount = (kind: ModelKind): number =>
  INPUT_COUNT + (usesRawWindow(kind) ? WINDOW_SAMPLES : 0);

/**
 * Rows of INPUT_COUNT context inputs, each followed by its `rawLength` samples (`raw`: rows × rawLength;
 * the served CNN reads one window, WINDOW_SAMPLES, as chunkFeatures returns them).
 */
export function withRawWindows(
  inputs: Float32Array,
  raw: Float32Array,
  rows: number,
  rawLength = WINDOW_SAMPLES,
): Float32Array {
  const dim = INPUT_COUNT + rawLength;
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    out.set(inputs.subarray(r * INPUT_COUNT, (r + 1) * INPUT_COUNT), r * dim);
    out.set(raw.subarray(r * rawLength, (r + 1) * rawLength), r * dim + INPUT_COUNT);
  }
  return out;
}
