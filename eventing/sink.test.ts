// HttpSink, the sender ingest and the functions use toward the Knative Broker's ingress (K_SINK), against
// a real HTTP server: one structured CloudEvent per POST, every one acknowledged or the whole call fails,
// and one kept-alive connection for events sent one after another.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VigilEvent } from './event.ts';
import { HttpSink, SinkUnavailableError } from './sink.ts';

let server: Server;
let url: string;
let connections = 0;
let status = 202;
const received: Array<{ type: string | undefined; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ type: req.headers['content-type'], body });
      res
        .writeHead(status, { 'content-type': 'text/plain' })
        .end(status === 202 ? 'accepted' : 'broker says no');
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/vigil/default`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const ev = (id: string): VigilEvent => ({
  specversion: '1.0',
  id,
  source: '/test',
  type: 'test.t',
  data: { id },
});

describe('HttpSink', () => {
  it('posts each event in structured mode and resolves once all are accepted', async () => {
    received.length = 0;
    expect(await new HttpSink(url).accept([ev('a'), ev('b')])).toEqual({ accepted: 2, duplicates: 0 });
    expect(received.map((r) => r.type)).toEqual([
      'application/cloudevents+json',
      'application/cloudevents+json',
    ]);
    expect(received.map((r) => JSON.parse(r.body).id).sort()).toEqual(['a', 'b']);
  });

  it('fails the whole call when the broker refuses one (ingest answers 503 and the device retries)', async () => {
    status = 429;
    try {
      await expect(new HttpSink(url).accept([ev('c')])).rejects.toThrow(SinkUnavailableError);
    } finally {
      status = 202;
    }
  });

  it('reuses its kept-alive connection for events sent one after another', async () => {
    const sink = new HttpSink(url);
    await sink.accept([ev('warm')]);
    const before = connections;
    for (let i = 0; i < 20; i++) await sink.accept([ev(`seq-${i}`)]);
    expect(connections - before).toBeLessThanOrEqual(1);
  });
});
