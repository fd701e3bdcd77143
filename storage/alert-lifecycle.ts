// The alert lifecycle's transitions, shared by clinician actions and alert events: acknowledge, clear by
// hand, and the alarm condition ending (latching: see alerts-store.ts). Every transition is guarded by
// the status it read under a lock, audited, and stamped with the caller's clock, never the store's own.
import { audit } from './alert-audit.ts';
import {
  type Alert,
  type AlertRow,
  type AlertStatus,
  AlertTransitionError,
  selectAlert,
  toAlert,
} from './alerts-store.ts';
import type { Db, SqlValue } from './db.ts';

export interface TransitionInput {
  alertId: string;
  by: string;
  /** When it happened (the event's time, or the clinician's click). */
  at: number;
  text: string;
  /** The injected clock: what `updated_at` records. */
  now: number;
  eventKey?: string | undefined;
}

async function lockedRow(db: Db, alertId: string, to: AlertStatus): Promise<AlertRow> {
  const row = await selectAlert(db, alertId, true);
  if (!row) throw new AlertTransitionError('ALERT_NOT_FOUND', alertId, null, to);
  return row;
}

/** A guarded update of a row read under lock (MySQL) or the writer lock (SQLite): it cannot miss. */
async function update(db: Db, row: AlertRow, sets: Record<string, SqlValue>, now: number): Promise<void> {
  const cols = Object.keys(sets);
  const r = await db.run(
    `UPDATE alerts SET ${cols.map((c) => `${c} = ?`).join(', ')}, updated_at = ? WHERE alert_id = ? AND status = ?`,
    [...cols.map((c) => sets[c]!), now, row.alert_id, row.status],
  );
  if (r.changes !== 1) throw new Error(`alert ${row.alert_id} changed during its own transition`);
}

const active = (row: AlertRow) => Number(row.condition_active) === 1;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Acknowledge (raised -> acknowledged). If the condition has already ended, the alert has nothing left
 * to latch for and is cleared in the same step (both audited).
 */
export async function acknowledgeIn(db: Db, t: TransitionInput): Promise<void> {
  const row = await lockedRow(db, t.alertId, 'acknowledged');
  const from = row.status as AlertStatus;
  if (from === 'cleared') throw new AlertTransitionError('ALREADY_CLEARED', t.alertId, from, 'acknowledged');
  if (from === 'acknowledged')
    throw new AlertTransitionError('ALREADY_ACKNOWLEDGED', t.alertId, from, 'acknowledged');
  const ack = { acknowledged_by: t.by, acknowledged_at: t.at, ack_note: t.text };
  const base = { alertId: t.alertId, actor: t.by, at: t.at, eventKey: t.eventKey };
  if (active(row)) {
    await update(db, row, { status: 'acknowledged', ...ack }, t.now);
    await audit(db, { ...base, action: 'acknowledged', from, to: 'acknowledged', note: t.text });
    return;
  }
  const reason = `acknowledged after the condition ended at ${iso(Number(row.condition_ended_at))}`;
  await update(
    db,
    row,
    { status: 'cleared', ...ack, cleared_by: t.by, cleared_at: t.at, clear_reason: reason, open_slot: null },
    t.now,
  );
  await audit(db, { ...base, action: 'acknowledged', from, to: 'acknowledged', note: t.text });
  await audit(db, { ...base, action: 'cleared', from: 'acknowledged', to: 'cleared', note: reason });
}

/** Cleared by a person with a reason (raised | acknowledged -> cleared), whatever the condition. */
export async function clearByHandIn(db: Db, t: TransitionInput): Promise<void> {
  const row = await lockedRow(db, t.alertId, 'cleared');
  const from = row.status as AlertStatus;
  if (from === 'cleared') throw new AlertTransitionError('ALREADY_CLEARED', t.alertId, from, 'cleared');
  await update(
    db,
    row,
    { status: 'cleared', cleared_by: t.by, cleared_at: t.at, clear_reason: t.text, open_slot: null },
    t.now,
  );
  await audit(db, {
    alertId: t.alertId,
    action: 'cleared',
    actor: t.by,
    at: t.at,
    from,
    to: 'cleared',
    note: t.text,
    eventKey: t.eventKey,
  });
}

