// Alert events as changes of the store: alert.raised / .acknowledged / .cleared, applied by the recorder
// inside its transaction, idempotent on the event's source + id. Delivery order is not guaranteed, so a
// clear may arrive before its raise, and a second raise for a slot whose condition is active is merged.
import { audit } from './alert-audit.ts';
import {
  acknowledgeIn,
  clearByHandIn,
  endConditionIn,
  escalateIn,
  type TransitionInput,
  transitionOrIgnore,
} from './alert-lifecycle.ts';
import { DEFAULT_PRIORITIES, TECHNICAL_KINDS } from './alert-vocabulary.ts';
import {
  type Alert,
  type AlertKind,
  type AlertStatus,
  insertIgnore,
  lockSuffix,
  openSlot,
  priorityRank,
  selectAlert,
} from './alerts-store.ts';
import type { Db } from './db.ts';

/** What an alert.raised event says, as the store needs it: the alert's own fields, raised at an ISO time. */
export interface RaiseInput
  extends Pick<Alert, 'alertId' | 'patientId' | 'kind' | 'category' | 'severity' | 'priority' | 'evidence'> {
  raisedAt: string;
}

/** What an alert.cleared event says. */
export interface ClearInput {
  alertId: string;
  patientId: string;
  kind: AlertKind;
  by: string;
  at: string;
  reason: string;
}

/** What an alert.acknowledged event says. */
export interface AcknowledgeInput {
  alertId: string;
  by: string;
  at: string;
  note: string;
}

/** What an alert.escalated event says. */
export interface EscalateInput {
  alertId: string;
  escalatedAt: string;
  unacknowledgedSeconds: number;
}

interface Applied {
  actor: string;
  eventKey: string;
  now: number;
}

async function applyRaise(db: Db, d: RaiseInput, e: Applied): Promise<void> {
  const { actor, eventKey, now } = e;
  const at = Date.parse(d.raisedAt);
  const slot = openSlot(d.patientId, d.kind, d.evidence);
  const evidence = JSON.stringify(d.evidence);
  const rank = priorityRank(d.priority);
  // Retries: the slot's holder may end its condition between our failed insert and the look-up.
  for (let attempt = 0; attempt < 3; attempt++) {
    const ins = await db.run(
      `${insertIgnore(db)} INTO alerts (alert_id, patient_id, kind, category, severity, priority, priority_rank,
       status, condition_active, evidence, raised_by, raised_at, open_slot, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'raised', 1, ?, ?, ?, ?, ?)`,
      [
        d.alertId,
        d.patientId,
        d.kind,
        d.category,
        d.severity,
        d.priority,
        rank,
        evidence,
        actor,
        at,
        slot,
        now,
      ],
    );
    if (ins.changes === 1) {
      await audit(db, {
        alertId: d.alertId,
        action: 'raised',
        actor,
        at,
        from: null,
        to: 'raised',
        note: `${d.priority} priority ${d.kind} (${d.severity})`,
        eventKey,
      });
      return;
    }
    const same = await selectAlert(db, d.alertId, true);
    if (same) {
      if (Number(same.placeholder) === 1) {
        // The clear overtook the raise: keep what the clear did, fill in what only the raise carries.
        await db.run(
          `UPDATE alerts SET category = ?, severity = ?, priority = ?, priority_rank = ?, evidence = ?, raised_by = ?,
           raised_at = ?, placeholder = 0, updated_at = ? WHERE alert_id = ?`,
          [d.category, d.severity, d.priority, rank, evidence, actor, at, now, d.alertId],
        );
        await audit(db, {
          alertId: d.alertId,
          action: 'raised-late',
          actor,
          at,
          from: same.status as AlertStatus,
          to: same.status as AlertStatus,
          note: `raise arrived after the clear (${d.priority} priority ${d.kind})`,
          eventKey,
        });
      }
      return; // the same alert raised again by another event: nothing changes
    }
    const holder = await db.get<{ alert_id: string; status: AlertStatus }>(
      `SELECT alert_id, status FROM alerts WHERE open_slot = ?${lockSuffix(db)}`,
      [slot],
    );
    if (!holder) continue;
    await db.run('UPDATE alerts SET merged_count = merged_count + 1, updated_at = ? WHERE alert_id = ?', [
      now,
      holder.alert_id,
    ]);
    await audit(db, {
      alertId: holder.alert_id,
      action: 'merged',
      actor,
      at,
      from: holder.status,
      to: holder.status,
      note: `raise ${d.alertId} (${d.priority}) merged into this open ${d.kind} alert`,
      eventKey,
    });
    return;
  }
  throw new Error(`alert ${d.alertId}: open slot ${slot} kept changing`);
}

