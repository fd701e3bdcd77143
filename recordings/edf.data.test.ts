// The real CHB-MIT excerpts in ../shared (see ../shared/data/README.md, section 2).

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDir } from '../config/env.ts';
import { readEdfFile } from './edf.ts';

const SHARED = sharedDir();
const dir = path.join(SHARED, 'data/eeg/chbmit-chb01');
const LABELS =
  'FP1-F7,F7-T7,T7-P7,P7-O1,FP1-F3,F3-C3,C3-P3,P3-O1,FP2-F4,F4-C4,C4-P4,P4-O2,FP2-F8,F8-T8,T8-P8,P8-O2,FZ-CZ,CZ-PZ,P7-T7,T7-FT9,FT9-FT10,FT10-T8,T8-P8';

const sd = (x: Float64Array) => {
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length);
};

describe.each([
  ['chb01_03_Seizure.edf', '14.32.59', 92.3],
  ['chb01_03_NonSeizure.edf', '13.43.04', 39.2],
])('%s', (name, startTime, meanSd) => {
  it('has the documented header, channels, sizes and amplitudes', async () => {
    const edf = await readEdfFile(path.join(dir, name));
    expect(edf.format).toBe('EDF');
    expect(edf.headerBytes).toBe(6144);
    expect(edf.recordCount).toBe(41);
    expect(edf.recordDurationS).toBe(1);
    expect(edf.startTime).toBe(startTime);
    expect(edf.annotations).toEqual([]);
    expect(edf.signals.map((s) => s.label).join(',')).toBe(LABELS);
    for (const s of edf.signals) {
      expect(s.sampleRateHz).toBe(256);
      expect(s.samples.length).toBe(10_496);
      expect([s.physicalMin, s.physicalMax, s.digitalMin, s.digitalMax]).toEqual([-800, 800, -2048, 2047]);
      expect(Math.max(...s.samples.map(Math.abs))).toBeLessThan(800);
    }
    const mean = edf.signals.reduce((a, s) => a + sd(s.samples), 0) / edf.signals.length;
    expect(mean).toBeCloseTo(meanSd, 0);
  });
});
