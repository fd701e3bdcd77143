// The recorder: every event that crosses the broker is written to storage, idempotent on
// (source, id), a whole batch in one transaction. It returns only after the commit, so the broker
// (embedded or Knative) acknowledges nothing that is not on disk.

import { eventJson } from '../../eventing/eeg-codec.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type { FunctionContext, VigilFunction } from '../../eventing/subscriber.ts';
import type { Db } from '../../storage/db.ts';
import { insertDeadLetters } from '../../storage/dead-letters-store.ts';
import { touchDevices } from '../../storage/patients-store.ts';
import { recordTelemetry } from '../../storage/telemetry-store.ts';
import { applyAlertEvent, isAlertEvent } from './alert-events.ts';
import { toRows } from './rows.ts';

export async function recordEvents(
  db: Db,
  events: readonly VigilEvent[],
  receivedAt: number,
): Promise<number> {
  const rows = toRows(events, receivedAt);
  return db.tx(async (tx) => {
    const fresh = await recordTelemetry(tx, rows);
    for (const e of events) if (isAlertEvent(e)) await applyAlertEvent(tx, e, receivedAt);
    await touchDevices(tx, rows.lastSeen);
    return fresh;
  });
}

/** Knative's deadLetterSink posts the failed event with knativeerror* extensions; keep it, never drop it. */
export async function recordDeadLetter(db: Db, event: VigilEvent, now: number): Promise<void> {
  const reason = [event.knativeerrorcode, event.knativeerrordest, event.knativeerrordata]
    .filter((x) => x !== undefined)
    .join(' ');
  await insertDeadLetters(db, [
    {
      source: event.source,
      id: event.id,
      type: event.type,
      subscriber: String(event.knativeerrordest ?? 'unknown'),
      attempts: 0,
      reason: reason || 'delivery failed',
      payload: Buffer.from(eventJson(event)),
      createdAt: now,
    },
  ]);
}

export const recorder: VigilFunction = {
  name: 'recorder',
  async handle(event: VigilEvent, ctx: FunctionContext) {
    await recordEvents(ctx.db, [event], ctx.now());
    return [];
  },
  async handleBatch(events: VigilEvent[], ctx: FunctionContext) {
    await recordEvents(ctx.db, events, ctx.now());
    return [];
  },
};
