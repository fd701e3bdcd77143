// The alert record: what an alert is, its row, and the helpers every job on it shares. The jobs live
// beside it: alert-lifecycle.ts (acknowledge, clear by hand, condition ended), alert-changes.ts (alert
// events applied by the recorder), alert-queries.ts (lists, one alert), alert-audit.ts (the trail).
//
// Lifecycle (IEC 60601-1-8 latching): raised -> acknowledged -> cleared. The alarm *condition* is tracked
// apart from the status: a physiological alarm whose condition has ended stays open (latched) until a
// person acknowledges it; a technical one ends with its condition. An alert leaves the open list only
// when its condition has ended and it has been acknowledged, or when a person clears it with a reason.
// At most one alert per (patient, kind, device) has an active condition: the UNIQUE `open_slot` column
// enforces it in the database; it is freed when the condition ends, so a new episode is a new alert.
import {
  type AlertCategory,
  type AlertKind,
  PRIORITIES,
  type Priority,
  type Severity,
} from './alert-vocabulary.ts';
import type { Db } from './db.ts';

export type AlertStatus = 'raised' | 'acknowledged' | 'cleared';
export type { AlertCategory, AlertKind, Priority, Severity };

export interface Alert {
  alertId: string;
  patientId: string;
  kind: AlertKind;
  category: AlertCategory;
  severity: Severity;
  /** IEC 60601-1-8 alarm priority: what orders the inbox and the ward, and what the browser sounds. */
  priority: Priority;
  status: AlertStatus;
  /** Whether the alarm condition still holds (false once the rule saw it end). */
  conditionActive: boolean;
  conditionEndedAt: number | null;
  evidence: Record<string, unknown>;
  /** Source URI of whoever raised it (e.g. `/functions/heart-rate-monitor`). */
  raisedBy: string;
  raisedAt: number;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  ackNote: string | null;
  clearedBy: string | null;
  clearedAt: number | null;
  clearReason: string | null;
  /** When a high-priority alarm went unacknowledged past the escalation delay. */
  escalatedAt: number | null;
  /** How many further raises for the same open (patient, kind, device) were merged into this alert. */
  mergedCount: number;
  updatedAt: number;
}

export type AlertErrorCode = 'ALERT_NOT_FOUND' | 'ALREADY_ACKNOWLEDGED' | 'ALREADY_CLEARED';

/** An illegal lifecycle step. `httpStatus` is what the dashboard answers (problem+json). */
export class AlertTransitionError extends Error {
  readonly httpStatus: 404 | 409;
  constructor(
    readonly code: AlertErrorCode,
    readonly alertId: string,
    readonly from: AlertStatus | null,
    readonly to: AlertStatus,
  ) {
    super(
      code === 'ALERT_NOT_FOUND'
        ? `alert ${alertId} not found`
        : `alert ${alertId} cannot go from ${from} to ${to} (${code})`,
    );
    this.name = 'AlertTransitionError';
    this.httpStatus = code === 'ALERT_NOT_FOUND' ? 404 : 409;
  }
}

export const ALERT_COLUMNS = `alert_id, patient_id, kind, category, severity, priority, status, condition_active,
  condition_ended_at, evidence, raised_by, raised_at, acknowledged_by, acknowledged_at, ack_note, cleared_by,
  cleared_at, clear_reason, escalated_at, merged_count, updated_at`;

type Num = number | string;

export interface AlertRow {
  alert_id: string;
  patient_id: string;
  kind: string;
  category: string;
  severity: string;
  priority: string;
  status: string;
  condition_active: Num;
  condition_ended_at: Num | null;
  evidence: string;
  raised_by: string;
  raised_at: Num;
  acknowledged_by: string | null;
  acknowledged_at: Num | null;
  ack_note: string | null;
  cleared_by: string | null;
  cleared_at: Num | null;
  clear_reason: string | null;
  escalated_at: Num | null;
  merged_count: Num;
  updated_at: Num;
  placeholder?: Num;
}

const num = (v: Num | null): number | null => (v === null ? null : Number(v));

export function toAlert(r: AlertRow): Alert {
  return {
    alertId: r.alert_id,
    patientId: r.patient_id,
    kind: r.kind as AlertKind,
    category: r.category as AlertCategory,
    severity: r.severity as Severity,
    priority: r.priority as Priority,
    status: r.status as AlertStatus,
    conditionActive: Number(r.condition_active) === 1,
    conditionEndedAt: num(r.condition_ended_at),
    evidence: JSON.parse(r.evidence) as Record<string, unknown>,
    raisedBy: r.raised_by,
    raisedAt: Number(r.raised_at),
    acknowledgedBy: r.acknowledged_by,
    acknowledgedAt: num(r.acknowledged_at),
    ackNote: r.ack_note,
    clearedBy: r.cleared_by,
    clearedAt: num(r.cleared_at),
    clearReason: r.clear_reason,
    escalatedAt: num(r.escalated_at),
    mergedCount: Number(r.merged_count),
    updatedAt: Number(r.updated_at),
  };
}

/** Sort key of a priority: high first. */
export function priorityRank(p: Priority): number {
  return PRIORITIES.indexOf(p);
}

/** MySQL needs a locking read to see rows committed after the transaction's snapshot; SQLite's writer lock covers it. */
export function lockSuffix(db: Db): string {
  return db.dialect === 'mysql' ? ' FOR UPDATE' : '';
}

export function insertIgnore(db: Db): string {
  return db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
}

/**
 * The slot an alert with an active condition holds: one per (patient, kind, device), so one device's
 * alarm never merges into, or ends with, another device's.
 */
export function openSlot(patientId: string, kind: string, evidence: Record<string, unknown>): string {
  const device = typeof evidence.deviceId === 'string' ? evidence.deviceId : '-';
  return `${patientId}/${kind}/${device}`;
}

export async function selectAlert(db: Db, alertId: string, lock: boolean): Promise<AlertRow | undefined> {
  return db.get<AlertRow>(
    `SELECT ${ALERT_COLUMNS}, placeholder FROM alerts WHERE alert_id = ?${lock ? lockSuffix(db) : ''}`,
    [alertId],
  );
}
