// The rehearsal broker against small fake subscribers over real HTTP: ingress in both content modes,
// one filter per Trigger, the retry table of the data-plane contract, backoff, dead letters with the
// knativeerror* extensions, replies published back (and 202 bodies not), and the TTL loop guard.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRoutes } from '../../eventing/embedded/routes.ts';
import { Broker } from './broker.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}
type Answer = { status: number; headers?: Record<string, string> | undefined; body?: string };

class FakeSubscriber {
  received: Received[] = [];
  answer: (r: Received, n: number) => Answer = () => ({ status: 204 });
  url = '';
  private server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: performance.now() };
      this.received.push(r);
      const a = this.answer(r, this.received.length);
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? '');
    });
  });
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
  reset(): void {
    this.received = [];
    this.answer = () => ({ status: 204 });
  }
}

const trigger = (name: string, sub: string, type?: string, retry = 2) => `
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: ${name} }
spec:
  broker: default
  ${type ? `filter: { attributes: { type: ${type} } }` : ''}
  subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: ${sub} } }
  delivery:
    retry: ${retry}
    backoffPolicy: exponential
    backoffDelay: PT0.05S
    deadLetterSink: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: dls }, uri: /dead-letter }
`;

const subs = {
  a: new FakeSubscriber(),
  b: new FakeSubscriber(),
  all: new FakeSubscriber(),
  r: new FakeSubscriber(),
  dls: new FakeSubscriber(),
};
let broker: Broker;
let ingress: string;
let downUrl: string;

beforeAll(async () => {
  for (const s of Object.values(subs)) await s.start();
  const gone = createServer();
  await new Promise<void>((r) => gone.listen(0, '127.0.0.1', () => r()));
  downUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
  await new Promise((r) => gone.close(r));
  const yaml = [
    trigger('to-a', 'a', 'test.a'),
    trigger('to-b', 'b', 'test.b'),
    trigger('to-all', 'all', undefined, 0),
    trigger('to-r', 'r', 'test.reply'),
    trigger('to-down', 'down', 'test.down'),
  ].join('---\n');
  broker = new Broker({
    namespace: 'vigil',
    name: 'default',
    routes: parseRoutes([yaml]),
    resolve: (s) => {
      const [name, ...rest] = s.split('/');
      const base = name === 'down' ? downUrl : subs[name as keyof typeof subs].url;
      return rest.length ? `${base}/${rest.join('/')}` : base;
    },
  });
  ingress = await broker.listen();
});
afterAll(async () => {
  await broker.close();
  for (const s of Object.values(subs)) await s.close();
});
afterEach(() => {
  for (const s of Object.values(subs)) s.reset();
});

const binary = (id: string, type: string, data = '{"v":1}', extra: Record<string, string> = {}) =>
  fetch(ingress, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/test',
      'ce-type': type,
      'content-type': 'application/json',
      ...extra,
    },
    body: data,
  });

const dead = () => subs.dls.received.map((r) => r.headers);

describe('ingress', () => {
  it('accepts binary and structured mode with 202 and delivers both in binary mode, data unchanged', async () => {
    expect((await binary('in-1', 'test.a', '{"v": 1,  "x":"é"}')).status).toBe(202);
    const res = await fetch(ingress, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({
        specversion: '1.0',
        id: 'in-2',
        source: '/test',
        type: 'test.a',
        subject: 'p 1',
        data: { v: 2 },
      }),
    });
    expect(res.status).toBe(202);
    await broker.idle();
    expect(subs.a.received.map((r) => [r.headers['ce-id'], r.headers['content-type'], r.body])).toEqual([
      ['in-1', 'application/json', '{"v": 1,  "x":"é"}'],
      ['in-2', 'application/json', '{"v":2}'],
    ]);
    const second = subs.a.received[1]!.headers;
    // Percent-encoded as the HTTP binding asks for a space; Prefer: reply as brokers must send.
    expect(second['ce-subject']).toBe('p%201');
    expect(second.prefer).toBe('reply');
    expect(second['ce-knativearrivaltime']).toMatch(/^\d{4}-/);
    expect(second['ce-knativebrokerttl']).toBeUndefined();
  });

  it('answers 400 to what is not a valid CloudEvent, 404 off its path, 405 with Allow, 200 to OPTIONS', async () => {
    expect((await binary('', 'test.a')).status).toBe(400);
    expect((await binary('x', 'test.a', '{}', { 'ce-specversion': '0.3' })).status).toBe(400);
    expect((await fetch(ingress, { method: 'POST', body: '{}' })).status).toBe(400);
    const batch = await fetch(ingress, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: '[]',
    });
    expect(batch.status).toBe(400);
    expect((await fetch(ingress.replace('/vigil/default', '/other/x'), { method: 'POST' })).status).toBe(404);
    const get = await fetch(ingress);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST, OPTIONS']);
    const opt = await fetch(ingress, { method: 'OPTIONS' });
    expect([opt.status, opt.headers.get('allow')]).toEqual([200, 'POST, OPTIONS']);
    await broker.idle();
    expect(subs.all.received).toEqual([]);
  });
});

