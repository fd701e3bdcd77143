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
  /** Taken out of service: no data accepted, no device-silent alarm, still shown in history. */
  retiredAt: number | null;
}

/** Where a device is in its life: `active` until an admin retires it or revokes its token. */
export type DeviceState = 'active' | 'retired' | 'revoked';

export function deviceState(d: Pick<Device, 'revokedAt' | 'retiredAt'>): DeviceState {
  return d.revokedAt !== null ? 'revoked' : d.retiredAt !== null ? 'retired' : 'active';
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

const newDeviceToken = () => `vgl_dev_${randomBytes(32).toString('base64url')}`;

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
  const token = newDeviceToken();
  await db.run(
    'INSERT INTO devices (id, patient_id, token_hash, kind, created_at, last_seen_at, revoked_at, retired_at) VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL)',
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
  retired_at: number | null;
}
const toDevice = (r: DeviceRow): Device => ({
  id: r.id,
  patientId: r.patient_id,
  kind: r.kind,
  createdAt: Number(r.created_at),
  lastSeenAt: r.last_seen_at === null ? null : Number(r.last_seen_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  retiredAt: r.retired_at === null ? null : Number(r.retired_at),
});
const DEVICE_COLS = 'id, patient_id, kind, created_at, last_seen_at, revoked_at, retired_at';
const ACTIVE = 'revoked_at IS NULL AND retired_at IS NULL';

export async function listDevices(db: Db, patientId?: string): Promise<Device[]> {
  const rows = patientId
    ? await db.all<DeviceRow>(`SELECT ${DEVICE_COLS} FROM devices WHERE patient_id = ? ORDER BY id`, [
        patientId,
      ])
    : await db.all<DeviceRow>(`SELECT ${DEVICE_COLS} FROM devices ORDER BY id`);
  return rows.map(toDevice);
}

export async function getDevice(db: Db, deviceId: string): Promise<Device | undefined> {
  const r = await db.get<DeviceRow>(`SELECT ${DEVICE_COLS} FROM devices WHERE id = ?`, [deviceId]);
  return r && toDevice(r);
}

/** The active device a bearer token belongs to, or undefined (unknown, retired or revoked). */
export async function deviceForToken(db: Db, token: string): Promise<Device | undefined> {
  const r = await db.get<DeviceRow>(`SELECT ${DEVICE_COLS} FROM devices WHERE token_hash = ? AND ${ACTIVE}`, [
    hashToken(token),
  ]);
  return r && toDevice(r);
}

/** Ends an active device's life as `retired` or `revoked`; NotFoundError when it is not active. */
async function endDevice(db: Db, deviceId: string, column: 'retired_at' | 'revoked_at', now: number) {
  const r = await db.run(`UPDATE devices SET ${column} = ? WHERE id = ? AND ${ACTIVE}`, [now, deviceId]);
  if (r.changes === 0) throw new NotFoundError('active device', deviceId);
}

/** The token was lost or compromised: it stops working at once. */
export function revokeDevice(db: Db, deviceId: string, now = Date.now()): Promise<void> {
  return endDevice(db, deviceId, 'revoked_at', now);
}

/**
 * The device is taken out of service (replaced, removed from the patient): its token stops working,
 * it is no longer expected to send (no device-silent alarm), and its data stays in the record.
 */
export function retireDevice(db: Db, deviceId: string, now = Date.now()): Promise<void> {
  return endDevice(db, deviceId, 'retired_at', now);
}

/**
 * A fresh token for an active device, keeping its id (so its data stays one trace across runs); the old
 * token stops working. The simulator uses this to reuse its devices.
 */
export async function reissueDeviceToken(db: Db, deviceId: string): Promise<EnrolledDevice> {
  const d = await getDevice(db, deviceId);
  if (!d || deviceState(d) !== 'active') throw new NotFoundError('active device', deviceId);
  const token = newDeviceToken();
  await db.run(`UPDATE devices SET token_hash = ? WHERE id = ? AND ${ACTIVE}`, [hashToken(token), deviceId]);
  return { deviceId, patientId: d.patientId, token };
}

/** Devices per UPDATE in touchDevices (each one takes three placeholders). */
const TOUCH_PER_STATEMENT = 300;

/**
 * Marks devices as heard from (the recorder calls this once per batch, not per event). One
 * statement for many devices: it runs inside the broker's group commit, where on MariaDB every
 * statement is a round trip; and the IN list locks the rows in key order, whatever the map's order.
 */
export async function touchDevices(db: Db, lastSeen: ReadonlyMap<string, number>): Promise<void> {
  const all = [...lastSeen];
  for (let i = 0; i < all.length; i += TOUCH_PER_STATEMENT) {
    const part = all.slice(i, i + TOUCH_PER_STATEMENT);
    const seenAt = `CASE id ${part.map(() => 'WHEN ? THEN ?').join(' ')} END`;
    const pairs = part.flat();
    await db.run(
      `UPDATE devices SET last_seen_at = ${seenAt}
        WHERE id IN (${part.map(() => '?').join(',')}) AND (last_seen_at IS NULL OR last_seen_at < ${seenAt})`,
      [...pairs, ...part.map(([id]) => id), ...pairs],
    );
  }
}
