// alert.raised / .acknowledged / .cleared / .escalated events as changes of the alert store. The
// recorder applies them inside its transaction. They are not validated again here: data that breaks the
// contract is refused at the door it came through (a 422 the broker dead-letters, where it is kept).
import {
  type AlertAcknowledged,
  type AlertCleared,
  type AlertEscalated,
  type AlertRaised,
  EVENT_TYPES,
} from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { type AlertChange, applyAlertChange } from '../../storage/alert-changes.ts';
import type { Db } from '../../storage/db.ts';
import { kindPriority } from '../alarm-priority.ts';

const CHANGES = {
  [EVENT_TYPES.alertRaised]: 'raise',
  [EVENT_TYPES.alertAcknowledged]: 'acknowledge',
  [EVENT_TYPES.alertCleared]: 'clear',
  [EVENT_TYPES.alertEscalated]: 'escalate',
} as const;

/** True for the event types applyAlertEvent acts on. */
export function isAlertEvent(event: Pick<VigilEvent, 'type'>): boolean {
  return Object.hasOwn(CHANGES, event.type);
}

/**
 * The store change an alert event asks for. The event is validated: built typed by a function or the
 * dashboard in-process, or checked at the recorder's HTTP door (eventing/validate-event.ts).
 */
export function alertChangeOf(event: VigilEvent): AlertChange | undefined {
  if (!isAlertEvent(event)) return undefined;
  const kind = CHANGES[event.type as keyof typeof CHANGES];
  switch (kind) {
    case 'raise': {
      const d = event.data as AlertRaised;
      return { kind, data: { ...d, priority: d.priority ?? kindPriority(d.kind) } };
    }
    case 'acknowledge': {
      const d = event.data as AlertAcknowledged;
      return { kind, data: { ...d, note: d.note ?? '' } };
    }
    case 'clear':
      return { kind, data: event.data as AlertCleared };
    case 'escalate':
      return { kind, data: event.data as AlertEscalated };
  }
}

/**
 * Applies one alert event to the store at `now` (the recorder's clock). Idempotent on (source, id): the
 * same event twice changes nothing the second time. Other event types are ignored.
 */
export async function applyAlertEvent(db: Db, event: VigilEvent, now = Date.now()): Promise<void> {
  const change = alertChangeOf(event);
  if (change)
    await applyAlertChange(db, change, { eventKey: `${event.source} ${event.id}`, actor: event.source, now });
}
