// The alert lifecycle: raised -> acknowledged -> cleared (or raised -> cleared), with an audit row per change.
// Alerts arrive two ways: as events applied by the recorder inside its transaction (applyAlertEvent,
// idempotent on the event's source + id), and as clinician actions from the dashboard
// (acknowledgeAlert / clearAlert, which throw AlertTransitionError on an illegal transition).
// At most one alert per (patient, kind) is open: the UNIQUE `open_slot` column enforces it in the database.
import { type AlertCategory, type AlertKind, type Severity, TECHNICAL_KINDS } from './alert-vocabulary.ts';
import type { Db, SqlValue } from './db.ts';

export type AlertStatus = 'raised' | 'acknowledged' | 'cleared';
export type { AlertCategory, AlertKind, Severity };

export interface Alert {
  alertId: string;
  patientId: string;
  kind: AlertKind;
  category: AlertCategory;
  severity: Severity;
  status: AlertStatus;
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
  /** How many further raises for the same open (patient, kind) were merged into this alert. */
  mergedCount: number;
  updatedAt: number;
}

export interface AuditEntry {
  id: number;
  alertId: string;
  /** raised | acknowledged | cleared | merged | raised-late | ignored | rejected */
  action: string;
  actor: string;
  at: number;
  fromStatus: AlertStatus | null;
  toStatus: AlertStatus | null;
  note: string;
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

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this server issued');
    this.name = 'InvalidCursorError';
  }
}

const ALERT_COLUMNS = `alert_id, patient_id, kind, category, severity, status, evidence, raised_by, raised_at,
  acknowledged_by, acknowledged_at, ack_note, cleared_by, cleared_at, clear_reason, merged_count, updated_at`;