async function applyClear(db: Db, d: ClearInput, e: Applied): Promise<void> {
  const at = Date.parse(d.at);
  const t: TransitionInput = {
    alertId: d.alertId,
    by: d.by,
    at,
    text: d.reason,
    now: e.now,
    eventKey: e.eventKey,
  };
  const row = await selectAlert(db, d.alertId, true);
  if (row) {
    // A rule ends the condition; anyone else (another dashboard's clear) clears by hand.
    const byRule = e.actor.startsWith('/functions/');
    await transitionOrIgnore(db, byRule ? endConditionIn : clearByHandIn, 'cleared', t);
    return;
  }
  // The clear overtook its raise: remember it, so the late raise cannot open a stale alert. A
  // physiological alarm still latches: it waits, open, for a person to acknowledge it.
  const technical = TECHNICAL_KINDS.has(d.kind);
  const status: AlertStatus = technical ? 'cleared' : 'raised';
  await db.run(
    `INSERT INTO alerts (alert_id, patient_id, kind, category, severity, priority, priority_rank, status,
     condition_active, condition_ended_at, evidence, raised_by, raised_at, cleared_by, cleared_at, clear_reason,
     placeholder, updated_at)
     VALUES (?, ?, ?, ?, 'warning', ?, ?, ?, 0, ?, '{}', ?, ?, ?, ?, ?, 1, ?)`,
    [
      d.alertId,
      d.patientId,
      d.kind,
      technical ? 'technical' : 'patient',
      DEFAULT_PRIORITIES[d.kind],
      priorityRank(DEFAULT_PRIORITIES[d.kind]),
      status,
      at,
      e.actor,
      at,
      technical ? d.by : null,
      technical ? at : null,
      technical ? d.reason : null,
      e.now,
    ],
  );
  await audit(db, {
    alertId: d.alertId,
    action: technical ? 'cleared' : 'condition-ended',
    actor: d.by,
    at,
    from: null,
    to: status,
    note: `${d.reason} (clear arrived before the raise)`,
    eventKey: e.eventKey,
  });
}

/** One alert event as the store applies it (its data checked against the contract at the door). */
export type AlertChange =
  | { kind: 'raise'; data: RaiseInput }
  | { kind: 'acknowledge'; data: AcknowledgeInput }
  | { kind: 'clear'; data: ClearInput }
  | { kind: 'escalate'; data: EscalateInput };

/**
 * Applies one alert event's change. Idempotent on its `eventKey` (the event's source + id): the same
 * event twice changes nothing the second time. Runs in the caller's transaction when given one
 * (Db.tx joins the outer transaction). `now` is the caller's clock.
 */
export async function applyAlertChange(db: Db, change: AlertChange, event: Applied): Promise<void> {
  const { eventKey, actor, now } = event;
  const alertId = change.data.alertId;
  await db.tx(async (tx) => {
    const fresh = await tx.run(
      `${insertIgnore(tx)} INTO alert_events (event_key, alert_id, applied_at) VALUES (?, ?, ?)`,
      [eventKey, alertId, now],
    );
    if (fresh.changes === 0) return;
    if (change.kind === 'raise') {
      await applyRaise(tx, change.data, event);
    } else if (change.kind === 'acknowledge') {
      const d = change.data;
      await transitionOrIgnore(tx, acknowledgeIn, 'acknowledged', {
        alertId: d.alertId,
        by: d.by,
        at: Date.parse(d.at),
        text: d.note,
        now,
        eventKey,
      });
    } else if (change.kind === 'escalate') {
      const d = change.data;
      await transitionOrIgnore(tx, escalateIn, 'raised', {
        alertId: d.alertId,
        by: actor,
        at: Date.parse(d.escalatedAt),
        text: `unacknowledged for ${Math.round(d.unacknowledgedSeconds)} s`,
        now,
        eventKey,
      });
    } else {
      await applyClear(tx, change.data, event);
    }
  });
}
