import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../functions/seizure-detector/features.ts';
import { FEATURE_INPUT_COUNT } from '../functions/seizure-detector/model-inputs.ts';
import type { RecordingWindows } from './dataset.ts';
import { ictalChannels, readScalpWindows, scalpTrainingWindows } from './scalp-windows.ts';

const LL = FEATURE_NAMES.indexOf('log_line_length_uv');

/** nWindows × channels rows whose log10 line length is `ll[c]`. */
function windows(set: string, label: 0 | 1, ll: number[], nWindows = 3): RecordingWindows {
  const nChannels = ll.length;
  const features = new Float32Array(nWindows * nChannels * FEATURE_INPUT_COUNT);
  for (let w = 0; w < nWindows; w++)
    for (let c = 0; c < nChannels; c++) features[(w * nChannels + c) * FEATURE_INPUT_COUNT + LL] = ll[c]!;
  return {
    recording: {
      name: `${set}_${label ? 'ictal' : 'preictal10s'}`,
      set,
      label,
      sampleRateHz: 256,
      channels: [],
    },
    features,
    nWindows,
    nChannels,
  };
}

describe('ictalChannels', () => {
  it('keeps the derivations whose line length rose by 0.4 (log10) or more over the pre-ictal window', () => {
    const r = ictalChannels(windows('s1', 1, [1.5, 1.1, 1.0]), windows('s1', 0, [1.0, 1.0, 1.0]));
    expect(Array.from(r.keep!)).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0]);
  });

  it('refuses a pre-ictal window of another montage', () => {
    expect(() => ictalChannels(windows('s1', 1, [1, 1]), windows('s1', 0, [1]))).toThrow(/montage/);
  });

  it('restricts only ictal windows, each against its own seizure, and needs that seizure’s pre-ictal window', () => {
    const all = [
      windows('s1', 0, [1, 1]),
      windows('s1', 1, [2, 1]),
      windows('s2', 0, [0, 2]),
      windows('s2', 1, [2, 1]),
    ];
    const out = scalpTrainingWindows(all);
    expect(out[0]!.keep).toBeUndefined();
    expect(Array.from(out[1]!.keep!.subarray(0, 2))).toEqual([1, 0]);
    expect(Array.from(out[3]!.keep!.subarray(0, 2))).toEqual([1, 0]);
    expect(() => scalpTrainingWindows([windows('s3', 1, [1])])).toThrow(/pre-ictal/);
  });
});

describe('readScalpWindows', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-scalp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the directory when it holds no seizure windows', async () => {
    writeFileSync(path.join(dir, 'notes.txt'), 'x');
    await expect(readScalpWindows(dir)).rejects.toThrow(/no \*_ictal\.edf/);
  });
});
