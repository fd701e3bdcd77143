// Device -> ingest -> broker -> heart-rate-monitor -> broker -> recorder -> alerts table, in the embedded runtime.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../eventing/contract.ts';
import { postAsDevice, startTestRuntime, type TestRuntime } from '../../runtime/testing.ts';
import { alertAudit } from '../../storage/alert-audit.ts';
import { listAlerts } from '../../storage/alert-queries.ts';

const T0 = Date.UTC(2024, 4, 1, 9, 0, 0);

describe.each(['sqlite', 'mysql'] as const)('heart-rate alerts end to end on %s', (backend) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime(backend);
  });
  afterAll(async () => {
    await rt?.stop();
  });

  const post = (id: string, fromSecond: number, bpms: number[]): Promise<number> =>
    postAsDevice(rt, {
      id,
      type: EVENT_TYPES.heartRateSample,
      time: new Date(T0 + fromSecond * 1000).toISOString(),
      data: {
        source: 'e2e',
        samples: bpms.map((bpm, i) => ({ time: new Date(T0 + (fromSecond + i) * 1000).toISOString(), bpm })),
      },
    });

  it('stores one tachycardia alert, raised then its condition ended, even when the device sends twice', async () => {
    const high = new Array<number>(12).fill(150);
    expect(await post('hr-1', 0, high)).toBe(202);
    expect(await post('hr-1', 0, high)).toBe(202); // the device retried: same event again
    await rt.idle();
    const raised = await listAlerts(rt.db, { patientId: rt.device.patientId, limit: 10 });
    expect(raised.total).toBe(1);
    expect(raised.items[0]).toMatchObject({
      alertId: `hr-${rt.device.patientId}-${rt.device.deviceId}-tachycardia-${T0}`,
      kind: 'tachycardia',
      category: 'patient',
      status: 'raised',
      raisedAt: T0 + 10_000,
      raisedBy: '/functions/heart-rate-monitor',
    });
    expect(await post('hr-2', 12, new Array<number>(11).fill(80))).toBe(202);
    await rt.idle();
    const after = await listAlerts(rt.db, { patientId: rt.device.patientId, limit: 10 });
    // latched until acknowledged, the condition's end recorded
    expect(after.items.map((a) => [a.kind, a.status, a.conditionActive, a.conditionEndedAt])).toEqual([
      ['tachycardia', 'raised', false, T0 + 22_000],
    ]);
    const trail = await alertAudit(rt.db, after.items[0]!.alertId);
    expect(trail.map((e) => e.action)).toEqual(['raised', 'condition-ended']);
  });
});
