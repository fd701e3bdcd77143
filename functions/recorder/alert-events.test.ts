import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { alertAudit } from '../../storage/alert-audit.ts';
import { acknowledgeAlert, clearAlert } from '../../storage/alert-lifecycle.ts';
import { getAlert, InvalidCursorError, listAlerts } from '../../storage/alert-queries.ts';
import { AlertTransitionError } from '../../storage/alerts-store.ts';
import type { Db } from '../../storage/db.ts';
import { testBackends } from '../../storage/testing.ts';
import { applyAlertEvent } from './alert-events.ts';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

function raised(
  alertId: string,
  o: {
    patientId?: string;
    kind?: string;
    severity?: string;
    priority?: string;
    at?: number;
    id?: string;
    deviceId?: string;
  } = {},
): VigilEvent {
  const technical = ['device-silent', 'eeg-flatline', 'eeg-clipping', 'hr-implausible'].includes(
    o.kind ?? '',
  );
  return {
    specversion: '1.0',
    id: o.id ?? `${alertId}.raised`,
    source: technical ? '/functions/technical-alarms' : '/functions/heart-rate-monitor',
    type: EVENT_TYPES.alertRaised,
    subject: o.patientId ?? 'p1',
    data: {
      alertId,
      patientId: o.patientId ?? 'p1',
      kind: o.kind ?? 'tachycardia',
      category: technical ? 'technical' : 'patient',
      severity: o.severity ?? 'major',
      ...(o.priority ? { priority: o.priority } : {}),
      evidence: o.deviceId ? { bpm: 150, deviceId: o.deviceId } : { bpm: 150 },
      raisedAt: iso(o.at ?? T0),
    },
  };
}

function cleared(alertId: string, o: { patientId?: string; kind?: string; at?: number } = {}): VigilEvent {
  return {
    specversion: '1.0',
    id: `${alertId}.cleared`,
    source: '/functions/heart-rate-monitor',
    type: EVENT_TYPES.alertCleared,
    subject: o.patientId ?? 'p1',
    data: {
      alertId,
      patientId: o.patientId ?? 'p1',
      kind: o.kind ?? 'tachycardia',
      by: 'heart-rate-monitor',
      at: iso(o.at ?? T0 + 60_000),
      reason: 'back in range',
    },
  };
}

