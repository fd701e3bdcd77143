import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/env.ts';
import { alertClearedData, alertRaisedData, EVENT_TYPES } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type { FunctionContext } from '../../eventing/subscriber.ts';
import { listAlerts } from '../../storage/alert-queries.ts';
import type { Db } from '../../storage/db.ts';
import { readState } from '../../storage/function-state.ts';
import {
  addPatient,
  enrollDevice,
  retireDevice,
  revokeDevice,
  touchDevices,
} from '../../storage/patients-store.ts';
import { testBackends } from '../../storage/testing.ts';
import { applyAlertEvent } from '../recorder/alert-events.ts';
import { createTechnicalAlarms, PING_SOURCE_TYPE, technicalAlarms } from './index.ts';
import { assessChunk, clipRunThreshold } from './signal-quality.ts';

const T0 = Date.UTC(2024, 4, 1, 8, 0, 0);
const FS = 256;

/** A plausible EEG second: a 10 Hz rhythm of 40 µV plus a slower 3 Hz one. */
function eegRow(second: number, offset = 0): number[] {
  return Array.from({ length: FS }, (_, i) => {
    const t = second + i / FS;
    return 40 * Math.sin(2 * Math.PI * 10 * t + offset) + 15 * Math.sin(2 * Math.PI * 3 * t);
  });
}

function chunk(
  deviceId: string,
  second: number,
  rows: number[][],
  id = `${deviceId}-c${second}`,
): VigilEvent {
  return {
    specversion: '1.0',
    id,
    source: `/devices/${deviceId}`,
    type: EVENT_TYPES.eegChunk,
    subject: 'pt',
    data: {
      patientId: 'pt',
      deviceId,
      startTime: new Date(T0 + second * 1000).toISOString(),
      sampleRateHz: FS,
      channels: rows.map((_, i) => ['FP1-F7', 'F7-T7', 'T7-P7'][i]!),
      unit: 'uV',
      samples: rows,
    },
  };
}
const good = (s: number) => [eegRow(s), eegRow(s, 1), eegRow(s, 2)];
const flatLine = (s: number) => [eegRow(s), new Array<number>(FS).fill(12.5), eegRow(s, 2)];
/** A baseline drifting into the amplifier's +300 µV rail, where it sits for the rest of the second. */
function clippedRow(s: number): number[] {
  return eegRow(s).map((v, i) => Math.min(v + 2 * i, 300));
}

describe('signal quality', () => {
  it('accepts real-looking EEG and flags flat and railed channels', () => {
    expect(assessChunk(['a', 'b', 'c'], good(0), FS)).toEqual({ flat: [], clipped: [] });
    const flat = assessChunk(['a', 'b', 'c'], flatLine(0), FS);
    expect(flat.flat.map((f) => f.channel)).toEqual(['b']);
    // 0.9 µV peak-to-peak noise is still flat; 1.1 µV is not.
    const noisy = (amp: number) => [Array.from({ length: FS }, (_, i) => (i % 2 ? amp : 0))];
    expect(assessChunk(['a'], noisy(0.9), FS).flat).toHaveLength(1);
    expect(assessChunk(['a'], noisy(1.1), FS).flat).toHaveLength(0);
    const clip = assessChunk(['a'], [clippedRow(0)], FS);
    expect(clip.clipped).toHaveLength(1);
    expect(clip.clipped[0]).toMatchObject({ channel: 'a', railValueUv: 300 });
    expect(clip.clipped[0]!.railRunSamples).toBeGreaterThanOrEqual(clipRunThreshold(FS));
  });

  it('needs a run of max(10 samples, 50 ms) at the extreme to call it clipping', () => {
    expect(clipRunThreshold(256)).toBe(13);
    expect(clipRunThreshold(173.61)).toBe(10);
    const row = eegRow(0);
    const peak = Math.max(...row);
    const withRun = (n: number) => {
      const r = [...row];
      for (let i = 100; i < 100 + n; i++) r[i] = peak + 1;
      return r;
    };
    expect(assessChunk(['a'], [withRun(12)], FS).clipped).toHaveLength(0);
    expect(assessChunk(['a'], [withRun(13)], FS).clipped).toHaveLength(1);
  });
});

