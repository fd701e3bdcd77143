// The EEG display filters pass what they should and stop what they should, measured on sinusoids.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain browser ES module without types
import { applyFilters, designFilters } from './eeg-filters.js';

const FS = 256;
const sine = (f: number, seconds = 8, amp = 100) =>
  Float64Array.from({ length: FS * seconds }, (_, i) => amp * Math.sin((2 * Math.PI * f * i) / FS));

/** RMS of the last 4 s (after the filters settled). */
function rms(x: Float64Array): number {
  const tail = x.subarray(x.length - 4 * FS);
  return Math.sqrt(tail.reduce((s, v) => s + v * v, 0) / tail.length);
}

const gainDb = (f: number, settings: Record<string, number>) => {
  const { sections } = designFilters(settings, FS);
  return 20 * Math.log10(rms(applyFilters(sine(f), sections)) / rms(sine(f)));
};

describe('EEG display filters', () => {
  it('a 50 Hz notch removes mains hum and leaves alpha and beta rhythms', () => {
    expect(gainDb(50, { notch: 50 })).toBeLessThan(-30);
    expect(Math.abs(gainDb(10, { notch: 50 }))).toBeLessThan(0.2);
    expect(Math.abs(gainDb(30, { notch: 50 }))).toBeLessThan(0.5);
    expect(gainDb(60, { notch: 60 })).toBeLessThan(-30);
  });

  it('the high-pass removes drift and the low-pass removes fast noise, -3 dB at the corner', () => {
    expect(gainDb(0.1, { highPass: 1 })).toBeLessThan(-30);
    expect(Math.abs(gainDb(10, { highPass: 1 }))).toBeLessThan(0.1);
    expect(gainDb(1, { highPass: 1 })).toBeCloseTo(-3, 0);
    expect(gainDb(100, { lowPass: 15 })).toBeLessThan(-30);
    expect(gainDb(15, { lowPass: 15 })).toBeCloseTo(-3, 0);
    expect(Math.abs(gainDb(5, { lowPass: 70 }))).toBeLessThan(0.1);
  });

  it('a DC offset does not start the trace with a step when the high-pass is on', () => {
    const { sections } = designFilters({ highPass: 0.5 }, FS);
    const out = applyFilters(
      Float64Array.from({ length: FS }, () => 400),
      sections,
    );
    expect(Math.max(...out.map(Math.abs))).toBeLessThan(1e-9);
  });

  it('leaves out corners at or above the Nyquist limit and says so', () => {
    const { sections, skipped } = designFilters({ lowPass: 70, notch: 60 }, 128);
    expect(sections).toHaveLength(0);
    expect(skipped).toEqual(['low-pass', 'notch']);
    expect(designFilters({}, FS).sections).toHaveLength(0);
  });
});
