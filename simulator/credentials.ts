// Device credentials for simulated patients: enrolled directly in local storage (the same
// VIGIL_DATA_DIR / DATABASE_URL as `vigil up`), or given with --token / a tokens file for a cluster.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { deviceIdSchema, patientIdSchema } from '../eventing/contract.ts';
import type { Db } from '../storage/db.ts';
import { type HeartRateLimits, setLimits } from '../storage/limits-store.ts';
import { openDb } from '../storage/open.ts';
import {
  addPatient,
  ConflictError,
  deviceState,
  enrollDevice,
  listDevices,
  reissueDeviceToken,
  retireDevice,
} from '../storage/patients-store.ts';

export interface Credential {
  patientId: string;
  deviceId: string;
  token: string;
}

/** Bad --token / tokens file input; the message names the flag or file and line. */
export class CredentialError extends Error {
  override name = 'CredentialError';
}

const credentialSchema = z.object({
  patientId: patientIdSchema,
  deviceId: deviceIdSchema,
  token: z.string().min(1),
});

/** `--token PATIENT:DEVICE:TOKEN` (ids cannot hold ':'; the token may). */
export function parseTokenFlag(value: string, where = '--token'): Credential {
  const a = value.indexOf(':');
  const b = a < 0 ? -1 : value.indexOf(':', a + 1);
  if (a < 0 || b < 0)
    throw new CredentialError(`${where}: expected PATIENT_ID:DEVICE_ID:TOKEN, got a value without two ':'`);
  const parsed = credentialSchema.safeParse({
    patientId: value.slice(0, a),
    deviceId: value.slice(a + 1, b),
    token: value.slice(b + 1),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CredentialError(`${where}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * A tokens file: either a JSON array of `{patientId, deviceId, token}` (what enrolment prints) or
 * text with one `PATIENT_ID:DEVICE_ID:TOKEN` per line (blank lines and `#` comments ignored).
 */
export function parseTokensFile(text: string, file: string): Credential[] {
  if (text.trimStart().startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new CredentialError(`${file}: not valid JSON (${(err as Error).message})`);
    }
    const parsed = z.array(credentialSchema).min(1).safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CredentialError(`${file}: entry ${issue.path.join('.')}: ${issue.message}`);
    }
    return parsed.data;
  }
  const out: Credential[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    out.push(parseTokenFlag(line, `${file}:${i + 1}`));
  });
  if (out.length === 0) throw new CredentialError(`${file}: no credentials in the file`);
  return out;
}

export async function readTokensFile(file: string): Promise<Credential[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CredentialError(`${file}: cannot read: ${(err as Error).message}`);
  }
  return parseTokensFile(text, file);
}

/** Patient id of the i-th simulated patient (1-based), stable across runs so reruns reuse the patients. */
export function simulatedPatientId(i: number): string {
  return `sim-${String(i).padStart(3, '0')}`;
}

const SIMULATOR_KIND = 'simulator';

/**
 * The patient's one simulator device with a fresh token: the active one heard from last (or, none
 * heard, the oldest) is kept, so every run streams as the same device and history draws one trace;
 * other active simulator devices, left by versions that enrolled one per run, are retired; the first
 * run enrols one.
 */
export async function simulatorDevice(db: Db, patientId: string): Promise<Credential> {
  const active = (await listDevices(db, patientId))
    .filter((d) => d.kind === SIMULATOR_KIND && deviceState(d) === 'active')
    .sort(
      (a, b) =>
        (b.lastSeenAt ?? -1) - (a.lastSeenAt ?? -1) || a.createdAt - b.createdAt || a.id.localeCompare(b.id),
    );
  const [keep, ...extra] = active;
  for (const d of extra) await retireDevice(db, d.id);
  return keep ? reissueDeviceToken(db, keep.id) : enrollDevice(db, { patientId, kind: SIMULATOR_KIND });
}

/**
 * Creates (or reuses) `count` simulated patients and their simulator devices (simulatorDevice); with
 * `limits`, sets those heart-rate limits on them (audited as set by `vigil-simulate`).
 */
export async function enrolSimulatedPatients(opts: {
  dataDir: string;
  databaseUrl?: string | undefined;
  count: number;
  limits?: HeartRateLimits | undefined;
}): Promise<Credential[]> {
  const db = await openDb({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl });
  try {
    const out: Credential[] = [];
    for (let i = 1; i <= opts.count; i++) {
      const id = simulatedPatientId(i);
      try {
        await addPatient(db, { id, name: `Simulated patient ${i}` });
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
      out.push(await simulatorDevice(db, id));
      if (opts.limits) await setLimits(db, id, opts.limits, 'vigil-simulate');
    }
    return out;
  } finally {
    await db.close();
  }
}
