// Display filters of EEG review, as on an EEG machine: a high-pass (low-frequency filter), a low-pass
// (high-frequency filter) and a 50/60 Hz notch, each a second-order IIR section (the Audio EQ
// Cookbook's biquads, Butterworth Q for the pass filters), run forward in time. They change what is
// drawn only: the stored signal and the detector never see them.

/** Coefficients {b0, b1, b2, a1, a2} normalised by a0. */
function biquad(kind, f0, fs, q) {
  const w0 = (2 * Math.PI * f0) / fs;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * q);
  let b0;
  let b1;
  let b2;
  if (kind === 'lowpass') {
    b0 = (1 - cos) / 2;
    b1 = 1 - cos;
    b2 = (1 - cos) / 2;
  } else if (kind === 'highpass') {
    b0 = (1 + cos) / 2;
    b1 = -(1 + cos);
    b2 = (1 + cos) / 2;
  } else {
    b0 = 1;
    b1 = -2 * cos;
    b2 = 1;
  }
  const a0 = 1 + alpha;
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: (-2 * cos) / a0, a2: (1 - alpha) / a0 };
}

const BUTTERWORTH_Q = Math.SQRT1_2;
/** Notch Q: about 1.7 Hz wide at 50 Hz, as narrow as mains hum needs. */
const NOTCH_Q = 30;

/**
 * The sections for these settings at sampling rate fs; a setting of 0 is off, and a corner at or above
 * 0.45 fs (nearly Nyquist, where the biquad is meaningless) is left out and reported in `skipped`.
 */
export function designFilters({ highPass = 0, lowPass = 0, notch = 0 }, fs) {
  const sections = [];
  const skipped = [];
  const ok = (f) => f > 0 && f < 0.45 * fs;
  if (highPass > 0)
    ok(highPass) ? sections.push(biquad('highpass', highPass, fs, BUTTERWORTH_Q)) : skipped.push('high-pass');
  if (lowPass > 0)
    ok(lowPass) ? sections.push(biquad('lowpass', lowPass, fs, BUTTERWORTH_Q)) : skipped.push('low-pass');
  if (notch > 0) ok(notch) ? sections.push(biquad('notch', notch, fs, NOTCH_Q)) : skipped.push('notch');
  return { sections, skipped };
}

/**
 * Runs the sections over one contiguous segment (a new array). The segment's first value is taken as
 * its baseline so that a high-pass does not start with a step from zero.
 */
export function applyFilters(samples, sections) {
  const n = samples.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const hasHighPass = sections.some((s) => s.b0 + s.b1 + s.b2 < 1e-9);
  const base = hasHighPass ? samples[0] : 0;
  for (let i = 0; i < n; i++) out[i] = samples[i] - base;
  for (const s of sections) {
    let x1 = 0;
    let x2 = 0;
    let y1 = 0;
    let y2 = 0;
    for (let i = 0; i < n; i++) {
      const x = out[i];
      const y = s.b0 * x + s.b1 * x1 + s.b2 * x2 - s.a1 * y1 - s.a2 * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      out[i] = y;
    }
  }
  return out;
}
