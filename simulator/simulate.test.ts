import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../cli/commands/simulate.ts';
import { getLimits } from '../storage/limits-store.ts';
import { openDb } from '../storage/open.ts';
import { deviceForToken, deviceState, enrollDevice, listDevices } from '../storage/patients-store.ts';
import { parseTokenFlag, parseTokensFile } from './credentials.ts';
import { type Clock, Pacer } from './pacer.ts';
import type { HrSeriesRecording } from './recordings.ts';
import { retryAfterMs } from './sender.ts';
import { runSimulation } from './simulate.ts';

interface Received {
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  url: string;
}

/** A tiny ingest stand-in: `answer` picks the status (and headers) per request. */
async function server(
  answer: (r: Received, n: number) => { status: number; headers?: Record<string, string> },
) {
  const received: Received[] = [];
  const s = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const r = {
        at: performance.now(),
        headers: req.headers,
        body: Buffer.concat(parts).toString(),
        url: req.url ?? '',
      };
      received.push(r);
      const a = answer(r, received.length);
      res.writeHead(a.status, { 'content-type': 'application/problem+json', ...a.headers });
      res.end(a.status >= 400 ? JSON.stringify({ title: 'Nope', detail: 'field x' }) : '');
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  servers.push(s);
  return { url, received };
}
const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const hr = (n: number): HrSeriesRecording => ({
  kind: 'hr-series',
  file: 'mem.csv',
  samples: Array.from({ length: n }, (_, i) => ({ offsetS: i, bpm: 70 + i })),
  durationS: n,
});

function fakeClock(): Clock & { sleeps: number[] } {
  let t = 1000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

describe('pacing', () => {
  it('sends data recorded at offset t at start + t / speed (injected clock, 10 s of recording)', async () => {
    for (const speed of [1, 4]) {
      const clock = fakeClock();
      const pacer = new Pacer(clock, speed);
      const sentAt: number[] = [];
      for (let k = 1; k <= 10; k++) {
        await pacer.waitFor(k);
        sentAt.push(clock.now() - pacer.startMs);
        clock.sleep(3); // time spent sending does not accumulate as drift
      }
      for (const [k, ms] of sentAt.entries()) expect(ms).toBeCloseTo(((k + 1) * 1000) / speed, 6);
    }
  });

  it('catches up without sleeping when behind, and "max" never waits', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(clock, 1);
    await clock.sleep(2500);
    expect(await pacer.waitFor(1)).toBe(1500);
    const max = new Pacer(clock, Infinity);
    expect(await max.waitFor(1e6)).toBe(0);
    expect(() => new Pacer(clock, 0)).toThrow(RangeError);
  });

  it('keeps real time within 5 % in a real run (10 s of recording at speed 5)', async () => {
    const { url, received } = await server(() => ({ status: 202 }));
    const t0 = performance.now();
    const r = await runSimulation({
      url,
      credentials: [{ patientId: 'p1', deviceId: 'd1', token: 't1' }],
      eeg: [],
      hr: [hr(10)],
      speed: 5,
      chunkSeconds: 1,
      encoding: 'json',
    });
    const elapsed = performance.now() - t0;
    expect(r.acknowledged).toBe(10);
    expect(elapsed).toBeGreaterThan(2000 * 0.95);
    expect(elapsed).toBeLessThan(2000 * 1.05);
    const gaps = received.slice(1).map((x, i) => x.at - received[i]!.at);
    expect(gaps.reduce((a, b) => a + b, 0) / gaps.length).toBeGreaterThan(190);
    expect(gaps.reduce((a, b) => a + b, 0) / gaps.length).toBeLessThan(210);
  });
});

describe('timestamps', () => {
  it('never stamps a sample in the future, at any speed', async () => {
    for (const [speed, n, durationS] of [
      [2, 2, undefined],
      [20, 20, undefined],
      [Infinity, 30, undefined],
      [10, 5, 0.5],
    ] as const) {
      const stamps: Array<{ receivedAt: number; times: number[] }> = [];
      const { url } = await server((r) => {
        const times = (JSON.parse(r.body).samples as { time: string }[]).map((x) => Date.parse(x.time));
        stamps.push({ receivedAt: Date.now(), times });
        return { status: 202 };
      });
      await runSimulation({
        url,
        credentials: [{ patientId: 'p1', deviceId: 'd1', token: 't1' }],
        eeg: [],
        hr: [hr(n)],
        speed,
        durationS,
        chunkSeconds: 1,
        encoding: 'json',
      });
      expect(stamps.length).toBeGreaterThan(0);
      for (const s of stamps) for (const t of s.times) expect(t).toBeLessThanOrEqual(s.receivedAt);
    }
  });
});

