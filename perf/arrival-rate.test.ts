import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { constantArrivalRate } from './arrival-rate.ts';

let server: http.Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A server that records when each request arrived and answers after `delayMs`. */
async function recorder(delayMs: number): Promise<{ url: string; arrivals: number[] }> {
  const arrivals: number[] = [];
  server = http.createServer((req, res) => {
    arrivals.push(performance.now());
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(202).end(), delayMs));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, arrivals };
}

const make = () => ({ path: '/', headers: { 'content-type': 'application/json' }, body: '{}' });

describe('constantArrivalRate', () => {
  it('spreads requests evenly over each second instead of sending them in a burst', async () => {
    const { url, arrivals } = await recorder(0);
    const r = await constantArrivalRate(url, { rate: 200, durationS: 1, maxInFlight: 50, make });
    expect(r.requests).toBe(200);
    expect(r.dropped).toBe(0);
    expect(r.statuses.every((s) => s === 202)).toBe(true);
    // 200/s for 1 s: every 100 ms slice gets about 20 requests; a burst would put most in the first.
    const t0 = arrivals[0]!;
    const slices = Array.from({ length: 10 }, (_, i) =>
      arrivals.filter((t) => t - t0 >= i * 100 && t - t0 < (i + 1) * 100),
    );
    for (const s of slices.slice(0, 9)) expect(s.length).toBeLessThanOrEqual(35);
    expect(slices[0]!.length).toBeGreaterThanOrEqual(10);
  });

  it('drops and counts starts when every connection is busy (k6 dropped_iterations)', async () => {
    const { url } = await recorder(300);
    const r = await constantArrivalRate(url, { rate: 100, durationS: 0.5, maxInFlight: 2, make });
    expect(r.requests + r.dropped).toBe(50);
    expect(r.requests).toBeLessThanOrEqual(6);
    expect(r.dropped).toBeGreaterThanOrEqual(44);
    expect(Math.min(...r.latenciesMs)).toBeGreaterThanOrEqual(290);
  });
});
