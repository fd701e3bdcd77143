// The ward overview as of now, read from storage: each patient's latest plausible heart rate and EEG
// prediction, open alerts and device liveness. Index seeks per patient, not table scans. Patients are
// ordered by their most urgent open alarm (IEC 60601-1-8 priority), then as enrolled.
import { IMPLAUSIBLE } from '../../functions/heart-rate-monitor/rule.ts';
import { PRIORITIES, type Priority } from '../../storage/alert-vocabulary.ts';
import type { Db } from '../../storage/db.ts';
import { deviceState, listDevices, listPatients } from '../../storage/patients-store.ts';
import {
  latestEegStart,
  latestPlausibleHeartRate,
  latestPrediction as newestPrediction,
} from '../../storage/telemetry-store.ts';

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
  const r = await latestPlausibleHeartRate(db, patientId, IMPLAUSIBLE.maxBpm);
  return r ? { time: r.time, bpm: r.bpm } : null;
}

export async function latestPrediction(db: Db, patientId: string): Promise<WardPatient['prediction']> {
  const r = await newestPrediction(db, patientId);
  return r ? { windowStart: r.windowStart, probability: r.chunkProbability, label: r.label } : null;
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
    const lastEegAt = await latestEegStart(db, p.id);
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
      lastEegAt: lastEegAt ?? null,
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
