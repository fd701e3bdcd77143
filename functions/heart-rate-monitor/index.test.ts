import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertClearedData, alertRaisedData, EVENT_TYPES } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type { FunctionContext } from '../../eventing/subscriber.ts';
import { validateContractEvent } from '../../eventing/validate-event.ts';
import { alertAudit } from '../../storage/alert-audit.ts';
import { listAlerts } from '../../storage/alert-queries.ts';
import type { Db } from '../../storage/db.ts';
import { readState } from '../../storage/function-state.ts';
import { setLimits } from '../../storage/limits-store.ts';
import { testBackends } from '../../storage/testing.ts';
import { applyAlertEvent } from '../recorder/alert-events.ts';
import {
  createHeartRateMonitor,
  HEART_RATE_MONITOR,
  heartRateMonitor,
  type StoredMonitorState,
} from './index.ts';

const T0 = Date.UTC(2024, 4, 1, 8, 0, 0);

function hrEvent(
  patientId: string,
  id: string,
  fromSecond: number,
  bpms: number[],
  deviceId = 'watch-1',
): VigilEvent {
  return {
    specversion: '1.0',
    id,
    source: `/devices/${deviceId}`,
    type: EVENT_TYPES.heartRateSample,
    subject: patientId,
    time: new Date(T0 + fromSecond * 1000).toISOString(),
    data: {
      patientId,
      deviceId,
      source: 'test',
      samples: bpms.map((bpm, i) => ({ time: new Date(T0 + (fromSecond + i) * 1000).toISOString(), bpm })),
    },
  };
}
const repeat = (bpm: number, n: number) => new Array<number>(n).fill(bpm);

