// Dead letters: events a subscriber never accepted, kept for an operator instead of being dropped.
// One writer for both paths that produce them (the embedded broker giving up on a delivery, and
// Knative's deadLetterSink posting to the recorder), so the row means the same thing either way.
import type { Db } from './db.ts';
import { insertRows } from './sql.ts';

export interface DeadLetter {
  source: string;
  id: string;
  type: string;
  /** The Trigger (or Knative destination) that failed. */
  subscriber: string;
  attempts: number;
  reason: string;
  /** The event as it was to be delivered. */
  payload: Buffer;
  createdAt: number;
}

const COLS = ['source', 'id', 'type', 'subscriber', 'attempts', 'reason', 'payload', 'created_at'];

/** Idempotent on (source, id, subscriber): a redelivered failure does not add a second row. */
export async function insertDeadLetters(db: Db, letters: readonly DeadLetter[]): Promise<void> {
  await insertRows(
    db,
    'dead_letters',
    COLS,
    letters.map((l) => [l.source, l.id, l.type, l.subscriber, l.attempts, l.reason, l.payload, l.createdAt]),
    { ignoreDuplicates: true },
  );
}
