// The known bug of issue #14: the alert store kept one open alert per (patient, kind), so a second
// silent device's alarm was merged into the first's and retiring the first ended both. Technical alarms
// are now kept per device: through the function and the recorder's store, on both backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../eventing/contract.ts';
import type { FunctionContext } from '../../eventing/subscriber.ts';
import { listAlerts } from '../../storage/alert-queries.ts';
import type { Db } from '../../storage/db.ts';
import { addPatient, enrollDevice, retireDevice, touchDevices } from '../../storage/patients-store.ts';
import { testBackends } from '../../storage/testing.ts';
import { applyAlertEvent } from '../recorder/alert-events.ts';
import { createTechnicalAlarms } from './index.ts';

const T0 = Date.UTC(2024, 4, 1, 8, 0, 0);

describe.each(testBackends)('device-silent per device on $name', (backend) => {
  let db: Db;
  let now = T0;
  let ctx: FunctionContext;
  let n = 0;
  const fn = createTechnicalAlarms({ deviceSilentSeconds: 60, escalationDelaySeconds: 1e9 });
  const check = async () => {
    const out = await fn.handle(
      {
        specversion: '1.0',
        id: `check-${n++}`,
        source: '/runtime/technical-check',
        type: EVENT_TYPES.technicalCheck,
        data: {},
      },
      ctx,
    );
    for (const r of out) await applyAlertEvent(db, r, now);
  };
  beforeAll(async () => {
    db = await backend.open();
    ctx = { db, now: () => now };
    await addPatient(db, { id: 'two-devices', name: 'Two Devices' });
  });
  afterAll(async () => {
    await db.close();
  });

  it("retiring one silent device ends its alarm and leaves the other device's open", async () => {
    const watch = await enrollDevice(db, { patientId: 'two-devices', kind: 'watch' });
    const eeg = await enrollDevice(db, { patientId: 'two-devices', kind: 'eeg' });
    await touchDevices(
      db,
      new Map([
        [watch.deviceId, T0],
        [eeg.deviceId, T0 + 1000],
      ]),
    );
    now = T0 + 120_000;
    await check();
    const open = async () =>
      (await listAlerts(db, { patientId: 'two-devices', status: 'open', limit: 10 })).items
        .map((a) => a.evidence.deviceId)
        .sort();
    expect(await open()).toEqual([watch.deviceId, eeg.deviceId].sort());
    await retireDevice(db, watch.deviceId, now);
    now += 15_000;
    await check();
    expect(await open()).toEqual([eeg.deviceId]);
  });
});
