// One detection thread: scores runs of one device stream's chunks (stream-scoring.ts: preprocessing,
// context, adaptation, the ONNX call, the episode rule) for the main thread, so the CPU-heavy part of
// detection runs beside the event loop that acknowledges devices.
import { parentPort, workerData } from 'node:worker_threads';
import type { EegChunk } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { loadSeizureModel } from './model.ts';
import { type DetectorState, type ScoredRun, type ScoringSettings, scoreStream } from './stream-scoring.ts';

/** What the pool sends: a stream's state and its run of chunks (samples as the door left them). */
export interface ScoringRequest {
  id: number;
  state: DetectorState;
  chunks: readonly VigilEvent<EegChunk>[];
  settings: ScoringSettings;
}

export type ScoringReply =
  | { id: number; ok: true; run: ScoredRun }
  | { id: number; ok: false; error: string };

const port = parentPort!;
const model = loadSeizureModel((workerData as { modelDir?: string }).modelDir);

port.on('message', (req: ScoringRequest) => {
  void (async () => {
    try {
      const run = await scoreStream(req.state, req.chunks, req.settings, await model);
      port.postMessage({ id: req.id, ok: true, run } satisfies ScoringReply);
    } catch (err) {
      port.postMessage({
        id: req.id,
        ok: false,
        error: err instanceof Error ? err.message : String(err),
      } satisfies ScoringReply);
    }
  })();
});
