import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { nextRun, PingSource, parseCron, pingEvent } from './ping-source.ts';

const at = (iso: string) => Date.parse(iso);
const next = (expr: string, from: string) => new Date(nextRun(parseCron(expr), at(from))).toISOString();

describe('PingSource schedule', () => {
  it('fires every minute for * * * * *, on the next whole minute', () => {
    expect(next('* * * * *', '2026-03-01T10:00:00Z')).toBe('2026-03-01T10:01:00.000Z');
    expect(next('* * * * *', '2026-03-01T10:00:59.900Z')).toBe('2026-03-01T10:01:00.000Z');
  });

  it('reads steps, ranges, lists and weekdays (7 is Sunday too)', () => {
    expect(next('*/15 9-17 * * 1-5', '2026-03-06T17:50:00Z')).toBe('2026-03-09T09:00:00.000Z'); // Fri -> Mon
    expect(next('5,35 * * * *', '2026-03-01T10:06:00Z')).toBe('2026-03-01T10:35:00.000Z');
    expect(next('0 0 * * 7', '2026-03-02T00:00:00Z')).toBe('2026-03-08T00:00:00.000Z');
    expect(next('30 2 1 * *', '2026-03-01T03:00:00Z')).toBe('2026-04-01T02:30:00.000Z');
  });

  it('matches either day field when both are restricted, as cron does', () => {
    // The 13th or any Friday.
    expect(next('0 0 13 * 5', '2026-03-01T00:00:00Z')).toBe('2026-03-06T00:00:00.000Z');
  });

  it('refuses malformed expressions', () => {
    for (const bad of ['* * * *', '61 * * * *', '* * 0 * *', 'a * * * *', '*/0 * * * *'])
      expect(() => parseCron(bad), bad).toThrow();
  });
});

describe('PingSource events', () => {
  const spec = {
    namespace: 'vigil',
    name: 'technical-check',
    schedule: '* * * * *',
    timezone: 'Etc/UTC',
    contentType: 'application/json',
    data: '{"check":"org.vigil.technical.check"}',
  };

  it('are what Knative sends: dev.knative.sources.ping from the PingSource URI, with the spec data', () => {
    const e = pingEvent(spec, at('2026-03-01T10:01:00Z'));
    expect(e.attributes).toMatchObject({
      specversion: '1.0',
      type: 'dev.knative.sources.ping',
      source: '/apis/v1/namespaces/vigil/pingsources/technical-check',
      time: '2026-03-01T10:01:00.000Z',
      datacontenttype: 'application/json',
    });
    expect(e.data?.toString()).toBe(spec.data);
  });

  it('are posted to the sink in binary mode; a refusal is counted', async () => {
    const got: Array<{ type?: string | string[]; body: string }> = [];
    let status = 204;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ type: req.headers['ce-type'], body });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ping = new PingSource(spec, () => url);
    expect(await ping.fire()).toBe(true);
    status = 500;
    expect(await ping.fire()).toBe(false);
    server.close();
    expect(got.map((g) => g.type)).toEqual(['dev.knative.sources.ping', 'dev.knative.sources.ping']);
    expect(got[0]!.body).toBe(spec.data);
    expect([ping.sent, ping.failed]).toEqual([1, 1]);
    expect(() => new PingSource({ ...spec, timezone: 'Europe/Rome' }, () => url)).toThrow(/timezone/);
  });
});