describe.each(testBackends)('alerts store on $name', (backend) => {
  let db: Db;
  beforeAll(async () => {
    db = await backend.open();
  });
  afterAll(async () => {
    await db.close();
  });

  it('raises once per event, however often the event is delivered', async () => {
    const ev = raised('a-dup', { patientId: 'dup' });
    await applyAlertEvent(db, ev);
    await applyAlertEvent(db, ev);
    await applyAlertEvent(db, structuredClone(ev));
    const page = await listAlerts(db, { patientId: 'dup', limit: 10 });
    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({
      alertId: 'a-dup',
      status: 'raised',
      severity: 'major',
      category: 'patient',
      kind: 'tachycardia',
      raisedAt: T0,
      raisedBy: '/functions/heart-rate-monitor',
      evidence: { bpm: 150 },
    });
    const trail = await alertAudit(db, 'a-dup');
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ action: 'raised', fromStatus: null, toStatus: 'raised' });
  });

  it('applies inside an outer transaction (the recorder commits its batch in one)', async () => {
    await db.tx(async (tx) => {
      await applyAlertEvent(tx, raised('a-tx', { patientId: 'tx' }));
      await applyAlertEvent(tx, cleared('a-tx', { patientId: 'tx' }));
    });
    expect(await getAlert(db, 'a-tx')).toMatchObject({ status: 'raised', conditionActive: false });
  });

  it('merges a second raise for the same open (patient, kind) and audits it', async () => {
    await applyAlertEvent(db, raised('a-first', { patientId: 'merge' }));
    await applyAlertEvent(db, raised('a-second', { patientId: 'merge', severity: 'critical' }));
    await applyAlertEvent(db, raised('a-other-kind', { patientId: 'merge', kind: 'bradycardia' }));
    const open = await listAlerts(db, { patientId: 'merge', status: 'open', limit: 10 });
    expect(open.items.map((a) => a.alertId).sort()).toEqual(['a-first', 'a-other-kind']);
    expect(await getAlert(db, 'a-second')).toBeUndefined();
    expect((await getAlert(db, 'a-first'))?.mergedCount).toBe(1);
    const trail = await alertAudit(db, 'a-first');
    expect(trail.map((e) => e.action)).toEqual(['raised', 'merged']);
    expect(trail[1]?.note).toContain('a-second');
  });

  it('keeps one open alert when replicas raise different alerts for the same slot at once', async () => {
    const events = Array.from({ length: 6 }, (_, i) =>
      raised(`a-race-${i}`, { patientId: 'race', at: T0 + i }),
    );
    await Promise.all(events.map((e) => applyAlertEvent(db, e)));
    const open = await listAlerts(db, { patientId: 'race', status: 'open', limit: 10 });
    expect(open.total).toBe(1);
    expect(open.items[0]?.mergedCount).toBe(5);
  });

  it('walks raised -> acknowledged -> cleared with an audit row per step', async () => {
    await applyAlertEvent(db, raised('a-life', { patientId: 'life' }));
    const acked = await acknowledgeAlert(db, {
      alertId: 'a-life',
      by: 'dr.house',
      note: 'seen',
      at: T0 + 1000,
    });
    expect(acked).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'dr.house',
      acknowledgedAt: T0 + 1000,
      ackNote: 'seen',
    });
    const done = await clearAlert(db, {
      alertId: 'a-life',
      by: 'dr.house',
      reason: 'resolved',
      at: T0 + 2000,
    });
    expect(done).toMatchObject({ status: 'cleared', clearedBy: 'dr.house', clearedAt: T0 + 2000 });
    const trail = await alertAudit(db, 'a-life');
    expect(trail.map((e) => [e.action, e.actor, e.fromStatus, e.toStatus, e.note])).toEqual([
      ['raised', '/functions/heart-rate-monitor', null, 'raised', 'medium priority tachycardia (major)'],
      ['acknowledged', 'dr.house', 'raised', 'acknowledged', 'seen'],
      ['cleared', 'dr.house', 'acknowledged', 'cleared', 'resolved'],
    ]);
    // The slot is free again: the next episode opens a new alert.
    await applyAlertEvent(db, raised('a-life-2', { patientId: 'life', at: T0 + 5000 }));
    expect((await getAlert(db, 'a-life-2'))?.status).toBe('raised');
  });

  it('latches a physiological alarm: its condition ends, it stays open until acknowledged', async () => {
    await applyAlertEvent(db, raised('a-latch', { patientId: 'latch' }));
    await applyAlertEvent(db, cleared('a-latch', { patientId: 'latch' }));
    expect(await getAlert(db, 'a-latch')).toMatchObject({
      status: 'raised',
      conditionActive: false,
      conditionEndedAt: T0 + 60_000,
      acknowledgedAt: null,
    });
    const open = await listAlerts(db, { patientId: 'latch', status: 'open', limit: 5 });
    expect(open.items.map((a) => a.alertId)).toEqual(['a-latch']);
    // a new episode of the same kind while the old one waits for acknowledgement is a new alert
    await applyAlertEvent(db, raised('a-latch-2', { patientId: 'latch', at: T0 + 90_000 }));
    expect((await getAlert(db, 'a-latch-2'))?.conditionActive).toBe(true);
    const acked = await acknowledgeAlert(db, { alertId: 'a-latch', by: 'nurse', at: T0 + 120_000 });
    expect(acked).toMatchObject({ status: 'cleared', acknowledgedAt: T0 + 120_000, clearedAt: T0 + 120_000 });
    expect((await alertAudit(db, 'a-latch')).map((e) => e.action)).toEqual([
      'raised',
      'condition-ended',
      'acknowledged',
      'cleared',
    ]);
    const still = await listAlerts(db, { patientId: 'latch', status: 'open', limit: 5 });
    expect(still.items.map((a) => a.alertId)).toEqual(['a-latch-2']);
  });

  it('an alarm acknowledged while its condition holds stays open until the condition ends', async () => {
    await applyAlertEvent(db, raised('a-ack-first', { patientId: 'ackfirst' }));
    expect(await acknowledgeAlert(db, { alertId: 'a-ack-first', by: 'nurse', at: T0 + 5000 })).toMatchObject({
      status: 'acknowledged',
      conditionActive: true,
    });
    expect((await listAlerts(db, { patientId: 'ackfirst', status: 'open', limit: 5 })).total).toBe(1);
    await applyAlertEvent(db, cleared('a-ack-first', { patientId: 'ackfirst' }));
    expect(await getAlert(db, 'a-ack-first')).toMatchObject({
      status: 'cleared',
      conditionActive: false,
      clearedBy: 'heart-rate-monitor',
      clearReason: 'back in range',
    });
    expect((await alertAudit(db, 'a-ack-first')).map((e) => e.action)).toEqual([
      'raised',
      'acknowledged',
      'cleared',
    ]);
  });

  it('a technical alarm does not latch: it ends with its condition', async () => {
    await applyAlertEvent(db, raised('a-tech', { patientId: 'tech', kind: 'device-silent', deviceId: 'w1' }));
    await applyAlertEvent(db, cleared('a-tech', { patientId: 'tech', kind: 'device-silent' }));
    expect(await getAlert(db, 'a-tech')).toMatchObject({ status: 'cleared', conditionActive: false });
  });

  it("keeps technical alarms per device: one device's alarm ending leaves another's open", async () => {
    await applyAlertEvent(db, raised('a-w1', { patientId: 'two', kind: 'device-silent', deviceId: 'w1' }));
    await applyAlertEvent(db, raised('a-w2', { patientId: 'two', kind: 'device-silent', deviceId: 'w2' }));
    await applyAlertEvent(db, cleared('a-w1', { patientId: 'two', kind: 'device-silent' }));
    const open = await listAlerts(db, { patientId: 'two', status: 'open', limit: 5 });
    expect(open.items.map((a) => a.alertId)).toEqual(['a-w2']);
  });

  it('lists by priority, then newest first', async () => {
    await applyAlertEvent(db, raised('a-p-seizure', { patientId: 'prio', kind: 'seizure', at: T0 }));
    await applyAlertEvent(
      db,
      raised('a-p-silent', { patientId: 'prio', kind: 'device-silent', deviceId: 'w', at: T0 + 1000 }),
    );
    await applyAlertEvent(db, raised('a-p-clip', { patientId: 'prio', kind: 'eeg-clipping', at: T0 + 3000 }));
    await applyAlertEvent(
      db,
      raised('a-p-tachy', { patientId: 'prio', priority: 'high', deviceId: 'x', at: T0 + 2000 }),
    );
    const page = await listAlerts(db, { patientId: 'prio', status: 'open', limit: 10 });
    expect(page.items.map((a) => [a.alertId, a.priority])).toEqual([
      ['a-p-tachy', 'high'],
      ['a-p-seizure', 'high'],
      ['a-p-silent', 'medium'],
      ['a-p-clip', 'low'],
    ]);
  });

  it('rejects illegal transitions with a typed error and leaves no audit row', async () => {
    await applyAlertEvent(db, raised('a-bad', { patientId: 'bad' }));
    await acknowledgeAlert(db, { alertId: 'a-bad', by: 'u1', at: T0 });
    const again = await acknowledgeAlert(db, { alertId: 'a-bad', by: 'u2', at: T0 }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(AlertTransitionError);
    expect(again).toMatchObject({ code: 'ALREADY_ACKNOWLEDGED', httpStatus: 409, from: 'acknowledged' });
    await clearAlert(db, { alertId: 'a-bad', by: 'u1', reason: 'done', at: T0 });
    await expect(
      clearAlert(db, { alertId: 'a-bad', by: 'u1', reason: 'again', at: T0 }),
    ).rejects.toMatchObject({
      code: 'ALREADY_CLEARED',
      httpStatus: 409,
    });
    await expect(acknowledgeAlert(db, { alertId: 'a-bad', by: 'u1', at: T0 })).rejects.toMatchObject({
      code: 'ALREADY_CLEARED',
    });
    await expect(acknowledgeAlert(db, { alertId: 'nope', by: 'u1', at: T0 })).rejects.toMatchObject({
      code: 'ALERT_NOT_FOUND',
      httpStatus: 404,
    });
    expect((await alertAudit(db, 'a-bad')).map((e) => e.action)).toEqual([
      'raised',
      'acknowledged',
      'cleared',
    ]);
  });

  it('audits and ignores an illegal step that arrives as an event instead of throwing', async () => {
    await applyAlertEvent(db, raised('a-ev', { patientId: 'ev' }));
    const ack = (id: string): VigilEvent => ({
      specversion: '1.0',
      id,
      source: '/dashboard',
      type: EVENT_TYPES.alertAcknowledged,
      data: { alertId: 'a-ev', by: 'nurse', at: iso(T0 + 10), note: '' },
    });
    await applyAlertEvent(db, ack('ack-1'));
    await applyAlertEvent(db, ack('ack-2'));
    await applyAlertEvent(db, ack('ack-2'));
    const trail = await alertAudit(db, 'a-ev');
    expect(trail.map((e) => e.action)).toEqual(['raised', 'acknowledged', 'ignored']);
    expect(trail[2]?.note).toContain('ALREADY_ACKNOWLEDGED');
  });

  it('when a clear overtakes its raise: the condition has ended, the physiological alarm still latches', async () => {
    await applyAlertEvent(db, cleared('a-late', { patientId: 'late' }));
    await applyAlertEvent(db, raised('a-late', { patientId: 'late', severity: 'critical' }));
    const a = await getAlert(db, 'a-late');
    expect(a).toMatchObject({
      status: 'raised',
      conditionActive: false,
      severity: 'critical',
      raisedAt: T0,
      evidence: { bpm: 150 },
    });
    expect((await listAlerts(db, { patientId: 'late', status: 'open', limit: 5 })).total).toBe(1);
    expect((await alertAudit(db, 'a-late')).map((e) => e.action)).toEqual(['condition-ended', 'raised-late']);
    // a technical alarm overtaken by its clear stays cleared
    await applyAlertEvent(db, cleared('a-late-tech', { patientId: 'late', kind: 'device-silent' }));
    await applyAlertEvent(db, raised('a-late-tech', { patientId: 'late', kind: 'device-silent' }));
    expect((await getAlert(db, 'a-late-tech'))?.status).toBe('cleared');
  });

  it('lists with filters, a stable cursor and a total', async () => {
    for (let i = 0; i < 5; i++)
      await applyAlertEvent(
        db,
        raised(`a-list-${i}`, {
          patientId: `list${i}`,
          at: T0 + (i % 3) * 1000,
          severity: i % 2 ? 'minor' : 'major',
        }),
      );
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listAlerts(db, { kind: 'tachycardia', category: 'patient', limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.filter((a) => a.alertId.startsWith('a-list-')).map((a) => a.alertId));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 50);
    expect(seen.sort()).toEqual(['a-list-0', 'a-list-1', 'a-list-2', 'a-list-3', 'a-list-4']);
    const minor = await listAlerts(db, { severity: 'minor', patientId: 'list1', limit: 10 });
    expect(minor.total).toBe(1);
    const ordered = await listAlerts(db, { limit: 500 });
    const rank = { high: 0, medium: 1, low: 2 };
    const keys = ordered.items.map((a) => [rank[a.priority], a.raisedAt, a.alertId] as const);
    const sorted = [...keys].sort((x, y) => x[0] - y[0] || y[1] - x[1] || (x[2] < y[2] ? 1 : -1));
    expect(keys).toEqual(sorted);
    await expect(listAlerts(db, { limit: 2, cursor: 'garbage' })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});