describe('filters', () => {
  it('delivers to every Trigger whose filter matches, and only to those', async () => {
    await binary('f-1', 'test.a');
    await binary('f-2', 'test.b');
    await binary('f-3', 'test.other');
    await broker.idle();
    const ids = (s: FakeSubscriber) => s.received.map((r) => r.headers['ce-id']).sort();
    expect(ids(subs.a)).toEqual(['f-1']);
    expect(ids(subs.b)).toEqual(['f-2']);
    expect(ids(subs.all)).toEqual(['f-1', 'f-2', 'f-3']);
  });
});

describe('retries and dead letters', () => {
  it.each([404, 408, 409, 429, 500, 503])(
    'retries %i with exponential backoff, then dead-letters',
    async (status) => {
      subs.a.answer = () => ({ status, body: `no (${status})` });
      await binary(`r-${status}`, 'test.a');
      await broker.idle();
      expect(subs.a.received).toHaveLength(3); // the attempt and `retry: 2` retries
      const [t0, t1, t2] = subs.a.received.map((r) => r.at);
      expect(t1! - t0!).toBeGreaterThanOrEqual(45); // PT0.05S
      expect(t2! - t1!).toBeGreaterThanOrEqual(95); // twice that: exponential
      expect(dead()).toHaveLength(1);
      expect(dead()[0]).toMatchObject({
        'ce-id': `r-${status}`,
        'ce-type': 'test.a',
        'ce-knativeerrorcode': String(status),
        'ce-knativeerrordest': subs.a.url,
      });
      expect(Buffer.from(String(dead()[0]!['ce-knativeerrordata']), 'base64').toString()).toBe(
        `no (${status})`,
      );
      expect(subs.dls.received[0]!.body).toBe('{"v":1}');
    },
  );

  it.each([400, 403, 413, 301])('does not retry %i: straight to the dead-letter sink', async (status) => {
    subs.a.answer = () => ({ status, headers: status === 301 ? { location: subs.b.url } : undefined });
    await binary(`n-${status}`, 'test.a');
    await broker.idle();
    expect(subs.a.received).toHaveLength(1);
    expect(subs.b.received).toHaveLength(0); // no redirect followed
    expect(dead().map((h) => h['ce-knativeerrorcode'])).toEqual([String(status)]);
  });

  it('retries a subscriber that does not answer at all, then dead-letters without an error code', async () => {
    await binary('down-1', 'test.down');
    await broker.idle();
    expect(dead()).toHaveLength(1);
    expect(dead()[0]!['ce-knativeerrorcode']).toBeUndefined();
    expect(dead()[0]!['ce-knativeerrordest']).toBe(downUrl);
    expect(Buffer.from(String(dead()[0]!['ce-knativeerrordata']), 'base64').toString()).toMatch(
      /^dispatch error/,
    );
  });

  it('succeeds after transient failures without a dead letter', async () => {
    subs.a.answer = (_r, n) => ({ status: n < 3 ? 503 : 204 });
    await binary('t-1', 'test.a');
    await broker.idle();
    expect(subs.a.received).toHaveLength(3);
    expect(dead()).toEqual([]);
    expect(broker.stats()['to-a']).toMatchObject({ lost: 0 });
  });

  it('counts an event as lost when the dead-letter sink fails too', async () => {
    subs.a.answer = () => ({ status: 400 });
    subs.dls.answer = () => ({ status: 500 });
    const before = broker.lost();
    await binary('l-1', 'test.a');
    await broker.idle();
    expect(subs.dls.received).toHaveLength(3); // dead-letter delivery retried like the Trigger's
    expect(broker.lost()).toBe(before + 1);
  });
});

