// Undecodable or oversized input at every door is a 4xx problem, never a 5xx: the dashboard and FHIR
// (Hono), and an event function behind functions-framework, over real HTTP.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardApp, type DashboardApp } from '../dashboard/server.ts';
import { addUser, login } from '../dashboard/testing.ts';
import type { VigilFunction } from '../eventing/subscriber.ts';
import { httpHandler } from '../functions/http-adapter.ts';
import { createMetrics } from '../observability/metrics.ts';
import type { Db } from '../storage/db.ts';
import { testBackends } from '../storage/testing.ts';
import { type Listening, listen } from './listen.ts';
import { limitRequestBodies } from './node-body-limit.ts';

const sqlite = testBackends.find((b) => b.name === 'sqlite')!;

describe('every door answers bad input with a 4xx problem', () => {
  let db: Db;
  let dashboard: DashboardApp;
  let web: Listening;
  let fn: Server;
  let fnUrl: string;
  let handled = 0;
  let cookie = '';
  let csrf = '';

  beforeAll(async () => {
    db = await sqlite.open();
    dashboard = createDashboardApp({ db, publicUrl: undefined });
    web = await listen(dashboard, 0, '127.0.0.1');
    await addUser(db, 'ada', 'admin');
    ({ cookie, csrf } = await login(dashboard, 'ada'));
    const echo: VigilFunction = {
      name: 'doors-echo',
      handle: async () => {
        handled++;
        return [];
      },
    };
    ff.http('doors-echo', httpHandler(echo, { db: async () => db, metrics: createMetrics('doors-echo') }));
    fn = getTestServer('doors-echo');
    limitRequestBodies(fn, 64 * 1024);
    await new Promise<void>((r) => fn.listen(0, '127.0.0.1', () => r()));
    fnUrl = `http://127.0.0.1:${(fn.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    dashboard.poller.stop();
    await web.close();
    await new Promise((r) => fn.close(r));
    await db.close();
  });

  it('dashboard and FHIR: malformed percent-encoding, bad JSON and oversized bodies', async () => {
    const get = (path: string) =>
      fetch(`${web.url}${path}`, { headers: { cookie, accept: 'application/json' } });
    for (const path of [
      '/api/patients/%E0%A4%A',
      '/api/patients/%C0%A0/heart-rate',
      '/api/alerts?patient=%E0%A4%A',
      '/api/patients/p1/heart-rate?from=%ZZ',
      '/fhir/Patient/%E0%A4%A',
      '/fhir/Observation?patient=%E0%A4%A&code=8867-4',
      '/fhir/Observation?patient=p1&date=%ZZ',
    ]) {
      const res = await get(path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
    const post = (body: string, type = 'application/json') =>
      fetch(`${web.url}/api/patients`, {
        method: 'POST',
        headers: { cookie, 'content-type': type, 'x-csrf-token': csrf },
        body,
      });
    const bad = await fetch(`${web.url}/api/patients`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: '{"id": "x",',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    const big = await post('x'.repeat(65 * 1024));
    expect(big.status).toBe(413);
    expect((await big.json()).errors[0].pointer).toBe('header:content-length');
  });

  it('an event function behind functions-framework: bad JSON, bad encoding, oversized bodies', async () => {
    const deliver = (headers: Record<string, string>, body: string) =>
      fetch(fnUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': 'e1',
          'ce-source': '/test',
          'ce-type': 'test.in',
          ...headers,
        },
        body,
      });
    for (const [headers, body] of [
      [{}, '{"broken":'],
      [{ 'ce-id': 'x%E0%A4%A' }, '{}'],
      [{ 'ce-specversion': '0.1' }, '{}'],
    ] as const) {
      const res = await deliver(headers, body);
      expect(res.status, JSON.stringify(headers) + body).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(headers) + body).toBeLessThan(500);
    }
    const before = handled;
    const big = await deliver({}, JSON.stringify({ pad: 'x'.repeat(70 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toBe('application/problem+json');
    // Chunked: no length declared, counted while it streams.
    const chunks = new ReadableStream({
      start(ctl) {
        for (let i = 0; i < 40; i++) ctl.enqueue(new TextEncoder().encode('x'.repeat(4096)));
        ctl.close();
      },
    });
    const chunked = await fetch(fnUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'e2',
        'ce-source': '/t',
        'ce-type': 't',
      },
      body: chunks,
      duplex: 'half',
    } as RequestInit).catch((err: Error) => err);
    expect(chunked instanceof Error ? chunked.message : chunked.status).toBe(413);
    expect(handled).toBe(before);
  });
});
