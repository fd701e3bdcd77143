// Window datasets from Bonn recordings, through the same chunking, preprocessing and context the
// function serves: each chunk's windows get the previous windows of the recording as history.
import type { BonnRecording } from '../../../recordings/bonn.ts';
import { INPUT_COUNT, type WindowHistory, withContext } from '../context.ts';
import { chunkFeatures, recordingChunks, WINDOW_SAMPLES } from '../preprocess.ts';
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
  const dim = INPUT_COUNT + rawLength;
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
      const windows = f.windows!;
      const rows = new Float32Array(f.nWindows * dim);
      for (let r = 0; r < f.nWindows; r++) {
        past.push(windows.subarray(r * WINDOW_SAMPLES, (r + 1) * WINDOW_SAMPLES));
        if (past.length > rawWindows) past.shift();
        rows.set(ctx.inputs.subarray(r * INPUT_COUNT, (r + 1) * INPUT_COUNT), r * dim);
        const end = (r + 1) * dim;
        past.forEach((pw, i) => {
          rows.set(pw, end - (past.length - i) * WINDOW_SAMPLES);
        });
      }
      parts.push(rows);
    }
    nWindows += f.nWindows;
  }
  const features = new Float32Array(nWindows * dim);
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
