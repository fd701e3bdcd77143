// Every statement on the broker's outbox tables (broker_events, broker_deliveries). Writes take a
// whole group commit's rows at once: on MariaDB each statement is a network round trip, so a commit
// costs a fixed handful of them however many events it carries.
import type { Db, SqlValue } from '../../storage/db.ts';
import { insertRows, insertRowsReturning } from '../../storage/sql.ts';

export interface OutboxEventRow {
  source: string;
  id: string;
  type: string;
  payload: Buffer;
}

export interface DeliveryKey {
  trigger: string;
  seq: number;
}

export interface PendingDeliveryRow {
  seq: number;
  /** The event's CloudEvent source and id. */
  source: string;
  id: string;
  trigger: string;
  attempts: number;
  nextAttemptAt: number;
  payload: Buffer;
}

const EVENT_COLS = ['source', 'id', 'type', 'payload', 'accepted_at'];
const DELIVERY_COLS = ['event_seq', 'subscriber', 'attempts', 'next_attempt_at'];

export const sourceIdKey = (source: string, id: string): string => `${source}\n${id}`;

/**
 * Inserts the events not already in the outbox (the unique (source, id) key drops duplicates) and
 * returns the new rows' seq by sourceIdKey.
 */
export async function insertEvents(
  tx: Db,
  events: readonly OutboxEventRow[],
  now: number,
): Promise<Map<string, number>> {
  const rows = await insertRowsReturning<{ seq: number; source: string; id: string }>(
    tx,
    'broker_events',
    EVENT_COLS,
    events.map((e) => [e.source, e.id, e.type, e.payload, now]),
    ['seq', 'source', 'id'],
    { ignoreDuplicates: true },
  );
  return new Map(rows.map((r) => [sourceIdKey(r.source, r.id), Number(r.seq)]));
}

/** New deliveries, due at `now`. */
export async function insertDeliveries(tx: Db, keys: readonly DeliveryKey[], now: number): Promise<void> {
  await insertRows(
    tx,
    'broker_deliveries',
    DELIVERY_COLS,
    keys.map((k) => [k.seq, k.trigger, 0, now]),
    { ignoreDuplicates: false },
  );
}

/** Removes events outright (those no Trigger wants). */
export async function deleteEvents(tx: Db, seqs: readonly number[]): Promise<void> {
  for (let i = 0; i < seqs.length; i += 1000) {
    const part = seqs.slice(i, i + 1000);
    await tx.run(`DELETE FROM broker_events WHERE seq IN (${part.map(() => '?').join(',')})`, part);
  }
}

/** Removes finished deliveries, then every event of theirs that has no delivery left. */
export async function deleteDeliveries(tx: Db, keys: readonly DeliveryKey[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const part = keys.slice(i, i + 1000);
    const pairs: SqlValue[] = part.flatMap((k) => [k.seq, k.trigger]);
    const seqs = [...new Set(part.map((k) => k.seq))];
    const seqMarks = seqs.map(() => '?').join(',');
    // The plain seq list lets both engines range-scan the primary key; the pairs pick the exact rows.
    await tx.run(
      `DELETE FROM broker_deliveries WHERE event_seq IN (${seqMarks})
         AND (event_seq, subscriber) IN (${part.map(() => '(?,?)').join(',')})`,
      [...seqs, ...pairs],
    );
    await tx.run(
      `DELETE FROM broker_events WHERE seq IN (${seqMarks})
         AND NOT EXISTS (SELECT 1 FROM broker_deliveries d WHERE d.event_seq = broker_events.seq)`,
      seqs,
    );
  }
}

/** Records a failed attempt and when to try again. One statement per row: this is the failure path. */
export async function deferDelivery(
  tx: Db,
  key: DeliveryKey,
  attempts: number,
  nextAttemptAt: number,
  error: string,
): Promise<void> {
  await tx.run(
    'UPDATE broker_deliveries SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE event_seq = ? AND subscriber = ?',
    [attempts, nextAttemptAt, error.slice(0, 2000), key.seq, key.trigger],
  );
}

/**
 * Pending deliveries after `after` in (seq, trigger) order, with their event's payload: what a
 * restart resumes. Paged on the pair, since an event's deliveries may straddle a page boundary.
 */
export async function loadDeliveries(
  db: Db,
  after: DeliveryKey,
  limit: number,
): Promise<PendingDeliveryRow[]> {
  const rows = await db.all<{
    event_seq: number;
    source: string;
    id: string;
    subscriber: string;
    attempts: number;
    next_attempt_at: number;
    payload: Buffer;
  }>(
    `SELECT d.event_seq, e.source, e.id, d.subscriber, d.attempts, d.next_attempt_at, e.payload
       FROM broker_deliveries d JOIN broker_events e ON e.seq = d.event_seq
      WHERE d.event_seq >= ? AND (d.event_seq > ? OR d.subscriber > ?)
      ORDER BY d.event_seq, d.subscriber LIMIT ?`,
    [after.seq, after.seq, after.trigger, limit],
  );
  return rows.map((r) => ({
    seq: Number(r.event_seq),
    source: r.source,
    id: r.id,
    trigger: r.subscriber,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    payload: Buffer.from(r.payload),
  }));
}
