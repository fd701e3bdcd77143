// Sends one request the way a device does: keep-alive connection, bearer token, retry on
// 503 + Retry-After (counted), and records the acknowledgement latency of the attempt that succeeded.
import http from 'node:http';
import https from 'node:https';
import type { Clock } from './pacer.ts';
import type { SimulationStats } from './stats.ts';

export interface OutgoingRequest {
  path: string;
  headers: Record<string, string>;
  body: string | Buffer;
  /** Samples carried, for the summary. */
  samples: number;
}

export type SendOutcome = 'acknowledged' | 'rejected' | 'unauthorized' | 'failed';

export interface SenderOptions {
  baseUrl: string;
  stats: SimulationStats;
  clock: Clock;
  /** Attempts per event after 503s before it counts as an error. */
  maxRetries?: number;
  /** Cap on one Retry-After wait, so a misconfigured server cannot stall the run. */
  maxRetryAfterMs?: number;
  timeoutMs?: number;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Seconds or an HTTP date, per RFC 9110; defaults to 1 s when absent or unparsable. */
export function retryAfterMs(value: string | string[] | undefined, nowMs = Date.now()): number {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return 1000;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? 1000 : Math.max(0, at - nowMs);
}

/** Short reason for a rejected request: the problem+json title/detail when there is one. */
function reason(res: RawResponse): string {
  try {
    const p = JSON.parse(res.body) as { title?: string; detail?: string };
    const text = [p.title, p.detail].filter(Boolean).join(': ');
    if (text) return `HTTP ${res.status} ${text.slice(0, 200)}`;
  } catch {}
  return `HTTP ${res.status}`;
}

export class Sender {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly maxRetries: number;
  private readonly maxRetryAfterMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: SenderOptions) {
    this.url = new URL(opts.baseUrl);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:')
      throw new RangeError(`--url must be http(s), got ${opts.baseUrl}`);
    const Agent = this.url.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });
    this.maxRetries = opts.maxRetries ?? 20;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 30_000;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private request(req: OutgoingRequest, token: string): Promise<RawResponse> {
    const mod = this.url.protocol === 'https:' ? https : http;
    const base = this.url.pathname.replace(/\/$/, '');
    return new Promise((resolve, reject) => {
      const r = mod.request(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port,
          path: base + req.path,
          method: 'POST',
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: {
            ...req.headers,
            authorization: `Bearer ${token}`,
            'content-length': String(Buffer.byteLength(req.body)),
          },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(parts).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      r.on('error', reject);
      r.end(req.body);
    });
  }

  /** Sends until acknowledged, rejected, or out of 503 retries; updates the stats. */
  async send(req: OutgoingRequest, token: string): Promise<SendOutcome> {
    const { stats, clock } = this.opts;
    stats.sent++;
    stats.samplesSent += req.samples;
    for (let attempt = 0; ; attempt++) {
      const t0 = clock.now();
      let res: RawResponse;
      try {
        res = await this.request(req, token);
      } catch (err) {
        stats.error(`network: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        return 'failed';
      }
      if (res.status >= 200 && res.status < 300) {
        stats.latency.record(clock.now() - t0);
        stats.acknowledged++;
        return 'acknowledged';
      }
      if (res.status === 503 && attempt < this.maxRetries) {
        stats.retries503++;
        await clock.sleep(Math.min(this.maxRetryAfterMs, retryAfterMs(res.headers['retry-after'])));
        continue;
      }
      stats.error(reason(res));
      return res.status === 401 || res.status === 403 ? 'unauthorized' : 'rejected';
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
