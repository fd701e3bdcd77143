// The CHB-MIT chb01 seizure windows (../shared/data/eeg/chbmit-chb01/windows, README section 2b) as
// training recordings: per seizure `chb01_NN`, 10 s inside it (`_ictal.edf`, label 1) and the 10 s just
// before its onset (`_preictal10s.edf`, label 0). A seizure is one group: it is never split, so
// leave-one-seizure-out holds out both of its windows.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { FEATURE_NAMES } from '../functions/seizure-detector/features.ts';
import { FEATURE_INPUT_COUNT } from '../functions/seizure-detector/model-inputs.ts';
import { readEdfFile } from '../recordings/edf.ts';
import type { LabelledRecording, RecordingWindows } from './dataset.ts';

const ICTAL = /^(.+)_ictal\.edf$/i;
const PREICTAL = /^(.+)_preictal10s\.edf$/i;

/** Every seizure's two windows, sorted by seizure then label (pre-ictal first). */
export async function readScalpWindows(dir: string): Promise<LabelledRecording[]> {
  const names = (await readdir(dir)).filter((n) => ICTAL.test(n) || PREICTAL.test(n)).sort();
  if (names.length === 0) throw new Error(`${dir}: no *_ictal.edf or *_preictal10s.edf windows`);
  const out: LabelledRecording[] = [];
  for (const name of names) {
    const edf = await readEdfFile(path.join(dir, name));
    const rates = new Set(edf.signals.map((s) => s.sampleRateHz));
    if (rates.size !== 1) throw new Error(`${name}: signals have different sampling rates`);
    const ictal = ICTAL.exec(name);
    out.push({
      name: name.replace(/\.edf$/i, ''),
      set: (ictal ?? PREICTAL.exec(name))![1]!,
      label: ictal ? 1 : 0,
      sampleRateHz: edf.signals[0]!.sampleRateHz,
      channels: edf.signals.map((s) => s.samples),
    });
  }
  return out;
}

/** The seizures (groups) of the windows, sorted. */
export const scalpSeizures = (windows: readonly LabelledRecording[]): string[] =>
  [...new Set(windows.map((w) => w.set))].sort();

/**
 * A scalp seizure is focal or spreads over part of the montage: in the ictal window, only the derivations
 * whose mean log10 line length rose by at least ICTAL_CHANNEL_LOG10 over the same seizure's pre-ictal
 * window are training examples of seizure; the others are left out of training (not called normal:
 * they are inside a seizure). Pre-ictal windows keep every channel.
 */
export const ICTAL_CHANNEL_LOG10 = 0.4;

const LL = FEATURE_NAMES.indexOf('log_line_length_uv');

function channelMeans(w: RecordingWindows): Float64Array {
  const m = new Float64Array(w.nChannels);
  for (let t = 0; t < w.nWindows; t++)
    for (let c = 0; c < w.nChannels; c++)
      m[c]! += w.features[(t * w.nChannels + c) * FEATURE_INPUT_COUNT + LL]! / w.nWindows;
  return m;
}

/** `ictal` with `keep` set to its changed channels (see ICTAL_CHANNEL_LOG10). */
export function ictalChannels(ictal: RecordingWindows, preictal: RecordingWindows): RecordingWindows {
  if (ictal.nChannels !== preictal.nChannels)
    throw new Error(`${ictal.recording.name}: another montage than ${preictal.recording.name}`);
  const a = channelMeans(ictal);
  const b = channelMeans(preictal);
  const keep = new Uint8Array(ictal.nWindows * ictal.nChannels);
  for (let r = 0; r < keep.length; r++) {
    const c = r % ictal.nChannels;
    keep[r] = a[c]! - b[c]! >= ICTAL_CHANNEL_LOG10 ? 1 : 0;
  }
  return { ...ictal, keep };
}

/** Windows of every scalp recording, with the ictal ones restricted to their changed channels. */
export function scalpTrainingWindows(windows: readonly RecordingWindows[]): RecordingWindows[] {
  return windows.map((w) => {
    if (w.recording.label === 0) return w;
    const pre = windows.find((p) => p.recording.set === w.recording.set && p.recording.label === 0);
    if (!pre) throw new Error(`${w.recording.name}: no pre-ictal window of the same seizure`);
    return ictalChannels(w, pre);
  });
}
