// Window datasets from Bonn recordings, through the same chunking, preprocessing and context the
// function serves: each chunk's windows get the previous windows of the recording as history.

import { INPUT_COUNT, type WindowHistory, withContext } from '../functions/seizure-detector/context.ts';
import { withRawWindows } from '../functions/seizure-detector/model-inputs.ts';
import { chunkFeatures, recordingChunks, WINDOW_SAMPLES } from '../functions/seizure-detector/preprocess.ts';
import type { BonnRecording } from '../recordings/bonn.ts';
import type { Dataset } from './mlp.ts';

export interface RecordingWindows {
  recording: BonnRecording;
  /** nWindows × INPUT_COUNT model inputs, in time order. */
  features: Float32Array;
  nWindows: number;
}

/**
 * Model inputs of every 1-second window of a single-channel recording, chunked as a device would send it.
 * With `rawWindows` = k > 0, each row also carries the resampled samples of the recording's last k windows
 * (this one last; zeros before the recording's start) after the inputs.
 */
export function recordingWindows(recording: BonnRecording, rawWindows = 0): RecordingWindows {
  const rawLength = rawWindows * WINDOW_SAMPLES;
  const parts: Float32Array[] = [];
  let nWindows = 0;
  let history: WindowHistory | null = null;
  const past: Float32Array[] = [];
  for (const chunk of recordingChunks(recording.samples, recording.sampleRateHz)) {
    const f = chunkFeatures([chunk], recording.sampleRateHz, rawWindows > 0);
    const ctx = withContext(f.features, f.nWindows, f.nChannels, history);
    history = ctx.history;
    if (!rawWindows) parts.push(ctx.inputs);
    else {
      // each row's last k windows, oldest first, zeros before the recording's start
      const windows = f.windows!;
      const raw = new Float32Array(f.nWindows * rawLength);
      for (let r = 0; r < f.nWindows; r++) {
        past.push(windows.subarray(r * WINDOW_SAMPLES, (r + 1) * WINDOW_SAMPLES));
        if (past.length > rawWindows) past.shift();
        const end = (r + 1) * rawLength;
        past.forEach((pw, i) => {
          raw.set(pw, end - (past.length - i) * WINDOW_SAMPLES);
        });
      }
      parts.push(withRawWindows(ctx.inputs, raw, f.nWindows, rawLength));
    }
    nWindows += f.nWindows;
  }
  const features = new Float32Array(nWindows * (INPUT_COUNT + rawLength));
  let off = 0;
  for (const p of parts) {
    features.set(p, off);
    off += p.length;
  }
  return { recording, features, nWindows };
}

export function toDataset(items: readonly RecordingWindows[], dim = INPUT_COUNT): Dataset {
  const n = items.reduce((a, r) => a + r.nWindows, 0);
  const x = new Float32Array(n * dim);
  const y = new Uint8Array(n);
  let row = 0;
  for (const it of items) {
    x.set(it.features, row * dim);
    y.fill(it.recording.label, row, row + it.nWindows);
    row += it.nWindows;
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
