// Patients and their devices. Device tokens are shown once and stored only as SHA-256 hashes.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db.ts';
import { ID_RULE, isValidId } from './identifiers.ts';

export interface Patient {
  id: string;
  name: string;
  createdAt: number;
}

export interface Device {
  id: string;
  patientId: string;
  kind: string;
  createdAt: number;
  lastSeenAt: number | null;
  revokedAt: number | null;
}

export interface EnrolledDevice {
  deviceId: string;
  patientId: string;
  token: string;
}

export class NotFoundError extends Error {
  constructor(
    readonly entity: string,
    readonly key: string,
  ) {
    super(`${entity} ${key} not found`);
  }
}

export class ConflictError extends Error {}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function addPatient(
  db: Db,
  p: { id: string; name: string },
  now = Date.now(),
): Promise<Patient> {
  const id = p.id;
  if (!isValidId(id)) throw new RangeError(`patient id must be 1-64 characters: ${ID_RULE}`);
  const name = p.name.trim();
  if (!name || name.length > 200) throw new RangeError('name must be 1-200 characters');
  const existing = await getPatient(db, id);
  if (existing) throw new ConflictError(`patient ${id} already exists`);
  await db.run('INSERT INTO patients (id, name, created_at) VALUES (?, ?, ?)', [id, name, now]);
  return { id, name, createdAt: now };
}

interface PatientRow {
  id: string;
  name: string;
  created_at: number;
}
const toPatient = (r: PatientRow): Patient => ({ id: r.id, name: r.name, createdAt: Number(r.created_at) });

export async function getPatient(db: Db, id: string): Promise<Patient | undefined> {
  const r = await db.get<PatientRow>('SELECT id, name, created_at FROM patients WHERE id = ?', [id]);
  return r && toPatient(r);
}

export async function listPatients(db: Db): Promise<Patient[]> {
  return (await db.all<PatientRow>('SELECT id, name, created_at FROM patients ORDER BY id')).map(toPatient);
}

export async function enrollDevice(
  db: Db,
  d: { patientId: string; kind?: string; deviceId?: string },
  now = Date.now(),
): Promise<EnrolledDevice> {
  if (!(await getPatient(db, d.patientId))) throw new NotFoundError('patient', d.patientId);
  const deviceId = d.deviceId ?? `dev-${randomBytes(8).toString('hex')}`;
  const token = `vgl_dev_${randomBytes(32).toString('base64url')}`;
  await db.run(
    'INSERT INTO devices (id, patient_id, token_hash, kind, created_at, last_seen_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL, NULL)',
    [deviceId, d.patientId, hashToken(token), d.kind ?? 'generic', now],
  );
  return { deviceId, patientId: d.patientId, token };
}

interface DeviceRow {
  id: string;
  patient_id: string;
  kind: string;
  created_at: number;
  last_seen_at: number | null;
  revoked_at: number | null;
}
const toDevice = (r: DeviceRow): Device => ({
  id: r.id,
  patientId: r.patient_id,
  kind: r.kind,
  createdAt: Number(r.created_at),
  lastSeenAt: r.last_seen_at === null ? null : Number(r.last_seen_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
});
const DEVICE_COLS = 'id, patient_id, kind, created_at, last_seen_at, revoked_at';

export async function listDevices(db: Db, patientId?: string): Promise<Device[]> {
  const rows = patientId
    ? await db.all<DeviceRow>(`SELECT ${DEVICE_COLS} FROM devices WHERE patient_id = ? ORDER BY id`, [
        patientId,
      ])
    : await db.all<DeviceRow>(`SELECT ${DEVICE_COLS} FROM devices ORDER BY id`);
  return rows.map(toDevice);
}

/** The active device a bearer token belongs to, or undefined (unknown or revoked). */
export async function deviceForToken(db: Db, token: string): Promise<Device | undefined> {
  const r = await db.get<DeviceRow>(
    `SELECT ${DEVICE_COLS} FROM devices WHERE token_hash = ? AND revoked_at IS NULL`,
    [hashToken(token)],
  );
  return r && toDevice(r);
}

export async function revokeDevice(db: Db, deviceId: string, now = Date.now()): Promise<void> {
  const r = await db.run('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [
    now,
    deviceId,
  ]);
  if (r.changes === 0) throw new NotFoundError('active device', deviceId);
}

/** Marks devices as heard from (the recorder calls this once per batch, not per event). */
export async function touchDevices(db: Db, lastSeen: ReadonlyMap<string, number>): Promise<void> {
  for (const [id, at] of lastSeen)
    await db.run(
      'UPDATE devices SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)',
      [at, id, at],
    );
}