describe('sending', () => {
  it('uses each patient’s own token, source and subject', async () => {
    const { url, received } = await server(() => ({ status: 202 }));
    await runSimulation({
      url,
      credentials: [
        { patientId: 'p1', deviceId: 'd1', token: 'tok-1' },
        { patientId: 'p2', deviceId: 'd2', token: 'tok-2' },
      ],
      eeg: [],
      hr: [hr(3)],
      speed: Infinity,
      chunkSeconds: 1,
      encoding: 'json',
    });
    expect(received).toHaveLength(6);
    for (const r of received) {
      const p = r.headers['ce-subject'];
      const n = String(p).slice(1);
      expect(r.headers.authorization).toBe(`Bearer tok-${n}`);
      expect(r.headers['ce-source']).toBe(`/devices/d${n}`);
      expect(r.headers['ce-type']).toBe('org.vigil.heartrate.sample');
      const data = JSON.parse(r.body);
      expect(data).toMatchObject({ patientId: p, deviceId: `d${n}`, source: 'bedside-monitor' });
    }
    expect(new Set(received.map((r) => r.headers['ce-id'])).size).toBe(6);
  });

  it('retries after 503 + Retry-After and counts it', async () => {
    const { url, received } = await server((_, n) =>
      n === 1 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 202 },
    );
    const r = await runSimulation({
      url,
      credentials: [{ patientId: 'p1', deviceId: 'd1', token: 't' }],
      eeg: [],
      hr: [hr(2)],
      speed: Infinity,
      chunkSeconds: 1,
      encoding: 'json',
    });
    expect(received).toHaveLength(3);
    expect(r).toMatchObject({ sent: 2, acknowledged: 2, retries503: 1, errors: 0 });
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(retryAfterMs(undefined)).toBe(1000);
  });

  it('stops a device on 401 and reports the problem title', async () => {
    const { url, received } = await server(() => ({ status: 401 }));
    const r = await runSimulation({
      url,
      credentials: [{ patientId: 'p1', deviceId: 'd1', token: 'bad' }],
      eeg: [],
      hr: [hr(5)],
      speed: Infinity,
      chunkSeconds: 1,
      encoding: 'json',
    });
    expect(received).toHaveLength(1);
    expect(r).toMatchObject({
      sent: 1,
      acknowledged: 0,
      errors: 1,
      errorKinds: { 'HTTP 401 Nope: field x': 1 },
    });
  });
});

describe('tokens', () => {
  it('parses PATIENT:DEVICE:TOKEN (token may contain ":") and tokens files', () => {
    expect(parseTokenFlag('p-1:dev-1:abc:def')).toEqual({
      patientId: 'p-1',
      deviceId: 'dev-1',
      token: 'abc:def',
    });
    expect(() => parseTokenFlag('justatoken')).toThrow(/--token: expected PATIENT_ID:DEVICE_ID:TOKEN/);
    expect(() => parseTokenFlag('p 1:d:t')).toThrow(/--token: patientId/);
    expect(parseTokensFile('# comment\n\np1:d1:t1\np2:d2:t2\n', 'f')).toHaveLength(2);
    expect(() => parseTokensFile('p1:d1:t1\nbroken\n', 'tok.txt')).toThrow(/^tok\.txt:2: expected/);
    expect(parseTokensFile('[{"patientId":"p","deviceId":"d","token":"t"}]', 'f.json')).toEqual([
      { patientId: 'p', deviceId: 'd', token: 't' },
    ]);
    expect(() => parseTokensFile('[{"patientId":"p"}]', 'f.json')).toThrow(/f\.json: entry 0\.deviceId/);
  });
});

