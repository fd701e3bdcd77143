// Shared pieces of the post-deploy checks (deploy/smoke.ts, deploy/e2e.ts): real Vigil events built
// against the contract, HTTP with optional address override, and polling the dashboard API.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { type ToolSettings, toolSettings } from '../config/env.ts';
import { EVENT_TYPES } from '../eventing/contract.ts';

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class CheckFailed extends Error {}

/**
 * HTTP request. `connectTo` (an IP) reaches the host through another address while keeping the
 * Host header and TLS name: how a runner reaches Kourier's MetalLB address before DNS exists.
 */
export function request(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    connectTo?: string;
    timeoutMs?: number;
  } = {},
): Promise<Response> {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  const connectTo = opts.connectTo;
  const lookup: LookupFunction | undefined = connectTo
    ? (_host, options, cb) => {
        const family = connectTo.includes(':') ? 6 : 4;
        if ((options as { all?: boolean }).all)
          (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [
            { address: connectTo, family },
          ]);
        else cb(null, connectTo, family);
      }
    : undefined;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      u,
      { method: opts.method ?? 'GET', headers: opts.headers, lookup, timeout: opts.timeoutMs ?? 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${opts.method ?? 'GET'} ${url}: timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function expectStatus(res: Response, ok: number[], what: string): void {
  if (!ok.includes(res.status))
    throw new CheckFailed(
      `${what}: HTTP ${res.status}, expected ${ok.join(' or ')}: ${res.body.slice(0, 300)}`,
    );
}

export interface DeviceIdentity {
  patientId: string;
  deviceId: string;
}

/** A structured-mode CloudEvent as JSON text. */
export function structured(event: Record<string, unknown>): {
  headers: Record<string, string>;
  body: string;
} {
  return { headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(event) };
}

/** Heart-rate samples ending now, one every 5 s, all at `bpm`; `marker` makes each run's samples findable. */
export function heartRateEvent(who: DeviceIdentity, bpm: number, count: number, now = Date.now()) {
  const samples = Array.from({ length: count }, (_, i) => ({
    time: new Date(now - (count - 1 - i) * 5000).toISOString(),
    bpm,
  }));
  return {
    specversion: '1.0',
    id: `smoke-${randomUUID()}`,
    source: `/devices/${who.deviceId}`,
    type: EVENT_TYPES.heartRateSample,
    subject: who.patientId,
    time: new Date(now).toISOString(),
    datacontenttype: 'application/json',
    data: { patientId: who.patientId, deviceId: who.deviceId, source: 'vigil-smoke', samples },
  };
}

const CHANNELS = ['FP1-F7', 'F7-T7', 'T7-P7', 'P7-O1', 'FP2-F8', 'F8-T8', 'T8-P8', 'P8-O2'];

/**
 * One second of 8-channel EEG at 256 Hz: a 10 Hz alpha-like sine plus deterministic noise, in µV.
 * Shaped like a real chunk (channels, rate, unit); not a recording, so the prediction is not asserted.
 */
export function eegChunkEvent(who: DeviceIdentity, now = Date.now()) {
  const rate = 256;
  let seed = 12345;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const samples = CHANNELS.map((_, ch) =>
    Array.from({ length: rate }, (_, i) => 30 * Math.sin((2 * Math.PI * 10 * i) / rate + ch) + 8 * noise()),
  );
  return {
    specversion: '1.0',
    id: `smoke-${randomUUID()}`,
    source: `/devices/${who.deviceId}`,
    type: EVENT_TYPES.eegChunk,
    subject: who.patientId,
    time: new Date(now).toISOString(),
    datacontenttype: 'application/json',
    data: {
      patientId: who.patientId,
      deviceId: who.deviceId,
      startTime: new Date(now - 1000).toISOString(),
      sampleRateHz: rate,
      channels: CHANNELS,
      unit: 'uV',
      samples,
    },
  };
}

/** Poll `fn` until it returns a value or `timeoutMs` passes. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new CheckFailed(
    `${what}: not seen within ${timeoutMs / 1000} s${last ? ` (${(last as Error).message})` : ''}`,
  );
}

/** GET a dashboard API path with an API token; parsed JSON. */
export async function dashboardGet(
  base: string,
  path: string,
  apiToken: string,
  connectTo?: string,
): Promise<unknown> {
  const res = await request(new URL(path, base).toString(), {
    headers: { authorization: `Bearer ${apiToken}`, accept: 'application/json' },
    connectTo,
  });
  expectStatus(res, [200], `GET ${path}`);
  return JSON.parse(res.body);
}

/** Heart-rate points of a patient since `fromMs` that carry exactly these sample times. */
export async function storedHeartRate(
  base: string,
  apiToken: string,
  patientId: string,
  times: string[],
  fromMs: number,
  connectTo?: string,
): Promise<true | undefined> {
  const page = (await dashboardGet(
    base,
    `/api/patients/${encodeURIComponent(patientId)}/heart-rate?from=${fromMs}&limit=10000`,
    apiToken,
    connectTo,
  )) as { items: Array<{ time: string }> };
  const seen = new Set(page.items.map((p) => new Date(p.time).getTime()));
  return times.every((t) => seen.has(new Date(t).getTime())) ? true : undefined;
}

export function env(name: keyof ToolSettings & `VIGIL_SMOKE_${string}`, required = true): string {
  const v = toolSettings()[name];
  if (required && !v) throw new CheckFailed(`environment variable ${name} is required`);
  return v ?? '';
}
