// Escalation, checked on every technical.check tick: a high-priority alarm still unacknowledged after
// VIGIL_ESCALATION_DELAY_S (default 2 min) is published as org.vigil.alert.escalated. The recorder marks
// the alert escalated (audited), the dashboard announces it again, and an operator routes the event to
// a pager with a Trigger (docs/alarm-escalation.md). The event id is the alert's, so repeated
// ticks and replicas publish it once.
import { alertEscalatedEvent } from '../../eventing/alert-events.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type { FunctionContext } from '../../eventing/subscriber.ts';
import { dueForEscalation } from '../../storage/alert-queries.ts';

export async function escalations(
  ctx: FunctionContext,
  source: string,
  delaySeconds: number,
): Promise<VigilEvent[]> {
  const now = ctx.now();
  const due = await dueForEscalation(ctx.db, now - delaySeconds * 1000);
  return due.map((a) =>
    alertEscalatedEvent(source, {
      alertId: a.alertId,
      patientId: a.patientId,
      kind: a.kind,
      priority: a.priority,
      raisedAt: new Date(a.raisedAt).toISOString(),
      escalatedAt: new Date(now).toISOString(),
      unacknowledgedSeconds: Math.max(0, (now - a.raisedAt) / 1000),
    }),
  );
}
