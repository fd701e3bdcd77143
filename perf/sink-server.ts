// A trivial ingest stand-in for measuring the load generators themselves: reads the body, answers 202.
// SINK_PARSE=eeg-json also does the least any JSON ingest must: JSON.parse the body and copy the EEG
// samples into a Float32Array (perf/bench-ceiling.ts measures that floor).
// Run as its own process (forked, it sends {type:'ready', url} over IPC; alone, it prints {"url": ...}).

import http from 'node:http';
import { getConfig, toolSettings } from '../config/env.ts';

const PARSE = toolSettings().SINK_PARSE === 'eeg-json';

function toFloat32(body: Buffer): void {
  const { samples } = JSON.parse(body.toString('utf8')) as { samples: number[][] };
  const out = new Float32Array(samples.length * (samples[0]?.length ?? 0));
  let k = 0;
  for (const row of samples)
    for (const v of row) {
      if (!Number.isFinite(v)) throw new Error('not finite');
      out[k++] = v;
    }
}

const server = http.createServer((req, res) => {
  let bytes = 0;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => {
    bytes += c.length;
    if (PARSE) chunks.push(c);
  });
  req.on('end', () => {
    if (PARSE) toFloat32(Buffer.concat(chunks));
    res.writeHead(202, { 'content-length': '0', 'x-received-bytes': String(bytes) });
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(getConfig().PORT ?? 0, '127.0.0.1', () => {
  const addr = server.address() as { port: number };
  const url = `http://127.0.0.1:${addr.port}`;
  if (process.send) process.send({ type: 'ready', url });
  else process.stdout.write(`${JSON.stringify({ url })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'stop') server.close(() => process.send!({ type: 'stopped' }, () => process.exit(0)));
});
process.on('disconnect', () => process.exit(0));
