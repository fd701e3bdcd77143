// Reading alerts: one alert, and keyset-paged lists ordered as a clinician needs them: by priority
// (high first), then newest first.

import type { AlertCategory, AlertKind, Priority, Severity } from './alert-vocabulary.ts';
import {
  ALERT_COLUMNS,
  type Alert,
  type AlertRow,
  type AlertStatus,
  selectAlert,
  toAlert,
} from './alerts-store.ts';
import type { Db, SqlValue } from './db.ts';

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this server issued');
    this.name = 'InvalidCursorError';
  }
}

export async function getAlert(db: Db, alertId: string): Promise<Alert | undefined> {
  const row = await selectAlert(db, alertId, false);
  return row ? toAlert(row) : undefined;
}

export interface AlertQuery {
  /** `open` means raised or acknowledged (a latched alarm whose condition ended included). */
  status?: AlertStatus | 'open' | undefined;
  patientId?: string | undefined;
  severity?: Severity | undefined;
  priority?: Priority | undefined;
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

type Key = [rank: number, raisedAt: number, alertId: string];

function encodeCursor(k: Key): string {
  return Buffer.from(JSON.stringify(k)).toString('base64url');
}

function decodeCursor(cursor: string): Key {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      v.length === 3 &&
      Number.isSafeInteger(v[0]) &&
      Number.isSafeInteger(v[1]) &&
      typeof v[2] === 'string'
    )
      return v as Key;
  } catch {
    // fall through to the typed error
  }
  throw new InvalidCursorError();
}

/** Priority first (high, medium, low), then newest (raised_at, then alert id, descending); keyset-paged. */
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
    ['priority', q.priority],
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
    const [rank, at, id] = decodeCursor(q.cursor);
    pageWhere.push(
      '(priority_rank > ? OR (priority_rank = ? AND (raised_at < ? OR (raised_at = ? AND alert_id < ?))))',
    );
    pageParams.push(rank, rank, at, at, id);
  }
  const rows = await db.all<AlertRow & { priority_rank: number | string }>(
    `SELECT ${ALERT_COLUMNS}, priority_rank FROM alerts ${pageWhere.length ? `WHERE ${pageWhere.join(' AND ')}` : ''}
     ORDER BY priority_rank ASC, raised_at DESC, alert_id DESC LIMIT ${limit + 1}`,
    pageParams,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toAlert),
    nextCursor:
      rows.length > limit && last
        ? encodeCursor([Number(last.priority_rank), Number(last.raised_at), last.alert_id])
        : null,
    total: Number(totalRow?.n ?? 0),
  };
}

/** Each patient's most urgent open alarm (rank 0 = high), for ordering the ward. */
export async function highestOpenPriority(db: Db): Promise<Map<string, Priority>> {
  const rows = await db.all<{ patient_id: string; p: string }>(
    `SELECT patient_id, MIN(priority_rank) AS p FROM alerts WHERE status IN ('raised', 'acknowledged')
     GROUP BY patient_id`,
  );
  const names: Priority[] = ['high', 'medium', 'low'];
  return new Map(rows.map((r) => [r.patient_id, names[Number(r.p)] ?? 'low']));
}

/** High-priority alarms raised at or before `raisedBefore`, unacknowledged and not yet escalated. */
export async function dueForEscalation(db: Db, raisedBefore: number, limit = 100): Promise<Alert[]> {
  const rows = await db.all<AlertRow>(
    `SELECT ${ALERT_COLUMNS} FROM alerts WHERE status = 'raised' AND priority = 'high' AND escalated_at IS NULL
     AND raised_at <= ? ORDER BY raised_at LIMIT ${Math.max(1, Math.floor(limit))}`,
    [raisedBefore],
  );
  return rows.map(toAlert);
}
