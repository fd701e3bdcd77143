import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VigilEvent } from '../eventing/event.ts';
import type { EventSink } from '../eventing/sink.ts';
import type { VigilFunction } from '../eventing/subscriber.ts';
import { createMetrics } from '../observability/metrics.ts';
import type { Db } from '../storage/db.ts';
import { testBackends } from '../storage/testing.ts';
import { httpHandler } from './http-adapter.ts';
import { recorder } from './recorder/index.ts';

const sqlite = testBackends.find((b) => b.name === 'sqlite')!;

describe('functions-framework HTTP adapter', () => {
  let db: Db;
  let base: string;
  let server: Server;
  const forwarded: VigilEvent[] = [];
  const sink: EventSink = {
    accept: async (events) => {
      forwarded.push(...events);
      return { accepted: events.length, duplicates: 0 };
    },
  };
  const handled: VigilEvent[] = [];
  const echo: VigilFunction = {
    name: 'echo',
    async handle(e) {
      handled.push(e);
      if ((e.data as { fail?: boolean })?.fail) throw new Error('boom');
      const reply = (n: number): VigilEvent => ({
        specversion: '1.0',
        id: `${e.id}.r${n}`,
        source: '/functions/echo',
        type: 'test.reply',
        subject: e.subject,
        datacontenttype: 'application/json',
        data: { n },
      });
      return (e.data as { replies: number }).replies === 2 ? [reply(1), reply(2)] : [];
    },
  };

  beforeAll(async () => {
    db = await sqlite.open();
    ff.http('echo', httpHandler(echo, { db: async () => db, sink, metrics: createMetrics('echo') }));
    ff.http(
      'recorder-test',
      httpHandler(recorder, { db: async () => db, sink, metrics: createMetrics('recorder') }),
    );
    server = getTestServer('echo');
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await db.close();
  });

  const binary = (id: string, data: unknown) =>
    fetch(base, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': id,
        'ce-source': '/devices/d1',
        'ce-type': 'test.in',
        'ce-subject': 'p1',
      },
      body: JSON.stringify(data),
    });

  it('answers the first reply as a binary-mode CloudEvent and forwards the rest to K_SINK', async () => {
    const res = await binary('a1', { replies: 2 });
    expect(res.status).toBe(200);
    expect(res.headers.get('ce-id')).toBe('a1.r1');
    expect(res.headers.get('ce-type')).toBe('test.reply');
    expect(await res.json()).toEqual({ n: 1 });
    expect(forwarded.map((e) => e.id)).toEqual(['a1.r2']);
  });

  it('answers 204 when there is nothing to reply', async () => {
    const res = await binary('a2', { replies: 0 });
    expect(res.status).toBe(204);
  });

  it('answers 400 for an invalid CloudEvent and 500 (retry) when the function throws', async () => {
    const bad = await fetch(base, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'x',
        'ce-type': 'test.in',
      },
      body: '{}',
    });
    expect(bad.status).toBe(400);
    const fail = await binary('a3', { fail: true });
    expect(fail.status).toBe(500);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/vigil_requests_total\{[^}]*outcome="500"[^}]*\} 1/);
  });

  const structured = (url: string, event: object) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', source: '/devices/d1', ...event }),
    });
  const chunk = (samples: unknown) => ({
    id: `c-${handled.length}-${Math.random()}`,
    type: 'org.vigil.eeg.chunk',
    data: {
      patientId: 'p1',
      deviceId: 'd1',
      startTime: '2026-12-03T10:00:00Z',
      sampleRateHz: 2,
      channels: ['C3'],
      unit: 'uV',
      samples,
    },
  });

  it('checks contract events once, at the door: the handler gets float32 samples, a breach is a 422 naming the field', async () => {
    handled.length = 0;
    expect((await structured(base, chunk([[1.5, -2]]))).status).toBe(204);
    expect((handled[0]!.data as { samples: unknown[] }).samples).toEqual([Float32Array.of(1.5, -2)]);
    const bad = await structured(base, chunk([[1.5, 'x']]));
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await bad.json()).errors[0].pointer).toBe('/data/samples/0/1');
    expect(handled).toHaveLength(1);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/vigil_requests_total\{[^}]*outcome="422"[^}]*\} 1/);
  });

  it('names POST in Allow: for an OPTIONS probe, and on every 405 (data-plane.md "HTTP Verbs", RFC 9110 15.5.6)', async () => {
    const probe = await fetch(base, { method: 'OPTIONS' });
    expect(probe.status).toBe(204);
    expect(probe.headers.get('allow')).toMatch(/\bPOST\b/);
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await fetch(base, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow'), method).toMatch(/\bPOST\b/);
    }
  });

  it('serves the recorder, including the dead-letter path', async () => {
    const rec = getTestServer('recorder-test');
    await new Promise<void>((r) => rec.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(rec.address() as AddressInfo).port}`;
    const res = await fetch(`${url}/dead-letter`, {
      method: 'POST',
      headers: {
        'content-type': 'application/cloudevents+json',
      },
      body: JSON.stringify({
        specversion: '1.0',
        id: 'dl-1',
        source: '/devices/d1',
        type: 'org.vigil.heartrate.sample',
        knativeerrorcode: '500',
        knativeerrordest: 'http://heart-rate-monitor.vigil.svc.cluster.local',
        data: { any: 'thing' },
      }),
    });
    expect(res.status).toBe(204);
    const row = await db.get<{ reason: string; subscriber: string }>(
      'SELECT reason, subscriber FROM dead_letters WHERE id = ?',
      ['dl-1'],
    );
    expect(row?.subscriber).toBe('http://heart-rate-monitor.vigil.svc.cluster.local');
    expect(row?.reason).toMatch(/^500/);
    // Alert data that breaks the contract is refused at the door (Knative dead-letters a 4xx), not stored.
    const invalid = await structured(url, {
      id: 'bad-alert',
      source: '/functions/x',
      type: 'org.vigil.alert.raised',
      data: { alertId: 'a-invalid', patientId: 'p', kind: 'hiccups' },
    });
    expect(invalid.status).toBe(422);
    expect((await invalid.json()).errors.map((e: { pointer: string }) => e.pointer)).toContain('/data/kind');
    expect(await db.get("SELECT alert_id FROM alerts WHERE alert_id = 'a-invalid'")).toBeUndefined();
    await new Promise((r) => rec.close(r));
  });
});
