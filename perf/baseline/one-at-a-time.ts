// The serving loop of the prototype design's processes: node:http, requests answered strictly one at a
// time (a queue, as one synchronous Flask worker does), JSON out. Listens on a free loopback port and
// sends {type:'ready', url} over IPC (or prints it).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handle = (req: http.IncomingMessage, body: string) => Promise<[status: number, json: string]>;

export function serveOneAtATime(handle: Handle): http.Server {
  let queue: Promise<void> = Promise.resolve();
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      queue = queue.then(async () => {
        const [status, out] = await handle(req, Buffer.concat(parts).toString('utf8')).catch(
          (err: Error): [number, string] => [500, JSON.stringify({ error: err.message })],
        );
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(out);
      });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (process.send) process.send({ type: 'ready', url });
    else process.stdout.write(`${url}\n`);
  });
  return server;
}
