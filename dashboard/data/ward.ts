// The ward overview as of now, read from storage: each patient's latest plausible heart rate and EEG
// prediction, open alerts and device liveness. Index seeks per patient, not table scans. Patients are
// ordered by their most urgent open alarm (IEC 60601-1-8 priority), then as enrolled.
import { IMPLAUSIBLE } from '../../functions/heart-rate-monitor/rule.ts';
import { PRIORITIES, type Priority } from '../../storage/alert-vocabulary.ts';
import type { Db } from '../../storage/db.ts';
import { deviceState, listDevices, listPatients } from '../../storage/patients-store.ts';

/** A device not heard from for this long is shown offline. */
export const DEVICE_OFFLINE_MS = 30_000;

export interface WardPatient {
  id: string;
  name: string;
  heartRate: { time: number; bpm: number } | null;
  prediction: { windowStart: number; probability: number; label: string } | null;
  lastEegAt: number | null;
  openAlerts: Array<{
    alertId: string;
    kind: string;
    category: string;
    severity: string;
    priority: Priority;
    status: string;
    conditionActive: boolean;
    raisedAt: number;
  }>;
  /** The most urgent open alarm's priority, or null. */
  highestPriority: Priority | null;
  devices: Array<{ id: string; kind: string; lastSeenAt: number | null; online: boolean }>;
}

const rank = (p: Priority | null) => (p === null ? PRIORITIES.length : PRIORITIES.indexOf(p));

export async function latestHeartRate(
  db: Db,
  patientId: string,
): Promise<{ time: number; bpm: number } | null> {
  // An implausible value (a loose sensor's 320 bpm) is a technical alarm, never the displayed vital.
  const r = await db.get<{ time: number; bpm: number }>(
    'SELECT time, bpm FROM heart_rate_samples WHERE patient_id = ? AND bpm > 0 AND bpm <= ? ORDER BY time DESC LIMIT 1',
    [patientId, IMPLAUSIBLE.maxBpm],
  );
  return r ? { time: Number(r.time), bpm: Number(r.bpm) } : null;
}

export async function latestPrediction(db: Db, patientId: string): Promise<WardPatient['prediction']> {
  const r = await db.get<{ window_start: number; chunk_probability: number; label: string }>(
    'SELECT window_start, chunk_probability, label FROM predictions WHERE patient_id = ? ORDER BY window_start DESC LIMIT 1',
    [patientId],
  );
  return r
    ? { windowStart: Number(r.window_start), probability: Number(r.chunk_probability), label: r.label }
    : null;
}

export async function ward(db: Db, now: number): Promise<WardPatient[]> {
  const [patients, devices, alerts] = await Promise.all([
    listPatients(db),
    listDevices(db),
    db.all<{
      alert_id: string;
      patient_id: string;
      kind: string;
      category: string;
      severity: string;
      priority: string;
      status: string;
      condition_active: number | string;
      raised_at: number;
    }>(
      `SELECT alert_id, patient_id, kind, category, severity, priority, status, condition_active, raised_at
       FROM alerts WHERE status IN ('raised', 'acknowledged') ORDER BY priority_rank, raised_at DESC`,
    ),
  ]);
  const out: WardPatient[] = [];
  for (const p of patients) {
    const eeg = await db.get<{ t: number }>(
      'SELECT start_time AS t FROM eeg_chunks WHERE patient_id = ? ORDER BY start_time DESC LIMIT 1',
      [p.id],
    );
    const openAlerts = alerts
      .filter((a) => a.patient_id === p.id)
      .map((a) => ({
        alertId: a.alert_id,
        kind: a.kind,
        category: a.category,
        severity: a.severity,
        priority: a.priority as Priority,
        status: a.status,
        conditionActive: Number(a.condition_active) === 1,
        raisedAt: Number(a.raised_at),
      }));
    out.push({
      id: p.id,
      name: p.name,
      heartRate: await latestHeartRate(db, p.id),
      prediction: await latestPrediction(db, p.id),
      lastEegAt: eeg ? Number(eeg.t) : null,
      openAlerts,
      highestPriority: openAlerts[0]?.priority ?? null,
      devices: devices
        .filter((d) => d.patientId === p.id && deviceState(d) === 'active')
        .map((d) => ({
          id: d.id,
          kind: d.kind,
          lastSeenAt: d.lastSeenAt,
          online: d.lastSeenAt !== null && now - d.lastSeenAt < DEVICE_OFFLINE_MS,
        })),
    });
  }
  // Stable: patients with equally urgent alarms (or none) keep their enrolment order.
  return out.sort((a, b) => rank(a.highestPriority) - rank(b.highestPriority));
}