describe('vigil simulate exit codes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-sim-cli-'));
  const csv = path.join(dir, 'bidmc_01_Numerics.csv');
  writeFileSync(csv, 'Time [s], HR, PULSE, RESP, SpO2\n0,80,80,12,98\n1,81,80,12,98\n');
  const quiet = async (args: string[]): Promise<number> => {
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const captured: string[] = [];
    process.stdout.write = ((s: string) => captured.push(s) > 0) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => captured.push(s) > 0) as typeof process.stderr.write;
    try {
      return await run(args);
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
      lastOutput = captured.join('');
    }
  };
  let lastOutput = '';

  it('0 when every event is acknowledged, 1 on 401, 2 on bad flags and files', async () => {
    const ok = await server(() => ({ status: 202 }));
    const base = ['--no-eeg', '--hr', csv, '--speed', 'max', '--token', 'p1:d1:t1'];
    expect(await quiet([...base, '--url', ok.url, '--json'])).toBe(0);
    expect(JSON.parse(lastOutput)).toMatchObject({ sent: 2, acknowledged: 2 });
    const denied = await server(() => ({ status: 401 }));
    expect(await quiet([...base, '--url', denied.url])).toBe(1);
    expect(await quiet([...base, '--url', ok.url, '--speed', 'fast'])).toBe(2);
    expect(lastOutput).toMatch(/--speed: expected a positive number/);
    expect(await quiet([...base, '--url', ok.url, '--bogus'])).toBe(2);
    expect(await quiet([...base, '--url', ok.url, '--patients', '2'])).toBe(2);
    expect(lastOutput).toMatch(/--patients 2 needs 2 tokens, got 1/);
    const broken = path.join(dir, 'bidmc_02_Numerics.csv');
    writeFileSync(broken, 'Time [s], HR, PULSE, RESP, SpO2\n0,80,80,12,98\n1,8x,80,12,98\n');
    expect(await quiet(['--no-eeg', '--hr', broken, '--token', 'p1:d1:t1', '--url', ok.url])).toBe(2);
    expect(lastOutput).toMatch(/bidmc_02_Numerics\.csv:3: column HR/);
    expect(ok.received).toHaveLength(2);
  });

  it('enrols its patients in local storage (VIGIL_DATA_DIR) with their own tokens and optional limits', async () => {
    const ok = await server(() => ({ status: 202 }));
    const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-sim-data-'));
    const saved = { ...process.env };
    process.env.VIGIL_DATA_DIR = dataDir;
    process.env.VIGIL_INGEST_PORT = new URL(ok.url).port;
    delete process.env.DATABASE_URL;
    try {
      expect(
        await quiet(['--no-eeg', '--hr', csv, '--speed', 'max', '--patients', '2', '--limits', '45:120']),
      ).toBe(0);
    } finally {
      process.env = saved;
    }
    const tokens = new Set(ok.received.map((r) => r.headers.authorization));
    expect(ok.received).toHaveLength(4);
    expect(tokens.size).toBe(2);
    const db = await openDb({ dataDir });
    try {
      for (const [i, r] of ok.received.entries()) {
        const dev = await deviceForToken(db, String(r.headers.authorization).slice('Bearer '.length));
        expect(dev, `request ${i}`).toBeDefined();
        expect(r.headers['ce-source']).toBe(`/devices/${dev!.id}`);
        expect(r.headers['ce-subject']).toBe(dev!.patientId);
      }
      expect(await getLimits(db, 'sim-002')).toMatchObject({ low: 45, high: 120, custom: true });
    } finally {
      await db.close();
    }
  });

  it('reuses its simulated devices on the next run (one device per patient, a fresh token) and retires extras', async () => {
    const ok = await server(() => ({ status: 202 }));
    const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-sim-reuse-'));
    const saved = { ...process.env };
    process.env.VIGIL_DATA_DIR = dataDir;
    process.env.VIGIL_INGEST_PORT = new URL(ok.url).port;
    delete process.env.DATABASE_URL;
    const run = () => quiet(['--no-eeg', '--hr', csv, '--speed', 'max', '--patients', '1']);
    try {
      expect(await run()).toBe(0);
      // A pile-up left by an older simulator: a second active simulator device on the same patient.
      const db = await openDb({ dataDir });
      const extra = await enrollDevice(db, { patientId: 'sim-001', kind: 'simulator' });
      const watch = await enrollDevice(db, { patientId: 'sim-001', kind: 'apple-watch' });
      await db.close();
      expect(await run()).toBe(0);
      expect(await run()).toBe(0);
      const after = await openDb({ dataDir });
      try {
        const devices = await listDevices(after, 'sim-001');
        const active = devices.filter((d) => deviceState(d) === 'active');
        expect(active.map((d) => d.kind).sort()).toEqual(['apple-watch', 'simulator']);
        const sim = active.find((d) => d.kind === 'simulator')!;
        const sources = new Set(ok.received.map((r) => r.headers['ce-source']));
        expect([...sources]).toEqual([`/devices/${sim.id}`]);
        expect(new Set(ok.received.map((r) => r.headers.authorization)).size).toBe(3);
        expect(deviceState(devices.find((d) => d.id === extra.deviceId)!)).toBe('retired');
        expect(deviceState(devices.find((d) => d.id === watch.deviceId)!)).toBe('active');
      } finally {
        await after.close();
      }
    } finally {
      process.env = saved;
    }
  });
});
