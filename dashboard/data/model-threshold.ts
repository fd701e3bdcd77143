// The window threshold of the deployed seizure model, so the patient page draws the line the
// detector actually uses (model.json is written by `vigil model train` next to model.onnx).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seizureModelDir } from '../../config/env.ts';
import { modelInfoSchema } from '../../functions/seizure-detector/model.ts';

let cached: number | null | undefined;

/** The threshold, or null when no model is installed next to this dashboard. */
export function seizureThreshold(dir: string = seizureModelDir()): number | null {
  if (cached !== undefined) return cached;
  try {
    cached = modelInfoSchema.parse(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))).threshold;
  } catch {
    cached = null;
  }
  return cached;
}
