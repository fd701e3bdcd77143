import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceProxy } from './service-proxy.ts';

interface Upstream {
  server: Server;
  port: number;
  seen: number;
  maxConcurrent: number;
}

const opened: Array<{ close(): unknown }> = [];

async function upstream(
  id: string,
  behave: (res: import('node:http').ServerResponse) => void = (res) => res.end(id),
) {
  let current = 0;
  const u: Upstream = { server: undefined as unknown as Server, port: 0, seen: 0, maxConcurrent: 0 };
  u.server = createServer((req, res) => {
    u.seen++;
    current++;
    u.maxConcurrent = Math.max(u.maxConcurrent, current);
    res.on('close', () => current--);
    req.resume();
    req.on('end', () => behave(res));
  });
  await new Promise<void>((r) => u.server.listen(0, '127.0.0.1', () => r()));
  u.port = (u.server.address() as AddressInfo).port;
  opened.push({
    close: () => {
      u.server.closeAllConnections();
      u.server.close();
    },
  });
  return u;
}

async function proxy(containerConcurrency: number, timeoutSeconds = 5) {
  const p = new ServiceProxy({ name: 'svc', containerConcurrency, timeoutSeconds });
  const url = await p.listen();
  opened.push({ close: () => p.close() });
  return { p, url };
}

afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

const text = async (url: string) => {
  const res = await fetch(url, { method: 'POST', body: 'x' });
  return `${res.status} ${await res.text()}`;
};

describe('ServiceProxy', () => {
  it('sends each request to the next ready pod in turn, never to one that is not ready', async () => {
    const [a, b, c] = [await upstream('a'), await upstream('b'), await upstream('c')];
    const { p, url } = await proxy(0);
    for (const [id, u] of [
      ['a', a],
      ['b', b],
      ['c', c],
    ] as const)
      p.setEndpoint(id, '127.0.0.1', u.port);
    p.setReady('a', true);
    p.setReady('b', true);
    const got = [await text(url), await text(url), await text(url), await text(url)];
    expect(got).toEqual(['200 a', '200 b', '200 a', '200 b']);
    expect(c.seen).toBe(0);
  });

  it('holds at most containerConcurrency requests per pod and queues the rest', async () => {
    const slow = await upstream('s', (res) => setTimeout(() => res.end('s'), 100));
    const { p, url } = await proxy(1);
    p.setEndpoint('s', '127.0.0.1', slow.port);
    p.setReady('s', true);
    const all = await Promise.all([text(url), text(url), text(url)]);
    expect(all).toEqual(['200 s', '200 s', '200 s']);
    expect(slow.maxConcurrent).toBe(1);
  });

  it('buffers requests while no pod is ready and serves them when one becomes ready', async () => {
    const a = await upstream('a');
    const { p, url } = await proxy(0);
    p.setEndpoint('a', '127.0.0.1', a.port);
    const pending = text(url);
    await new Promise((r) => setTimeout(r, 150));
    expect(a.seen).toBe(0);
    p.setReady('a', true);
    expect(await pending).toBe('200 a');
  });

  it('answers 503 when no pod becomes ready within timeoutSeconds', async () => {
    const { p, url } = await proxy(0, 0.2);
    p.setEndpoint('a', '127.0.0.1', 1);
    expect(await text(url)).toMatch(/^503 svc: no ready pod/);
  });

  it('answers 503 when the pod dies before it answers, and 504 when it answers too late', async () => {
    const dying = await upstream('d', (res) => res.socket?.destroy());
    const { p, url } = await proxy(0);
    p.setEndpoint('d', '127.0.0.1', dying.port);
    p.setReady('d', true);
    expect(await text(url)).toMatch(/^503 svc: upstream connect error or reset/);

    const late = await upstream('l', (res) => setTimeout(() => res.end('late'), 600));
    const q = await proxy(0, 0.2);
    q.p.setEndpoint('l', '127.0.0.1', late.port);
    q.p.setReady('l', true);
    expect(await text(q.url)).toMatch(/^504 /);
  });
});
