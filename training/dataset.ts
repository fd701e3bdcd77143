// Window datasets from recordings, through the same chunking, preprocessing, context and adaptation the
// function serves (detect.ts chunkInputs()): each chunk's windows get the recording's previous windows
// and running baseline as history.

import { chunkInputs, type SignalHistory } from '../functions/seizure-detector/detect.ts';
import { FEATURE_INPUT_COUNT, withRawWindows } from '../functions/seizure-detector/model-inputs.ts';
import { recordingChunks, WINDOW_SAMPLES } from '../functions/seizure-detector/preprocess.ts';
import type { BonnRecording } from '../recordings/bonn.ts';
import type { Dataset } from './mlp.ts';

/** A labelled recording of one or more channels (Bonn: one; a scalp montage: many). */
export interface LabelledRecording {
  /** File name without extension, e.g. `S001` or `chb01_15_ictal`. */
  name: string;
  /** Bonn set, or the group a recording belongs to (e.g. the seizure `chb01_15`). */
  set: string;
  label: 0 | 1;
  sampleRateHz: number;
  channels: readonly Float64Array[];
}

export const bonnAsLabelled = (r: BonnRecording): LabelledRecording => ({
  name: r.name,
  set: r.set,
  label: r.label,
  sampleRateHz: r.sampleRateHz,
  channels: [r.samples],
});

export interface RecordingWindows {
  recording: LabelledRecording;
  /** (nWindows × nChannels) rows of model inputs, window-major, in time order. */
  features: Float32Array;
  nWindows: number;
  nChannels: number;
  /** Rows of this recording that are training examples (all unless restricted, see ictalChannels). */
  keep?: Uint8Array;
}

/**
 * Model inputs of every 1-second window and channel of a recording, chunked as a device would send it.
 * With `rawWindows` = k > 0, each row also carries the resampled samples of the channel's last k windows
 * (this one last; zeros before the recording's start) after the inputs.
 */
export function recordingWindows(input: BonnRecording | LabelledRecording, rawWindows = 0): RecordingWindows {
  const recording = 'channels' in input ? input : bonnAsLabelled(input);
  const nChannels = recording.channels.length;
  const rawLength = rawWindows * WINDOW_SAMPLES;
  const perChannel = recording.channels.map((c) => recordingChunks(c, recording.sampleRateHz));
  const parts: Float32Array[] = [];
  let nWindows = 0;
  let history: SignalHistory | null = null;
  const past: Float32Array[][] = Array.from({ length: nChannels }, () => []);
  for (let k = 0; k < (perChannel[0]?.length ?? 0); k++) {
    const f = chunkInputs(
      perChannel.map((p) => p[k]!),
      recording.sampleRateHz,
      history,
      rawWindows > 0,
    );
    history = f.history;
    if (!rawWindows) parts.push(f.featureInputs);
    else {
      // each row's last k windows of its channel, oldest first, zeros before the recording's start
      const windows = f.windows!;
      const raw = new Float32Array(f.rows * rawLength);
      for (let r = 0; r < f.rows; r++) {
        const c = r % nChannels;
        const q = past[c]!;
        q.push(windows.subarray(r * WINDOW_SAMPLES, (r + 1) * WINDOW_SAMPLES));
        if (q.length > rawWindows) q.shift();
        const end = (r + 1) * rawLength;
        q.forEach((pw, i) => {
          raw.set(pw, end - (q.length - i) * WINDOW_SAMPLES);
        });
      }
      parts.push(withRawWindows(f.featureInputs, raw, f.rows, rawLength));
    }
    nWindows += f.nWindows;
  }
  const features = new Float32Array(nWindows * nChannels * (FEATURE_INPUT_COUNT + rawLength));
  let off = 0;
  for (const p of parts) {
    features.set(p, off);
    off += p.length;
  }
  return { recording, features, nWindows, nChannels };
}

export function toDataset(items: readonly RecordingWindows[], dim = FEATURE_INPUT_COUNT): Dataset {
  const kept = (it: RecordingWindows, r: number) => !it.keep || it.keep[r] === 1;
  let n = 0;
  for (const it of items) for (let r = 0; r < it.nWindows * it.nChannels; r++) if (kept(it, r)) n++;
  const x = new Float32Array(n * dim);
  const y = new Uint8Array(n);
  let row = 0;
  for (const it of items)
    for (let r = 0; r < it.nWindows * it.nChannels; r++) {
      if (!kept(it, r)) continue;
      x.set(it.features.subarray(r * dim, (r + 1) * dim), row * dim);
      y[row++] = it.recording.label;
    }
  return { x, y, n, dim };
}

/** Columns [from, to) of every row of d (to defaults to the row's end), e.g. the inputs without the raw window. */
export function columns(d: Dataset, from: number, to = d.dim): Dataset {
  const len = to - from;
  const x = new Float32Array(d.n * len);
  for (let r = 0; r < d.n; r++) x.set(d.x.subarray(r * d.dim + from, r * d.dim + to), r * len);
  return { x, y: d.y, n: d.n, dim: len };
}
