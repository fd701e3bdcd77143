// The live feed against real storage: the shared poller's handling of seq gaps (late commits) and
// the SSE endpoint end to end (ids, patient filter, resume with Last-Event-ID).
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../storage/db.ts';
import { addPatient, enrollDevice } from '../storage/patients-store.ts';
import { testBackends } from '../storage/testing.ts';
import { EventPoller } from './live/poller.ts';
import type { LiveMessage } from './live/summarise.ts';
import { createDashboardApp } from './server.ts';
import { addUser, eegEvent, heartRateEvent, login, store } from './testing.ts';

async function insertAt(db: Db, seq: number, subject = 'p1'): Promise<void> {
  await db.run(
    'INSERT INTO events (seq, source, id, type, subject, time, received_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [seq, '/test', `e${seq}`, 'org.vigil.heartrate.sample', subject, 0, 0, JSON.stringify({ samples: [] })],
  );
}

/** Reads SSE frames from a fetch body until `until` says stop. */
async function readSse(
  res: Response,
  until: (frames: Array<Record<string, string>>) => boolean,
  timeoutMs = 5000,
) {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  const frames: Array<Record<string, string>> = [];
  let buf = '';
  const deadline = Date.now() + timeoutMs;
  while (!until(frames)) {
    if (Date.now() > deadline) throw new Error(`timeout; frames so far: ${JSON.stringify(frames)}`);
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i = buf.indexOf('\n\n');
    while (i >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const f: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const m = /^([a-z]+): ?(.*)$/.exec(line);
        if (m) f[m[1]!] = m[2]!;
      }
      if (Object.keys(f).length) frames.push(f);
      i = buf.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return frames;
}

describe.each(testBackends)('live feed on $name', (backend) => {
  let db: Db;
  beforeAll(async () => {
    db = await backend.open();
    await addPatient(db, { id: 'p1', name: 'One' });
    await addPatient(db, { id: 'p2', name: 'Two' });
  });
  afterAll(async () => {
    await db.close();
  });

  it('delivers rows that commit late into a seq gap, once, and forgets gaps after the TTL', async () => {
    let now = 1_000_000;
    const poller = new EventPoller(db, { holeTtlMs: 5000, now: () => now });
    const got: number[] = [];
    poller.subscribe({
      patientId: undefined,
      deliver: (m: readonly LiveMessage[]) => got.push(...m.map((x) => x.seq)),
    });
    poller.stop(); // drive polls by hand
    expect(await poller.head()).toBe(0);
    await insertAt(db, 1);
    await insertAt(db, 2);
    await insertAt(db, 4); // 3 allocated by a writer that has not committed yet
    await poller.pollOnce();
    expect(got).toEqual([1, 2, 4]);
    await insertAt(db, 3); // ... and now it commits
    await poller.pollOnce();
    expect(got).toEqual([1, 2, 4, 3]);
    await poller.pollOnce();
    expect(got).toEqual([1, 2, 4, 3]);
    await insertAt(db, 6); // 5 never commits (rolled back)
    await poller.pollOnce();
    now += 6000;
    await poller.pollOnce();
    await insertAt(db, 5); // later than the TTL: no longer looked for
    await poller.pollOnce();
    expect(got).toEqual([1, 2, 4, 3, 6]);
    await db.run('DELETE FROM events');
  });

  it('streams stored events over SSE with their seq as id, per patient, with EEG traces, and resumes', async () => {
    await addUser(db, `nurse-${backend.name}`, 'clinician');
    const app = createDashboardApp({ db, pollIntervalMs: 50 });
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    const addr = server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const http = {
      request: (p: string, init?: RequestInit) => fetch(base + p, { ...init, redirect: 'manual' }),
    };
    try {
      const s = await login(http, `nurse-${backend.name}`);
      const dev = await enrollDevice(db, { patientId: 'p1' });
      const head = await app.poller.head();
      const res = await fetch(`${base}/api/stream?patient=p1&after=${head}`, {
        headers: { cookie: s.cookie },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const t = Date.now();
      setTimeout(() => {
        store(db, [
          heartRateEvent('p2', 'other', 'hr-p2', [[t, 99]]),
          heartRateEvent('p1', dev.deviceId, 'hr-p1', [[t, 77]]),
          eegEvent('p1', dev.deviceId, 'eeg-p1', t, ['FP1-F7', 'C3-P3'], 256),
        ]).catch(() => undefined);
      }, 100);
      const frames = await readSse(res, (f) => f.filter((x) => x.event !== 'hello').length >= 2);
      const live = frames.filter((f) => f.event !== 'hello');
      expect(live.map((f) => f.event)).toEqual(['heart-rate', 'eeg']);
      const hr = JSON.parse(live[0]!.data!);
      expect(hr.patientId).toBe('p1');
      expect(hr.samples[0].bpm).toBe(77);
      expect(Number(live[0]!.id)).toBeGreaterThan(head);
      const eeg = JSON.parse(live[1]!.data!);
      expect(eeg.trace.channels).toEqual(['FP1-F7', 'C3-P3']);
      // At the recorded rate: EEG review draws every sample (it was downsampled to 64 Hz before).
      expect(eeg.trace.hz).toBe(256);
      expect(eeg.trace.samples[0]).toHaveLength(256);

      // Resume: a reconnecting browser sends Last-Event-ID and gets what came after it, from storage.
      const again = await fetch(`${base}/api/stream?patient=p1`, {
        headers: { cookie: s.cookie, 'last-event-id': live[0]!.id! },
      });
      const replay = await readSse(again, (f) => f.some((x) => x.event === 'eeg'));
      expect(replay.filter((f) => f.event !== 'hello').map((f) => f.id)).toEqual([live[1]!.id]);
      expect(app.poller.errors).toBe(0);
    } finally {
      app.poller.stop();
      (server as import('node:http').Server).closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