describe.each(testBackends)('heart-rate-monitor function on $name', (backend) => {
  let db: Db;
  let ctx: FunctionContext;
  beforeAll(async () => {
    db = await backend.open();
    ctx = { db, now: () => T0 + 3_600_000 };
  });
  afterAll(async () => {
    await db.close();
  });

  /** What the recorder does with replies. */
  async function record(replies: VigilEvent[]) {
    for (const r of replies) await applyAlertEvent(db, r);
  }

  it('replies contract-valid alert events with deterministic ids', async () => {
    const replies = await heartRateMonitor.handle(hrEvent('pa', 'e1', 0, repeat(160, 12)), ctx);
    expect(replies).toHaveLength(1);
    const r = replies[0]!;
    expect(r).toMatchObject({
      id: `hr-pa-watch-1-tachycardia-${T0}.raised`,
      source: '/functions/heart-rate-monitor',
      type: EVENT_TYPES.alertRaised,
      subject: 'pa',
      time: new Date(T0 + 10_000).toISOString(),
    });
    const data = alertRaisedData.parse(r.data);
    // 160/130 = 1.23; sustained beyond the extreme limit of 150 bpm: high priority
    expect(data).toMatchObject({
      kind: 'tachycardia',
      category: 'patient',
      severity: 'major',
      priority: 'high',
    });
    expect(data.evidence).toMatchObject({ limitBpm: 130, sustainedBpm: 160, deviceId: 'watch-1' });
    const cleared = await heartRateMonitor.handle(hrEvent('pa', 'e2', 12, repeat(80, 11)), ctx);
    expect(cleared.map((e) => e.id)).toEqual([`hr-pa-watch-1-tachycardia-${T0}.cleared`]);
    expect(alertClearedData.parse(cleared[0]!.data)).toMatchObject({
      by: HEART_RATE_MONITOR,
      kind: 'tachycardia',
    });
  });

  it('raises one alert under redelivery, even when the first replies were lost', async () => {
    const ev = hrEvent('pb', 'e1', 0, repeat(30, 15));
    const first = await heartRateMonitor.handle(ev, ctx);
    // The broker did not get the answer (crash after the state write) and delivers again.
    const second = await heartRateMonitor.handle(structuredClone(ev), ctx);
    expect(second).toEqual(first);
    await record([...first, ...second, ...first]);
    const alerts = await listAlerts(db, { patientId: 'pb', limit: 10 });
    expect(alerts.total).toBe(1);
    expect(alerts.items[0]).toMatchObject({ kind: 'bradycardia', status: 'raised' });
    expect(await alertAudit(db, alerts.items[0]!.alertId)).toHaveLength(1);
    // A different event with old samples changes nothing.
    expect(await heartRateMonitor.handle(hrEvent('pb', 'e-late', 0, repeat(30, 15)), ctx)).toEqual([]);
  });

  it('keeps its state in storage: a new instance continues the episode', async () => {
    await heartRateMonitor.handle(hrEvent('pc', 'e1', 0, repeat(140, 6)), ctx);
    const stored = await readState<StoredMonitorState>(db, HEART_RATE_MONITOR, 'pc/watch-1');
    expect(stored?.value.rule.tachycardia.pending?.count).toBe(6);
    const restarted = createHeartRateMonitor();
    const replies = await restarted.handle(hrEvent('pc', 'e2', 6, repeat(140, 6)), ctx);
    expect(replies.map((r) => r.id)).toEqual([`hr-pc-watch-1-tachycardia-${T0}.raised`]);
  });

  it('uses the clinician limits of the patient', async () => {
    await setLimits(db, 'pd', { low: 50, high: 100 }, 'dr.x');
    const replies = await heartRateMonitor.handle(hrEvent('pd', 'e1', 0, repeat(121, 11)), ctx);
    expect(replies).toHaveLength(1);
    expect(alertRaisedData.parse(replies[0]!.data)).toMatchObject({
      severity: 'major',
      priority: 'medium', // beyond the patient's limits, not the extreme ones
      evidence: expect.objectContaining({ limitBpm: 100, limits: { low: 50, high: 100 } }),
    });
  });

  it('serialises concurrent deliveries for one patient through the versioned state', async () => {
    // Each batch alone breaches for 10 s, so whichever is stored first raises the alert, in any arrival
    // order (batches older than the stored state change nothing). Two concurrent writers of the state
    // would both raise one.
    const events = [0, 11, 22, 33, 44].map((s, i) => hrEvent('pe', `c${i}`, s, repeat(150, 11)));
    const replies = (await Promise.all(events.map((e) => heartRateMonitor.handle(e, ctx)))).flat();
    await record(replies);
    // Arrival order is arbitrary, so the episode may start at any batch, but there is exactly one.
    const open = await listAlerts(db, { patientId: 'pe', status: 'open', limit: 10 });
    expect(open.total).toBe(1);
    const raised = replies.filter((r) => r.type === EVENT_TYPES.alertRaised);
    expect(new Set(raised.map((r) => r.id)).size).toBe(1);
  });

  it('handles a batch for several patients with one state write each, in event order', async () => {
    const batch = [
      hrEvent('pf', 'b1', 0, repeat(20, 5)),
      hrEvent('pg', 'b2', 0, repeat(145, 11)),
      hrEvent('pf', 'b3', 5, repeat(20, 6)),
      hrEvent('pg', 'b4', 11, [-1]),
    ];
    const replies = await heartRateMonitor.handleBatch!(batch, ctx);
    expect(replies.map((r) => r.id)).toEqual([
      `hr-pf-watch-1-bradycardia-${T0}.raised`,
      `hr-pg-watch-1-tachycardia-${T0}.raised`,
      `hr-pg-watch-1-hr-implausible-${T0 + 11_000}.raised`,
    ]);
    expect(alertRaisedData.parse(replies[0]!.data).priority).toBe('high'); // 20 bpm < 40
    expect(alertRaisedData.parse(replies[1]!.data).priority).toBe('medium'); // 145 bpm
    expect(alertRaisedData.parse(replies[2]!.data)).toMatchObject({
      category: 'technical',
      priority: 'low',
      kind: 'hr-implausible',
    });
    const pf = await readState<StoredMonitorState>(db, HEART_RATE_MONITOR, 'pf/watch-1');
    expect(pf?.version).toBe(1);
  });

  it('has invalid data refused at the door, with a 422 naming the field', async () => {
    const bad = hrEvent('ph', 'x', 0, [80]);
    (bad.data as { samples: unknown[] }).samples = [{ time: 'yesterday', bpm: 80 }];
    expect(() => validateContractEvent(bad)).toThrow(
      expect.objectContaining({
        status: 422,
        errors: expect.arrayContaining([expect.objectContaining({ pointer: '/data/samples/0/time' })]),
      }),
    );
  });

  it("keeps state per device: one device's newer sample does not make another's samples old", async () => {
    // watch-2's clock runs an hour ahead (its sample is still in the past of the function's clock)
    expect(await heartRateMonitor.handle(hrEvent('pj', 'w2', 3_500, [72], 'watch-2'), ctx)).toEqual([]);
    const replies = await heartRateMonitor.handle(hrEvent('pj', 'w1', 0, repeat(185, 16)), ctx);
    expect(replies.map((r) => r.id)).toEqual([`hr-pj-watch-1-tachycardia-${T0}.raised`]);
  });

  it('never lets a sample from the future into the live state', async () => {
    const future = hrEvent('pk', 'f', 0, [72]);
    (future.data as { samples: { time: string }[] }).samples[0]!.time = '2099-01-01T00:00:00Z';
    expect(await heartRateMonitor.handle(future, ctx)).toEqual([]);
    const replies = await heartRateMonitor.handle(hrEvent('pk', 'r', 0, repeat(30, 16)), ctx);
    expect(replies.map((r) => r.id)).toEqual([`hr-pk-watch-1-bradycardia-${T0}.raised`]);
  });

  it('ignores event types it does not handle', async () => {
    expect(
      await heartRateMonitor.handle({ ...hrEvent('pi', 'x', 0, [80]), type: 'org.vigil.eeg.chunk' }, ctx),
    ).toEqual([]);
  });
});
