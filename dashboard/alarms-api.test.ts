// The alarm interfaces outside checks rely on, against real storage (SQLite and MariaDB): GET /api/alerts
// items carry alertId, kind, priority, conditionActive, acknowledgedAt and come by priority, then newest;
// POST /api/alerts/{id}/ack with an API token acknowledges; a latched alarm leaves ?status=open only once
// acknowledged; the ward lists patients by their most urgent alarm; an implausible reading never becomes
// the displayed heart rate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../eventing/contract.ts';
import type { VigilEvent } from '../eventing/event.ts';
import type { Db } from '../storage/db.ts';
import { addPatient, enrollDevice } from '../storage/patients-store.ts';
import { testBackends } from '../storage/testing.ts';
import { createDashboardApp, type DashboardApp } from './server.ts';
import { addUser, alertEvent, heartRateEvent, store } from './testing.ts';

const T0 = Date.parse('2025-03-01T09:00:00Z');

function raised(patientId: string, alertId: string, kind: string, at: number, priority?: string): VigilEvent {
  return alertEvent(patientId, alertId, at, kind, {
    ...(priority ? { priority } : {}),
    severity: 'major',
    evidence: { deviceId: `${alertId}-dev` },
  });
}

function conditionEnded(patientId: string, alertId: string, kind: string, at: number): VigilEvent {
  return {
    specversion: '1.0',
    id: `${alertId}.cleared`,
    source: '/functions/heart-rate-monitor',
    type: EVENT_TYPES.alertCleared,
    subject: patientId,
    time: new Date(at).toISOString(),
    data: {
      alertId,
      patientId,
      kind,
      by: 'heart-rate-monitor',
      at: new Date(at).toISOString(),
      reason: 'back in range',
    },
  };
}

describe.each(testBackends)('alarm API on $name', (backend) => {
  let db: Db;
  let app: DashboardApp;
  let token: string;
  beforeAll(async () => {
    db = await backend.open();
    app = createDashboardApp({ db, now: () => T0 + 3_600_000 });
    token = (await addUser(db, 'nina', 'clinician')).token;
    for (const id of ['calm', 'silent', 'tachy', 'fits']) await addPatient(db, { id, name: `Patient ${id}` });
    const dev = (await enrollDevice(db, { patientId: 'tachy', kind: 'watch' })).deviceId;
    await store(db, [
      raised('silent', 'al-silent', 'device-silent', T0 + 4000),
      raised('tachy', 'al-tachy', 'tachycardia', T0 + 3000),
      raised('fits', 'al-seizure', 'seizure', T0 + 1000, 'high'),
      raised('tachy', 'al-tachy-old', 'tachycardia', T0, 'high'),
      heartRateEvent('tachy', dev, 'hr-ok', [[T0, 140]]),
      heartRateEvent('tachy', dev, 'hr-loose', [[T0 + 1000, 320]]),
    ]);
  });
  afterAll(async () => {
    app.poller.stop();
    await db.close();
  });

  const api = (path: string, init: RequestInit = {}) =>
    app.request(path, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });

  it('lists alerts by priority, then newest, each with its priority and condition', async () => {
    const body = await (await api('/api/alerts?status=open')).json();
    expect(body.items.map((a: { alertId: string; priority: string }) => [a.alertId, a.priority])).toEqual([
      ['al-seizure', 'high'],
      ['al-tachy-old', 'high'],
      ['al-silent', 'medium'],
      ['al-tachy', 'medium'],
    ]);
    for (const a of body.items) {
      expect(Object.keys(a)).toEqual(
        expect.arrayContaining(['alertId', 'kind', 'priority', 'conditionActive']),
      );
      expect(a.acknowledgedAt).toBeNull();
      expect(a.conditionActive).toBe(true);
    }
    const mine = await (await api('/api/alerts?patient=tachy')).json();
    expect(mine.items.map((a: { alertId: string }) => a.alertId)).toEqual(['al-tachy-old', 'al-tachy']);
  });

  it('latches: condition ended, still open until acknowledged with an API token', async () => {
    await store(db, [conditionEnded('tachy', 'al-tachy', 'tachycardia', T0 + 20_000)]);
    const open = await (await api('/api/alerts?status=open&patient=tachy')).json();
    const latched = open.items.find((a: { alertId: string }) => a.alertId === 'al-tachy');
    expect(latched).toMatchObject({
      conditionActive: false,
      conditionEndedAt: new Date(T0 + 20_000).toISOString(),
    });
    const ack = await api('/api/alerts/al-tachy/ack', {
      method: 'POST',
      body: JSON.stringify({ note: 'seen' }),
    });
    expect(ack.status).toBe(200);
    const acked = await ack.json();
    expect(acked).toMatchObject({ status: 'cleared', acknowledgedBy: 'nina' });
    expect(acked.acknowledgedAt).not.toBeNull();
    expect(acked.audit.map((e: { action: string }) => e.action)).toEqual([
      'raised',
      'condition-ended',
      'acknowledged',
      'cleared',
    ]);
    const after = await (await api('/api/alerts?status=open&patient=tachy')).json();
    expect(after.items.map((a: { alertId: string }) => a.alertId)).toEqual(['al-tachy-old']);
  });

  it('clears by hand only with a reason', async () => {
    const none = await api('/api/alerts/al-silent/clear', { method: 'POST', body: '{}' });
    expect(none.status).toBe(422);
    expect((await none.json()).field).toBe('reason');
    const ok = await api('/api/alerts/al-silent/clear', {
      method: 'POST',
      body: JSON.stringify({ reason: 'device replaced' }),
    });
    expect((await ok.json()).clearReason).toBe('device replaced');
  });

  it('orders the ward by the most urgent open alarm; an implausible reading is never the current vital', async () => {
    const ward = await (await api('/api/patients')).json();
    const ids = ward.items.map((p: { id: string }) => p.id);
    expect(ids.slice(0, 2).sort()).toEqual(['fits', 'tachy']);
    expect(ids.slice(2)).toEqual(['calm', 'silent']);
    const tachy = ward.items.find((p: { id: string }) => p.id === 'tachy');
    expect(tachy.highestPriority).toBe('high');
    expect(tachy.heartRate.bpm).toBe(140);
  });
});