describe('replies', () => {
  const replyHeaders = (id: string, type: string) => ({
    'ce-specversion': '1.0',
    'ce-id': id,
    'ce-source': '/fn',
    'ce-type': type,
    'content-type': 'application/json',
  });

  it('publishes a 200 reply event back into the broker, where the filters route it again', async () => {
    subs.a.answer = (r) => ({
      status: 200,
      headers: replyHeaders(`${r.headers['ce-id']}.reply`, 'test.reply'),
      body: '{"ok":true}',
    });
    await binary('p-1', 'test.a');
    await broker.idle();
    expect(subs.r.received.map((r) => [r.headers['ce-id'], r.body])).toEqual([['p-1.reply', '{"ok":true}']]);
    expect(subs.all.received.map((r) => r.headers['ce-id']).sort()).toEqual(['p-1', 'p-1.reply']);
  });

  it('reads a structured-mode reply too', async () => {
    subs.a.answer = () => ({
      status: 200,
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({
        specversion: '1.0',
        id: 's-1.reply',
        source: '/fn',
        type: 'test.reply',
        data: [1],
      }),
    });
    await binary('s-1', 'test.a');
    await broker.idle();
    expect(subs.r.received.map((r) => r.body)).toEqual(['[1]']);
  });

  it('never takes a 202 body as a reply, and completes a 200 without a body', async () => {
    subs.a.answer = (_r, n) =>
      n === 1 ? { status: 202, headers: replyHeaders('x', 'test.reply'), body: '{}' } : { status: 200 };
    await binary('q-1', 'test.a');
    await binary('q-2', 'test.a');
    await broker.idle();
    expect(subs.r.received).toEqual([]);
    expect(dead()).toEqual([]);
  });

  it('fails a 200 whose body is not a CloudEvent (502), retried, then dead-lettered', async () => {
    subs.a.answer = () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"plain":1}',
    });
    await binary('j-1', 'test.a');
    await broker.idle();
    expect(subs.a.received).toHaveLength(3);
    expect(dead().map((h) => h['ce-knativeerrorcode'])).toEqual(['502']);
  });

  it('stops a reply loop with knativebrokerttl', async () => {
    // A subscriber that answers every test.a with another test.a.
    subs.a.answer = (r) => ({
      status: 200,
      headers: replyHeaders(`${r.headers['ce-id']}+`, 'test.a'),
      body: '{}',
    });
    const before = broker.droppedTtl;
    await binary('loop', 'test.a', '{}', { 'ce-knativebrokerttl': '4' });
    await broker.idle();
    expect(subs.a.received.map((r) => r.headers['ce-id'])).toEqual(['loop', 'loop+', 'loop++', 'loop+++']);
    expect(broker.droppedTtl).toBe(before + 1);
  });
});

describe('shutdown', () => {
  it('stops retrying and drops what is queued when closed, so nothing outlives the rehearsal', async () => {
    subs.a.answer = () => ({ status: 503 });
    const slow = new Broker({
      namespace: 'vigil',
      name: 'default',
      routes: parseRoutes([trigger('to-a', 'a', 'test.a', 10).replace('PT0.05S', 'PT10S')]),
      resolve: () => subs.a.url,
    });
    const url = await slow.listen();
    const post = await fetch(url, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'c-1', 'ce-source': '/t', 'ce-type': 'test.a' },
    });
    expect(post.status).toBe(202);
    while (subs.a.received.length < 1) await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    expect(await slow.close()).toBe(1);
    await slow.idle();
    expect(performance.now() - t0).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(subs.a.received).toHaveLength(1);
    expect(slow.lost()).toBe(0);
  });
});
