// k6's constant-arrival-rate executor: request n starts at t0 + n / rate, evenly spaced, whatever the
// latency (open model). At most `maxInFlight` requests are in flight (k6's preAllocatedVUs); a start
// that finds them all busy is dropped and counted, as k6 counts dropped_iterations.
// autocannon's `overallRate` is not this: it lets every connection send back to back until its
// per-second quota is used, then waits for the next second, so the load arrives in bursts.
import http from 'node:http';

export interface TimedRequest {
  path: string;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface ArrivalRateResult {
  /** Requests started (not dropped). */
  requests: number;
  /** Status code per started request (0: connection error). */
  statuses: number[];
  /** Milliseconds from sending to the complete answer, per started request. */
  latenciesMs: number[];
  dropped: number;
  durationS: number;
}

/** Sends one request; resolves with its status code (0 on a connection error). */
export function post(url: URL, agent: http.Agent, req: TimedRequest): Promise<number> {
  return new Promise((resolve) => {
    const body = typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
    const r = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: req.path,
        method: 'POST',
        agent,
        headers: { ...req.headers, 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    r.on('error', () => resolve(0));
    r.end(body);
  });
}

const TICK_MS = 1;

export async function constantArrivalRate(
  baseUrl: string,
  opts: { rate: number; durationS: number; maxInFlight: number; make: (n: number) => TimedRequest },
): Promise<ArrivalRateResult> {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxInFlight });
  const statuses: number[] = [];
  const latenciesMs: number[] = [];
  const pending: Promise<void>[] = [];
  let inFlight = 0;
  let dropped = 0;
  let started = 0;
  const t0 = performance.now();
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const elapsedS = Math.min(opts.durationS, (performance.now() - t0) / 1000);
      const due = Math.floor(elapsedS * opts.rate);
      while (started + dropped < due) {
        if (inFlight >= opts.maxInFlight) {
          dropped++;
          continue;
        }
        const i = started++;
        inFlight++;
        const sentAt = performance.now();
        pending.push(
          post(url, agent, opts.make(i)).then((status) => {
            inFlight--;
            statuses[i] = status;
            latenciesMs[i] = performance.now() - sentAt;
          }),
        );
      }
      if (elapsedS >= opts.durationS) {
        clearInterval(timer);
        done();
      }
    }, TICK_MS);
  });
  await Promise.all(pending);
  agent.destroy();
  return { requests: started, statuses, latenciesMs, dropped, durationS: (performance.now() - t0) / 1000 };
}
