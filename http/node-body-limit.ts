// The body limit of a plain node:http server whose framework reads every body before our code runs
// (functions-framework's Express parses up to 1 GiB): checked in front of it, from the declared
// Content-Length before a byte is read, and counted while a chunked body streams, the connection
// closed as soon as it passes the limit.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { tooLarge } from './body-limit.ts';

function refuse(res: ServerResponse, maxBytes: number, then?: () => void): void {
  if (res.headersSent) {
    then?.();
    return;
  }
  const p = tooLarge(maxBytes);
  res.writeHead(p.status, { 'content-type': 'application/problem+json', ...p.headers });
  res.end(JSON.stringify(p.toJSON()), then);
}

/** Puts the limit in front of every 'request' listener the server has now. */
export function limitRequestBodies(server: Server, maxBytes: number): void {
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const declared = req.headers['content-length'];
    if (
      req.headers['transfer-encoding'] === undefined &&
      declared !== undefined &&
      Number(declared) > maxBytes
    ) {
      refuse(res, maxBytes, () => req.destroy());
      return;
    }
    if (req.headers['transfer-encoding'] !== undefined) {
      let seen = 0;
      const count = (chunk: Buffer) => {
        seen += chunk.length;
        if (seen <= maxBytes) return;
        req.off('data', count);
        req.pause();
        refuse(res, maxBytes, () => req.destroy());
      };
      req.on('data', count);
    }
    for (const l of listeners) l.call(server, req, res);
  });
}