interface AlertRow {
  alert_id: string;
  patient_id: string;
  kind: string;
  category: string;
  severity: string;
  status: string;
  evidence: string;
  raised_by: string;
  raised_at: number | string;
  acknowledged_by: string | null;
  acknowledged_at: number | string | null;
  ack_note: string | null;
  cleared_by: string | null;
  cleared_at: number | string | null;
  clear_reason: string | null;
  merged_count: number | string;
  updated_at: number | string;
  placeholder?: number | string;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function toAlert(r: AlertRow): Alert {
  return {
    alertId: r.alert_id,
    patientId: r.patient_id,
    kind: r.kind as AlertKind,
    category: r.category as AlertCategory,
    severity: r.severity as Severity,
    status: r.status as AlertStatus,
    evidence: JSON.parse(r.evidence) as Record<string, unknown>,
    raisedBy: r.raised_by,
    raisedAt: Number(r.raised_at),
    acknowledgedBy: r.acknowledged_by,
    acknowledgedAt: num(r.acknowledged_at),
    ackNote: r.ack_note,
    clearedBy: r.cleared_by,
    clearedAt: num(r.cleared_at),
    clearReason: r.clear_reason,
    mergedCount: Number(r.merged_count),
    updatedAt: Number(r.updated_at),
  };
}

/** MySQL needs a locking read to see rows committed after the transaction's snapshot; SQLite's writer lock covers it. */
function lockSuffix(db: Db): string {
  return db.dialect === 'mysql' ? ' FOR UPDATE' : '';
}

function insertIgnore(db: Db): string {
  return db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
}

const openSlot = (patientId: string, kind: string): string => `${patientId}/${kind}`;

async function selectAlert(db: Db, alertId: string, lock: boolean): Promise<AlertRow | undefined> {
  return db.get<AlertRow>(
    `SELECT ${ALERT_COLUMNS}, placeholder FROM alerts WHERE alert_id = ?${lock ? lockSuffix(db) : ''}`,
    [alertId],
  );
}

async function audit(
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

// ---------------------------------------------------------------------------------------------
// Transitions shared by clinician actions and events.

interface TransitionInput {
  alertId: string;
  to: 'acknowledged' | 'cleared';
  by: string;
  at: number;
  text: string;
  eventKey?: string | undefined;
}

async function transition(db: Db, t: TransitionInput): Promise<Alert> {
  const row = await selectAlert(db, t.alertId, true);
  if (!row) throw new AlertTransitionError('ALERT_NOT_FOUND', t.alertId, null, t.to);
  const from = row.status as AlertStatus;
  if (from === 'cleared') throw new AlertTransitionError('ALREADY_CLEARED', t.alertId, from, t.to);
  if (t.to === 'acknowledged' && from === 'acknowledged')
    throw new AlertTransitionError('ALREADY_ACKNOWLEDGED', t.alertId, from, t.to);
  const now = Date.now();
  const r =
    t.to === 'acknowledged'
      ? await db.run(
          `UPDATE alerts SET status = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?, ack_note = ?,
           updated_at = ? WHERE alert_id = ? AND status = ?`,
          [t.by, t.at, t.text, now, t.alertId, from],
        )
      : await db.run(
          `UPDATE alerts SET status = 'cleared', cleared_by = ?, cleared_at = ?, clear_reason = ?, open_slot = NULL,
           updated_at = ? WHERE alert_id = ? AND status = ?`,
          [t.by, t.at, t.text, now, t.alertId, from],
        );
  // The row is locked (MySQL) or the database is (SQLite), so the guarded update cannot miss.
  if (r.changes !== 1) throw new Error(`alert ${t.alertId} changed during its own transition`);
  await audit(db, {
    alertId: t.alertId,
    action: t.to,
    actor: t.by,
    at: t.at,
    from,
    to: t.to,
    note: t.text,
    eventKey: t.eventKey,
  });
  return toAlert((await selectAlert(db, t.alertId, false))!);
}

/** A clinician acknowledges an alert (raised -> acknowledged). */
export async function acknowledgeAlert(
  db: Db,
  a: { alertId: string; by: string; note?: string; at?: number },
): Promise<Alert> {
  return db.tx((tx) =>
    transition(tx, {
      alertId: a.alertId,
      to: 'acknowledged',
      by: a.by,
      at: a.at ?? Date.now(),
      text: a.note ?? '',
    }),
  );
}

/** Someone clears an alert (raised | acknowledged -> cleared); frees the (patient, kind) slot. */
export async function clearAlert(
  db: Db,
  a: { alertId: string; by: string; reason?: string; at?: number },
): Promise<Alert> {
  return db.tx((tx) =>
    transition(tx, {
      alertId: a.alertId,
      to: 'cleared',
      by: a.by,
      at: a.at ?? Date.now(),
      text: a.reason ?? '',
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Events.

/** What an alert.raised event says, as the store needs it. */
export interface RaiseInput {
  alertId: string;
  patientId: string;
  kind: AlertKind;
  category: AlertCategory;
  severity: Severity;
  evidence: Record<string, unknown>;
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

async function applyRaise(db: Db, d: RaiseInput, actor: string, eventKey: string): Promise<void> {
  const at = Date.parse(d.raisedAt);
  const slot = openSlot(d.patientId, d.kind);
  const evidence = JSON.stringify(d.evidence);
  // Two attempts: the slot's holder may be cleared between our failed insert and the look-up.
  for (let attempt = 0; attempt < 3; attempt++) {
    const ins = await db.run(
      `${insertIgnore(db)} INTO alerts (alert_id, patient_id, kind, category, severity, status, evidence, raised_by,
       raised_at, open_slot, updated_at) VALUES (?, ?, ?, ?, ?, 'raised', ?, ?, ?, ?, ?)`,
      [d.alertId, d.patientId, d.kind, d.category, d.severity, evidence, actor, at, slot, Date.now()],
    );
    if (ins.changes === 1) {
      await audit(db, {
        alertId: d.alertId,
        action: 'raised',
        actor,
        at,
        from: null,
        to: 'raised',
        note: `${d.severity} ${d.kind}`,
        eventKey,
      });
      return;
    }
    const same = await selectAlert(db, d.alertId, true);
    if (same) {
      if (Number(same.placeholder) === 1) {
        // The clear overtook the raise: keep it cleared, fill in what only the raise carries.
        await db.run(
          `UPDATE alerts SET category = ?, severity = ?, evidence = ?, raised_by = ?, raised_at = ?, placeholder = 0,
           updated_at = ? WHERE alert_id = ?`,
          [d.category, d.severity, evidence, actor, at, Date.now(), d.alertId],
        );
        await audit(db, {
          alertId: d.alertId,
          action: 'raised-late',
          actor,
          at,
          from: same.status as AlertStatus,
          to: same.status as AlertStatus,
          note: `raise arrived after the clear (${d.severity} ${d.kind})`,
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
      Date.now(),
      holder.alert_id,
    ]);
    await audit(db, {
      alertId: holder.alert_id,
      action: 'merged',
      actor,
      at,
      from: holder.status,
      to: holder.status,
      note: `raise ${d.alertId} (${d.severity}) merged into this open ${d.kind} alert`,
      eventKey,
    });
    return;
  }
  throw new Error(`alert ${d.alertId}: open slot ${slot} kept changing`);
}

async function applyClear(db: Db, d: ClearInput, actor: string, eventKey: string): Promise<void> {
  const at = Date.parse(d.at);
  const row = await selectAlert(db, d.alertId, true);
  if (!row) {
    // Delivery order is not guaranteed: remember the clear so the late raise cannot open a stale alert.
    await db.run(
      `INSERT INTO alerts (alert_id, patient_id, kind, category, severity, status, evidence, raised_by, raised_at,
       cleared_by, cleared_at, clear_reason, placeholder, updated_at)
       VALUES (?, ?, ?, ?, 'warning', 'cleared', '{}', ?, ?, ?, ?, ?, 1, ?)`,
      [
        d.alertId,
        d.patientId,
        d.kind,
        TECHNICAL_KINDS.has(d.kind) ? 'technical' : 'patient',
        actor,
        at,
        d.by,
        at,
        d.reason,
        Date.now(),
      ],
    );
    await audit(db, {
      alertId: d.alertId,
      action: 'cleared',
      actor: d.by,
      at,
      from: null,
      to: 'cleared',
      note: `${d.reason} (clear arrived before the raise)`,
      eventKey,
    });
    return;
  }
  await transitionOrIgnore(db, { alertId: d.alertId, to: 'cleared', by: d.by, at, text: d.reason, eventKey });
}

/** Events cannot be refused (the recorder must not retry them forever): an illegal step is audited and ignored. */
async function transitionOrIgnore(db: Db, t: TransitionInput): Promise<void> {
  try {
    await transition(db, t);
  } catch (err) {
    if (!(err instanceof AlertTransitionError)) throw err;
    await audit(db, {
      alertId: t.alertId,
      action: 'ignored',
      actor: t.by,
      at: t.at,
      from: err.from,
      to: err.from,
      note: `${t.to} ignored: ${err.code}`,
      eventKey: t.eventKey,
    });
  }
}

/** One alert event as the store applies it; `rejected` is an event whose data broke the contract. */
export type AlertChange =
  | { kind: 'raise'; data: RaiseInput }
  | { kind: 'acknowledge'; data: AcknowledgeInput }
  | { kind: 'clear'; data: ClearInput }
  | { kind: 'rejected'; alertId: string; note: string };

/**
 * Applies one alert event's change. Idempotent on its `eventKey` (the event's source + id): the same
 * event twice changes nothing the second time. Runs in the caller's transaction when given one
 * (Db.tx joins the outer transaction).
 */
export async function applyAlertChange(
  db: Db,
  change: AlertChange,
  event: { eventKey: string; actor: string },
): Promise<void> {
  const { eventKey, actor } = event;
  const alertId = change.kind === 'rejected' ? change.alertId : change.data.alertId;
  await db.tx(async (tx) => {
    const fresh = await tx.run(
      `${insertIgnore(tx)} INTO alert_events (event_key, alert_id, applied_at) VALUES (?, ?, ?)`,
      [eventKey, alertId, Date.now()],
    );
    if (fresh.changes === 0) return;
    if (change.kind === 'rejected') {
      await audit(tx, {
        alertId,
        action: 'rejected',
        actor,
        at: Date.now(),
        from: null,
        to: null,
        note: change.note,
        eventKey,
      });
    } else if (change.kind === 'raise') {
      await applyRaise(tx, change.data, actor, eventKey);
    } else if (change.kind === 'acknowledge') {
      const d = change.data;
      await transitionOrIgnore(tx, {
        alertId: d.alertId,
        to: 'acknowledged',
        by: d.by,
        at: Date.parse(d.at),
        text: d.note,
        eventKey,
      });
    } else {
      await applyClear(tx, change.data, actor, eventKey);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Queries.

export async function getAlert(db: Db, alertId: string): Promise<Alert | undefined> {
  const row = await selectAlert(db, alertId, false);
  return row ? toAlert(row) : undefined;
}

export interface AlertQuery {
  /** `open` means raised or acknowledged. */
  status?: AlertStatus | 'open' | undefined;
  patientId?: string | undefined;
  severity?: Severity | undefined;
  kind?: AlertKind | undefined;
  category?: AlertCategory | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface AlertPage {
  items: Alert[];
  nextCursor: string | null;
  total: number;
}

export const MAX_ALERT_PAGE = 500;

function encodeCursor(raisedAt: number, alertId: string): string {
  return Buffer.from(JSON.stringify([raisedAt, alertId])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string')
      return [v[0] as number, v[1] as string];
  } catch {
    // fall through to the typed error
  }
  throw new InvalidCursorError();
}

/** Newest first (raised_at, then alert id, descending); keyset-paged with an opaque cursor. */
export async function listAlerts(db: Db, q: AlertQuery): Promise<AlertPage> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (q.status === 'open') where.push(`status IN ('raised', 'acknowledged')`);
  else if (q.status) {
    where.push('status = ?');
    params.push(q.status);
  }
  for (const [col, v] of [
    ['patient_id', q.patientId],
    ['severity', q.severity],
    ['kind', q.kind],
    ['category', q.category],
  ] as const) {
    if (v === undefined) continue;
    where.push(`${col} = ?`);
    params.push(v);
  }
  const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const totalRow = await db.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM alerts ${filter}`, params);
  const limit = Math.max(1, Math.min(MAX_ALERT_PAGE, Math.floor(q.limit)));
  const pageWhere = [...where];
  const pageParams = [...params];
  if (q.cursor) {
    const [at, id] = decodeCursor(q.cursor);
    pageWhere.push('(raised_at < ? OR (raised_at = ? AND alert_id < ?))');
    pageParams.push(at, at, id);
  }
  const rows = await db.all<AlertRow>(
    `SELECT ${ALERT_COLUMNS} FROM alerts ${pageWhere.length ? `WHERE ${pageWhere.join(' AND ')}` : ''}
     ORDER BY raised_at DESC, alert_id DESC LIMIT ${limit + 1}`,
    pageParams,
  );
  const items = rows.slice(0, limit).map(toAlert);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > limit && last ? encodeCursor(last.raisedAt, last.alertId) : null,
    total: Number(totalRow?.n ?? 0),
  };
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
