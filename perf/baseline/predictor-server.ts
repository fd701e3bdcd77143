// The prototype design's predictor service, replicated for the side-by-side comparison: its own process,
// one HTTP endpoint that takes a chunk's samples as JSON and answers the seizure model's probability.
// Requests are handled one at a time, as one synchronous (GIL-bound) Flask worker runs CPU work.
// The model and the detection path are Vigil's own (detectChunk), so only the design differs.
// Sends {type:'ready', url} over IPC (or prints it).

import { detectChunk } from '../../functions/seizure-detector/detect.ts';
import { loadSeizureModel } from '../../functions/seizure-detector/model.ts';
import { serveOneAtATime } from './one-at-a-time.ts';

const model = await loadSeizureModel();

async function predict(body: string): Promise<[number, string]> {
  const { samples, sampleRateHz } = JSON.parse(body) as { samples: number[][]; sampleRateHz: number };
  if (!Array.isArray(samples) || typeof sampleRateHz !== 'number') return [400, '{"error":"missing fields"}'];
  const d = await detectChunk(model, samples, sampleRateHz);
  return [200, JSON.stringify({ probability: d.chunkProbability })];
}

const server = serveOneAtATime(async (_req, body) => predict(body));
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'stop') {
    server.close();
    process.send!({ type: 'stopped' }, () => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