/**
 * The rule saw the condition end. A technical alarm, or one already acknowledged, is cleared; a
 * physiological alarm nobody has acknowledged stays open (latched) with `conditionActive: false`.
 * Either way the slot is freed, so a new episode raises a new alert.
 */
export async function endConditionIn(db: Db, t: TransitionInput): Promise<void> {
  const row = await lockedRow(db, t.alertId, 'cleared');
  const from = row.status as AlertStatus;
  if (!active(row)) throw new AlertTransitionError('ALREADY_CLEARED', t.alertId, from, 'cleared');
  const ended = { condition_active: 0, condition_ended_at: t.at, open_slot: null };
  const base = { alertId: t.alertId, actor: t.by, at: t.at, eventKey: t.eventKey };
  const latches = row.category === 'patient' && from === 'raised';
  if (from === 'cleared' || latches) {
    await update(db, row, ended, t.now);
    await audit(db, { ...base, action: 'condition-ended', from, to: from, note: t.text });
    return;
  }
  await update(
    db,
    row,
    { ...ended, status: 'cleared', cleared_by: t.by, cleared_at: t.at, clear_reason: t.text },
    t.now,
  );
  await audit(db, { ...base, action: 'cleared', from, to: 'cleared', note: t.text });
}

/**
 * A high-priority alarm went unacknowledged past the escalation delay. Only an unacknowledged one
 * escalates (an acknowledgement that crossed the escalation in flight wins), and only once.
 */
export async function escalateIn(db: Db, t: TransitionInput): Promise<void> {
  const row = await lockedRow(db, t.alertId, 'raised');
  const from = row.status as AlertStatus;
  if (from === 'cleared') throw new AlertTransitionError('ALREADY_CLEARED', t.alertId, from, 'raised');
  if (from === 'acknowledged' || row.escalated_at !== null)
    throw new AlertTransitionError('ALREADY_ACKNOWLEDGED', t.alertId, from, 'raised');
  await update(db, row, { escalated_at: t.at }, t.now);
  await audit(db, {
    alertId: t.alertId,
    action: 'escalated',
    actor: t.by,
    at: t.at,
    from,
    to: from,
    note: t.text,
    eventKey: t.eventKey,
  });
}

/** Events cannot be refused (the recorder must not retry them forever): an illegal step is audited and ignored. */
export async function transitionOrIgnore(
  db: Db,
  step: (db: Db, t: TransitionInput) => Promise<void>,
  to: AlertStatus,
  t: TransitionInput,
): Promise<void> {
  try {
    await step(db, t);
  } catch (err) {
    if (!(err instanceof AlertTransitionError)) throw err;
    await audit(db, {
      alertId: t.alertId,
      action: 'ignored',
      actor: t.by,
      at: t.at,
      from: err.from,
      to: err.from,
      note: `${to} ignored: ${err.code}`,
      eventKey: t.eventKey,
    });
  }
}

/** A clinician acknowledges an alert. */
export async function acknowledgeAlert(
  db: Db,
  a: { alertId: string; by: string; note?: string; at: number; now?: number },
): Promise<Alert> {
  return db.tx(async (tx) => {
    await acknowledgeIn(tx, {
      alertId: a.alertId,
      by: a.by,
      at: a.at,
      text: a.note ?? '',
      now: a.now ?? a.at,
    });
    return toAlert((await selectAlert(tx, a.alertId, false))!);
  });
}

/** A person clears an alert by hand, with a reason; frees its slot. */
export async function clearAlert(
  db: Db,
  a: { alertId: string; by: string; reason: string; at: number; now?: number },
): Promise<Alert> {
  return db.tx(async (tx) => {
    await clearByHandIn(tx, { alertId: a.alertId, by: a.by, at: a.at, text: a.reason, now: a.now ?? a.at });
    return toAlert((await selectAlert(tx, a.alertId, false))!);
  });
}
