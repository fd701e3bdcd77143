// The hostile client of the login door: one unauthenticated POST /login body of `bytes`, with a
// declared Content-Length or chunked, written as fast as the socket takes it until the server
// answers or closes. Used by perf/bench-hostile.ts and dashboard/security.test.ts.
import { request } from 'node:http';

export interface HugeBodyResult {
  /** The HTTP status, or `connection <code>` when the server closed first. */
  status: string;
  /** Bytes the client had written (mostly into socket buffers) when the answer came. */
  sent: number;
  ms: number;
}

export function hugeLogin(
  dashboardUrl: string,
  chunked: boolean,
  bytes = 256 * 1024 * 1024,
): Promise<HugeBodyResult> {
  const url = new URL(`${dashboardUrl}/login`);
  const started = performance.now();
  return new Promise((resolve) => {
    let sent = 0;
    let done = false;
    const finish = (status: string) => {
      if (done) return;
      done = true;
      resolve({ status, sent, ms: performance.now() - started });
      req.destroy();
    };
    const req = request({
      host: url.hostname,
      port: url.port,
      path: '/login',
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(bytes) }),
      },
    });
    const chunk = Buffer.alloc(256 * 1024, 'a');
    const pump = () => {
      while (!done && sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!done) req.end();
    };
    req.on('response', (res) => {
      res.resume();
      finish(String(res.statusCode));
    });
    req.on('error', (err) => finish(`connection ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    pump();
  });
}
