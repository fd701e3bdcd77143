// One detection thread: the served preprocessing + ONNX call (detectChunk) for chunks the main thread
// sends, so the CPU-heavy part of detection runs beside the event loop that acknowledges devices.
import { parentPort, workerData } from 'node:worker_threads';
import { detectChunk, type SignalHistory } from './detect.ts';
import { loadSeizureModel } from './model.ts';

/** What the pool sends: one chunk, channel-major samples (float32 when the chunk's rows are). */
export interface DetectionRequest {
  id: number;
  sampleRateHz: number;
  nChannels: number;
  samples: Float32Array | Float64Array;
  history: SignalHistory | null;
}

export type DetectionReply =
  | { id: number; ok: true; detection: Awaited<ReturnType<typeof detectChunk>> }
  | { id: number; ok: false; error: string };

const port = parentPort!;
const model = loadSeizureModel((workerData as { modelDir?: string }).modelDir);

port.on('message', (req: DetectionRequest) => {
  void (async () => {
    try {
      const n = req.nChannels === 0 ? 0 : req.samples.length / req.nChannels;
      const channels = Array.from({ length: req.nChannels }, (_, c) =>
        req.samples.subarray(c * n, (c + 1) * n),
      );
      const detection = await detectChunk(await model, channels, req.sampleRateHz, req.history);
      port.postMessage({ id: req.id, ok: true, detection } satisfies DetectionReply);
    } catch (err) {
      port.postMessage({
        id: req.id,
        ok: false,
        error: err instanceof Error ? err.message : String(err),
      } satisfies DetectionReply);
    }
  })();
});
