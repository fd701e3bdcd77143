// Clinician actions on alerts. Each transition is written together with an event row
// (org.vigil.alert.acknowledged / .cleared) in the same transaction, so every dashboard replica's
// event poller shows it live, exactly like alerts raised by the detectors.
import { EVENT_TYPES } from '../../eventing/contract.ts';
import { acknowledgeAlert, clearAlert } from '../../storage/alert-lifecycle.ts';
import type { Alert } from '../../storage/alerts-store.ts';
import type { Db } from '../../storage/db.ts';
import { recordTelemetry } from '../../storage/telemetry-store.ts';

/** Source URI of events written by the dashboard. */
export const DASHBOARD_SOURCE = '/dashboard';

async function recordEvent(db: Db, type: string, id: string, patientId: string, at: number, data: unknown) {
  await recordTelemetry(db, {
    events: [
      {
        source: DASHBOARD_SOURCE,
        id,
        type,
        subject: patientId,
        time: at,
        receivedAt: at,
        data: JSON.stringify(data),
      },
    ],
  });
}

export async function acknowledge(
  db: Db,
  a: { alertId: string; by: string; note: string; at: number },
): Promise<Alert> {
  return db.tx(async (tx) => {
    const alert = await acknowledgeAlert(tx, a);
    // An alert is acknowledged at most once, so the id is deterministic and unique.
    await recordEvent(tx, EVENT_TYPES.alertAcknowledged, `${a.alertId}.acknowledged`, alert.patientId, a.at, {
      alertId: a.alertId,
      by: a.by,
      at: new Date(a.at).toISOString(),
      note: a.note,
    });
    return alert;
  });
}

export async function clear(
  db: Db,
  a: { alertId: string; by: string; reason: string; at: number },
): Promise<Alert> {
  return db.tx(async (tx) => {
    const alert = await clearAlert(tx, a);
    await recordEvent(tx, EVENT_TYPES.alertCleared, `${a.alertId}.cleared`, alert.patientId, a.at, {
      alertId: a.alertId,
      patientId: alert.patientId,
      kind: alert.kind,
      by: a.by,
      at: new Date(a.at).toISOString(),
      reason: a.reason,
    });
    return alert;
  });
}
