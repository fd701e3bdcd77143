// alert.raised / .acknowledged / .cleared / .escalated events as changes of the alert store. The
// recorder applies them inside its transaction; data that breaks the contract is audited as
// rejected, never retried (a retry could not make it valid).
import {
  type AlertRaised,
  alertAcknowledgedData,
  alertClearedData,
  alertEscalatedData,
  alertRaisedData,
  EVENT_TYPES,
} from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { type AlertChange, applyAlertChange } from '../../storage/alert-changes.ts';
import type { Db } from '../../storage/db.ts';
import { kindPriority } from '../alarm-priority.ts';

const SCHEMAS = {
  [EVENT_TYPES.alertRaised]: { schema: alertRaisedData, kind: 'raise' },
  [EVENT_TYPES.alertAcknowledged]: { schema: alertAcknowledgedData, kind: 'acknowledge' },
  [EVENT_TYPES.alertCleared]: { schema: alertClearedData, kind: 'clear' },
  [EVENT_TYPES.alertEscalated]: { schema: alertEscalatedData, kind: 'escalate' },
} as const;

/** True for the event types applyAlertEvent acts on. */
export function isAlertEvent(event: Pick<VigilEvent, 'type'>): boolean {
  return Object.hasOwn(SCHEMAS, event.type);
}

/** The store change an alert event asks for, or a rejection naming the field that broke the contract. */
export function alertChangeOf(event: VigilEvent): AlertChange | undefined {
  if (!isAlertEvent(event)) return undefined;
  const { schema, kind } = SCHEMAS[event.type as keyof typeof SCHEMAS];
  const parsed = schema.safeParse(event.data);
  if (parsed.success) {
    if (kind === 'raise') {
      const d = parsed.data as AlertRaised;
      return { kind, data: { ...d, priority: d.priority ?? kindPriority(d.kind) } };
    }
    return { kind, data: parsed.data } as AlertChange;
  }
  const rawId = (event.data as { alertId?: unknown } | undefined)?.alertId;
  const issue = parsed.error.issues[0];
  return {
    kind: 'rejected',
    alertId: typeof rawId === 'string' ? rawId.slice(0, 128) : '',
    note: `invalid ${event.type} data at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? ''}`,
  };
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