describe('technical-alarms function', () => {
  let db: Db;
  let now = T0;
  let ctx: FunctionContext;
  beforeAll(async () => {
    db = await testBackends[0]!.open();
    ctx = { db, now: () => now };
    await addPatient(db, { id: 'pt', name: 'Test Patient' });
  });
  afterAll(async () => {
    await db.close();
  });

  async function feed(events: VigilEvent[]) {
    const out: VigilEvent[] = [];
    for (const e of events) out.push(...(await technicalAlarms.handle(e, ctx)));
    for (const r of out) await applyAlertEvent(db, r);
    return out;
  }

  it('raises eeg-flatline once after 2 s of flat signal and clears after 5 s of good signal', async () => {
    const first = await feed([chunk('eeg-a', 0, good(0)), chunk('eeg-a', 1, flatLine(1))]);
    expect(first).toEqual([]);
    const raised = await feed([2, 3, 4].map((s) => chunk('eeg-a', s, flatLine(s))));
    expect(raised.map((r) => r.id)).toEqual([`eeg-eeg-a-eeg-flatline-${T0 + 1000}.raised`]);
    const data = alertRaisedData.parse(raised[0]!.data);
    expect(data).toMatchObject({ kind: 'eeg-flatline', category: 'technical', patientId: 'pt' });
    expect(data.evidence.channels).toEqual([{ channel: 'F7-T7', peakToPeakUv: 0 }]);
    // Four good seconds are not enough; the fifth clears.
    expect(await feed([5, 6, 7, 8].map((s) => chunk('eeg-a', s, good(s))))).toEqual([]);
    const cleared = await feed([chunk('eeg-a', 9, good(9))]);
    expect(cleared.map((r) => r.type)).toEqual([EVENT_TYPES.alertCleared]);
    expect(alertClearedData.parse(cleared[0]!.data)).toMatchObject({
      kind: 'eeg-flatline',
      by: 'technical-alarms',
    });
    const alerts = await listAlerts(db, { patientId: 'pt', kind: 'eeg-flatline', limit: 10 });
    expect(alerts.items.map((a) => a.status)).toEqual(['cleared']);
  });

  it('raises eeg-clipping for a railed channel, and ignores redelivered and late chunks', async () => {
    const rows = (s: number) => [eegRow(s), clippedRow(s), eegRow(s, 2)];
    const evs = [0, 1, 2].map((s) => chunk('eeg-b', s, rows(s)));
    const replies = await feed(evs);
    expect(replies.map((r) => r.id)).toEqual([`eeg-eeg-b-eeg-clipping-${T0}.raised`]);
    // The chunk that raised (the second: 2 s of clipping), delivered again: same reply (in case the first was lost), nothing new.
    expect((await technicalAlarms.handle(evs[1]!, ctx)).map((r) => r.id)).toEqual(replies.map((r) => r.id));
    expect(await technicalAlarms.handle(evs[0]!, ctx)).toEqual([]);
    expect((await listAlerts(db, { kind: 'eeg-clipping', status: 'open', limit: 10 })).total).toBe(1);
  });

  it('handles a batch of several devices in one go, writing no state while the signal is good', async () => {
    const batch = [0, 1, 2].flatMap((s) => [chunk('eeg-c', s, good(s)), chunk('eeg-d', s, flatLine(s))]);
    const replies = await technicalAlarms.handleBatch!(batch, ctx);
    expect(replies.map((r) => r.id)).toEqual([`eeg-eeg-d-eeg-flatline-${T0}.raised`]);
    expect(await readState(db, 'technical-alarms', 'eeg/eeg-c')).toBeUndefined();
    expect((await readState(db, 'technical-alarms', 'eeg/eeg-d'))?.version).toBe(1);
  });

  it('raises device-silent once per silence and clears it when the device is heard again', async () => {
    const dev = await enrollDevice(db, { patientId: 'pt', kind: 'watch' });
    const never = await enrollDevice(db, { patientId: 'pt', kind: 'watch' });
    const check = (n: number, type: string = EVENT_TYPES.technicalCheck): VigilEvent => ({
      specversion: '1.0',
      id: `check-${n}`,
      source: '/runtime/technical-check',
      type,
      data: {},
    });
    await touchDevices(db, new Map([[dev.deviceId, T0]]));
    now = T0 + 59_000;
    expect(await feed([check(1)])).toEqual([]);
    now = T0 + 61_000;
    const raised = await feed([check(2)]);
    expect(raised.map((r) => r.id)).toEqual([`dev-${dev.deviceId}-device-silent-${T0}.raised`]);
    expect(alertRaisedData.parse(raised[0]!.data)).toMatchObject({
      kind: 'device-silent',
      category: 'technical',
      evidence: { deviceId: dev.deviceId, silentSeconds: 61, thresholdSeconds: 60 },
    });
    now = T0 + 300_000;
    expect(await feed([check(3), check(4, PING_SOURCE_TYPE)])).toEqual([]);
    // A second replica's checker, with no shared memory of the first, names the same alert.
    await touchDevices(db, new Map([[dev.deviceId, T0 + 301_000]]));
    now = T0 + 302_000;
    const cleared = await feed([check(5)]);
    expect(cleared.map((r) => r.id)).toEqual([`dev-${dev.deviceId}-device-silent-${T0}.cleared`]);
    const alerts = await listAlerts(db, { kind: 'device-silent', limit: 10 });
    expect(alerts.items.map((a) => [a.alertId, a.status])).toEqual([
      [`dev-${dev.deviceId}-device-silent-${T0}`, 'cleared'],
    ]);
    expect(alerts.items.some((a) => a.evidence.deviceId === never.deviceId)).toBe(false);
    // Silent again, then revoked: raised, then cleared as revoked.
    now = T0 + 400_000;
    expect((await feed([check(6)])).map((r) => r.type)).toEqual([EVENT_TYPES.alertRaised]);
    await revokeDevice(db, dev.deviceId, now);
    const revoked = await feed([check(7)]);
    expect(alertClearedData.parse(revoked[0]!.data).reason).toMatch(/revoked/);
  });

  it('raises device-clock-wrong after 3 refusals in 5 min from one device, and clears it after 5 quiet min', async () => {
    let k = 0;
    const refused = (deviceId: string, at: number): VigilEvent => ({
      specversion: '1.0',
      id: `clock-${k++}`,
      source: '/functions/ingest',
      type: EVENT_TYPES.clockRejected,
      data: {
        patientId: 'pt',
        deviceId,
        field: 'data.samples[0].time',
        time: '2099-01-01T00:00:00.000Z',
        receivedAt: new Date(at).toISOString(),
        aheadSeconds: 2e9,
      },
    });
    const check = (n: number): VigilEvent => ({
      specversion: '1.0',
      id: `clock-check-${n}`,
      source: '/runtime/technical-check',
      type: EVENT_TYPES.technicalCheck,
      data: {},
    });
    const C0 = T0 + 10_000_000;
    // two refusals, then one more after the window: no alarm; a second device's refusals do not add up
    expect(await feed([refused('w1', C0), refused('w1', C0 + 1000), refused('w2', C0 + 2000)])).toEqual([]);
    expect(await feed([refused('w1', C0 + 400_000)])).toEqual([]);
    expect(await feed([refused('w2', C0 + 401_000)])).toEqual([]);
    expect(await feed([refused('w2', C0 + 402_000)])).toEqual([]);
    const raised = await feed([refused('w2', C0 + 403_000)]);
    expect(raised.map((r) => r.id)).toEqual([`clock-w2-${C0 + 401_000}.raised`]);
    expect(alertRaisedData.parse(raised[0]!.data)).toMatchObject({
      kind: 'device-clock-wrong',
      category: 'technical',
      evidence: expect.objectContaining({ deviceId: 'w2', rejections: 3 }),
    });
    expect(await feed([refused('w2', C0 + 404_000)])).toEqual([]); // one alarm per episode
    now = C0 + 404_000 + 299_000;
    expect(await feed([check(1)])).toEqual([]);
    now = C0 + 404_000 + 300_000;
    const cleared = await feed([check(2)]);
    expect(cleared.map((r) => r.id)).toEqual([`clock-w2-${C0 + 401_000}.cleared`]);
  });

  it('ends the device-silent alarm of a retired device and raises none for it again', async () => {
    const check = (n: number): VigilEvent => ({
      specversion: '1.0',
      id: `retire-check-${n}`,
      source: '/runtime/technical-check',
      type: EVENT_TYPES.technicalCheck,
      data: {},
    });
    // Two patients: the alert store merges open alerts of one kind per patient (#14 splits that).
    await addPatient(db, { id: 'pt-retire', name: 'Second Patient' });
    const old = await enrollDevice(db, { patientId: 'pt', kind: 'simulator' });
    const unplugged = await enrollDevice(db, { patientId: 'pt-retire', kind: 'simulator' });
    const seen = now;
    await touchDevices(db, new Map([[old.deviceId, seen]]));
    await touchDevices(db, new Map([[unplugged.deviceId, seen]]));
    now = seen + 61_000;
    const raised = await feed([check(1)]);
    expect(raised.map((r) => r.id).sort()).toEqual(
      [old.deviceId, unplugged.deviceId].map((d) => `dev-${d}-device-silent-${seen}.raised`).sort(),
    );
    // Retired before the next check: its open alarm ends; a device retired while quiet never alarms.
    await retireDevice(db, old.deviceId, now);
    now += 15_000;
    const cleared = await feed([check(2)]);
    expect(cleared.map((r) => r.id)).toEqual([`dev-${old.deviceId}-device-silent-${seen}.cleared`]);
    expect(alertClearedData.parse(cleared[0]!.data).reason).toMatch(/retired/);
    const quiet = await enrollDevice(db, { patientId: 'pt', kind: 'simulator' });
    await touchDevices(db, new Map([[quiet.deviceId, now]]));
    await retireDevice(db, quiet.deviceId, now);
    now += 120_000;
    expect(await feed([check(3)])).toEqual([]);
    const open = await listAlerts(db, { kind: 'device-silent', status: 'open', limit: 50 });
    const openDevices = open.items.map((a) => a.evidence.deviceId);
    expect(openDevices).toContain(unplugged.deviceId);
    expect(openDevices).not.toContain(old.deviceId);
    expect(openDevices).not.toContain(quiet.deviceId);
  });

  it('reads the silence threshold from VIGIL_DEVICE_SILENT_SECONDS', async () => {
    expect(loadConfig({}).VIGIL_DEVICE_SILENT_SECONDS).toBe(60);
    expect(loadConfig({ VIGIL_DEVICE_SILENT_SECONDS: '5' }).VIGIL_DEVICE_SILENT_SECONDS).toBe(5);
    expect(() => loadConfig({ VIGIL_DEVICE_SILENT_SECONDS: 'soon' })).toThrow(/VIGIL_DEVICE_SILENT_SECONDS/);
    const fast = createTechnicalAlarms({ deviceSilentSeconds: 5 });
    const dev = await enrollDevice(db, { patientId: 'pt', kind: 'eeg' });
    await touchDevices(db, new Map([[dev.deviceId, now]]));
    now += 6000;
    const r = await fast.handle(
      { specversion: '1.0', id: 'fast-1', source: '/x', type: EVENT_TYPES.technicalCheck, data: {} },
      ctx,
    );
    expect(r.map((e) => e.id)).toContain(`dev-${dev.deviceId}-device-silent-${now - 6000}.raised`);
  });
});
