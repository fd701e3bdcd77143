// The prototype design's predictor service, replicated for the side-by-side comparison: its own process,
// one HTTP endpoint that takes a chunk's samples as JSON and answers the seizure model's probability.
// Requests are handled one at a time, as one synchronous (GIL-bound) Flask worker runs CPU work.
// The model and the detection path are Vigil's own (detectChunk), so only the design differs.
// Sends {type:'ready', url} over IPC (or prints it).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { detectChunk } from '../../functions/seizure-detector/detect.ts';
import { loadSeizureModel } from '../../functions/seizure-detector/model.ts';

const model = await loadSeizureModel();

async function predict(body: string): Promise<[number, string]> {
  const { samples, sampleRateHz } = JSON.parse(body) as { samples: number[][]; sampleRateHz: number };
  if (!Array.isArray(samples) || typeof sampleRateHz !== 'number') return [400, '{"error":"missing fields"}'];
  const d = await detectChunk(model, samples, sampleRateHz);
  return [200, JSON.stringify({ probability: d.chunkProbability })];
}

let queue: Promise<void> = Promise.resolve();
const server = http.createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    queue = queue.then(async () => {
      const [status, out] = await predict(Buffer.concat(parts).toString('utf8')).catch(
        (err: Error): [number, string] => [500, JSON.stringify({ error: err.message })],
      );
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(out);
    });
  });
});
server.listen(0, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (process.send) process.send({ type: 'ready', url });
  else process.stdout.write(`${url}\n`);
});
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'stop') {
    server.close();
    process.send!({ type: 'stopped' }, () => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
