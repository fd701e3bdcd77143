import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectPath } from '../../config/project-root.ts';
import { alertEscalatedEvent } from '../../eventing/alert-events.ts';
import { alertEscalatedData, EVENT_TYPES } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type { FunctionContext } from '../../eventing/subscriber.ts';
import { alertAudit } from '../../storage/alert-audit.ts';
import { acknowledgeAlert } from '../../storage/alert-lifecycle.ts';
import { getAlert } from '../../storage/alert-queries.ts';
import type { Db } from '../../storage/db.ts';
import { testBackends } from '../../storage/testing.ts';
import { applyAlertEvent } from '../recorder/alert-events.ts';
import { createTechnicalAlarms } from './index.ts';

const T0 = Date.UTC(2024, 4, 1, 8, 0, 0);

function raised(alertId: string, kind: string, priority: string): VigilEvent {
  return {
    specversion: '1.0',
    id: `${alertId}.raised`,
    source: '/functions/seizure-detector',
    type: EVENT_TYPES.alertRaised,
    subject: 'pe',
    data: {
      alertId,
      patientId: 'pe',
      kind,
      category: 'patient',
      severity: 'critical',
      priority,
      evidence: { deviceId: alertId },
      raisedAt: new Date(T0).toISOString(),
    },
  };
}

describe.each(testBackends)('escalation on $name', (backend) => {
  let db: Db;
  let now = T0;
  let ctx: FunctionContext;
  let n = 0;
  const fn = createTechnicalAlarms({ deviceSilentSeconds: 1e9, escalationDelaySeconds: 120 });
  const tick = async () => {
    const out = await fn.handle(
      {
        specversion: '1.0',
        id: `tick-${n++}`,
        source: '/runtime/technical-check',
        type: EVENT_TYPES.technicalCheck,
        data: {},
      },
      ctx,
    );
    for (const r of out) await applyAlertEvent(db, r, now);
    return out.filter((e) => e.type === EVENT_TYPES.alertEscalated);
  };
  beforeAll(async () => {
    db = await backend.open();
    ctx = { db, now: () => now };
    for (const e of [
      raised('sz-1', 'seizure', 'high'),
      raised('sz-acked', 'seizure', 'high'),
      raised('tachy-medium', 'tachycardia', 'medium'),
    ])
      await applyAlertEvent(db, e, T0);
    await acknowledgeAlert(db, { alertId: 'sz-acked', by: 'nurse', at: T0 + 60_000 });
  });
  afterAll(async () => {
    await db.close();
  });

  it('escalates a high alarm unacknowledged after the delay, once, and marks it escalated', async () => {
    now = T0 + 119_000;
    expect(await tick()).toEqual([]);
    now = T0 + 121_000;
    const escalated = await tick();
    expect(escalated.map((e) => [e.id, e.source])).toEqual([
      ['sz-1.escalated', '/functions/technical-alarms'],
    ]);
    expect(alertEscalatedData.parse(escalated[0]!.data)).toMatchObject({
      alertId: 'sz-1',
      priority: 'high',
      unacknowledgedSeconds: 121,
    });
    expect(await getAlert(db, 'sz-1')).toMatchObject({ status: 'raised', escalatedAt: T0 + 121_000 });
    expect((await alertAudit(db, 'sz-1')).map((e) => e.action)).toEqual(['raised', 'escalated']);
    now = T0 + 200_000;
    expect(await tick()).toEqual([]);
    expect((await getAlert(db, 'sz-acked'))?.escalatedAt).toBeNull();
    expect((await getAlert(db, 'tachy-medium'))?.escalatedAt).toBeNull();
  });
});

describe('routing escalations to a pager', () => {
  it('the Trigger in docs/alarm-escalation.md selects org.vigil.alert.escalated and nothing else', () => {
    const doc = readFileSync(projectPath('docs/alarm-escalation.md'), 'utf8');
    const t = parse(/```yaml\n([\s\S]*?)```/.exec(doc)![1]!);
    expect(t.kind).toBe('Trigger');
    expect(t.spec.broker).toBe('default');
    expect(t.spec.filter.attributes).toEqual({ type: EVENT_TYPES.alertEscalated });
    const ev = alertEscalatedEvent('/functions/technical-alarms', {
      alertId: 'a',
      patientId: 'p',
      kind: 'seizure',
      priority: 'high',
      raisedAt: new Date(T0).toISOString(),
      escalatedAt: new Date(T0 + 120_000).toISOString(),
      unacknowledgedSeconds: 120,
    });
    expect(ev.type).toBe(t.spec.filter.attributes.type);
    expect(alertEscalatedData.safeParse(ev.data).success).toBe(true);
  });
});
