// The alert audit trail: one row per change of an alert (raised, acknowledged, condition-ended, cleared,
// escalated, merged, raised-late, ignored, rejected), written in the same transaction as the change.
import type { AlertStatus } from './alerts-store.ts';
import type { Db } from './db.ts';

export interface AuditEntry {
  id: number;
  alertId: string;
  /** raised | acknowledged | condition-ended | cleared | escalated | merged | raised-late | ignored | rejected */
  action: string;
  actor: string;
  at: number;
  fromStatus: AlertStatus | null;
  toStatus: AlertStatus | null;
  note: string;
}

export async function audit(
  db: Db,
  e: {
    alertId: string;
    action: string;
    actor: string;
    at: number;
    from: AlertStatus | null;
    to: AlertStatus | null;
    note: string;
    eventKey?: string | undefined;
  },
): Promise<void> {
  await db.run(
    `INSERT INTO alert_audit (alert_id, action, actor, at, from_status, to_status, note, event_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [e.alertId, e.action, e.actor, e.at, e.from, e.to, e.note, e.eventKey ?? null],
  );
}

/** The alert's history, oldest first. */
export async function alertAudit(db: Db, alertId: string): Promise<AuditEntry[]> {
  const rows = await db.all<{
    id: number | string;
    alert_id: string;
    action: string;
    actor: string;
    at: number | string;
    from_status: string | null;
    to_status: string | null;
    note: string;
  }>(
    `SELECT id, alert_id, action, actor, at, from_status, to_status, note FROM alert_audit
     WHERE alert_id = ? ORDER BY id`,
    [alertId],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    alertId: r.alert_id,
    action: r.action,
    actor: r.actor,
    at: Number(r.at),
    fromStatus: r.from_status as AlertStatus | null,
    toStatus: r.to_status as AlertStatus | null,
    note: r.note,
  }));
}
