// Window datasets from Bonn recordings, through the same chunking, preprocessing and context the
// function serves: each chunk's windows get the previous windows of the recording as history.
import type { BonnRecording } from '../../../recordings/bonn.ts';
import { INPUT_COUNT, type WindowHistory, withContext } from '../context.ts';
import { chunkFeatures, recordingChunks } from '../preprocess.ts';
import type { Dataset } from './mlp.ts';

export interface RecordingWindows {
  recording: BonnRecording;
  /** nWindows × INPUT_COUNT model inputs, in time order. */
  features: Float32Array;
  nWindows: number;
}

/** Model inputs of every 1-second window of a single-channel recording, chunked as a device would send it. */
export function recordingWindows(recording: BonnRecording): RecordingWindows {
  const parts: Float32Array[] = [];
  let nWindows = 0;
  let history: WindowHistory | null = null;
  for (const chunk of recordingChunks(recording.samples, recording.sampleRateHz)) {
    const f = chunkFeatures([chunk], recording.sampleRateHz);
    const ctx = withContext(f.features, f.nWindows, f.nChannels, history);
    history = ctx.history;
    parts.push(ctx.inputs);
    nWindows += f.nWindows;
  }
  const features = new Float32Array(nWindows * INPUT_COUNT);
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
