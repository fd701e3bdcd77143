// `vigil patients limits`: show or change a patient's heart-rate alarm limits (audited as cli:<os user>).

import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { patientIdSchema } from '../../eventing/contract.ts';
import type { Db } from '../../storage/db.ts';
import {
  getLimits,
  LIMIT_RANGE,
  LimitsValidationError,
  type StoredLimits,
  setLimits,
} from '../../storage/limits-store.ts';
import { getPatient } from '../../storage/patients-store.ts';
import { UsageError } from '../usage-error.ts';

export const USAGE = `usage: vigil patients limits --patient ID [--low BPM] [--high BPM] [--json]
  Without --low/--high: print the limits (defaults 40/130 bpm when none were set).
  With either: set them (the other keeps its current value); ${LIMIT_RANGE.min} <= low < high <= ${LIMIT_RANGE.max}.`;

function bpmFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`--${name}: "${raw}" is not a number of bpm`);
  return n;
}

function print(patientId: string, l: StoredLimits, json: boolean): void {
  if (json) {
    console.log(
      JSON.stringify({
        patientId,
        low: l.low,
        high: l.high,
        custom: l.custom,
        updatedBy: l.updatedBy,
        updatedAt: l.updatedAt === null ? null : new Date(l.updatedAt).toISOString(),
      }),
    );
    return;
  }
  const who = l.custom
    ? ` (set by ${l.updatedBy} at ${new Date(l.updatedAt!).toISOString()})`
    : ' (defaults)';
  console.log(`${patientId}: low ${l.low} bpm, high ${l.high} bpm${who}`);
}

/** `open` is injectable so tests run against a test database; the CLI opens the configured storage. */
export async function run(
  args: string[],
  open: <T>(fn: (db: Db) => Promise<T>) => Promise<T> = async (fn) =>
    (await import('../open-storage.ts')).withStorage(fn),
): Promise<number> {
  let values: { patient?: string; low?: string; high?: string; json?: boolean; help?: boolean };
  let low: number | undefined;
  let high: number | undefined;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        patient: { type: 'string' },
        low: { type: 'string' },
        high: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (!values.patient) throw new UsageError('--patient is required');
    if (!patientIdSchema.safeParse(values.patient).success)
      throw new UsageError('--patient: letters, digits, ".", "_" or "-" (1-64)');
    low = bpmFlag('low', values.low);
    high = bpmFlag('high', values.high);
  } catch (err) {
    console.error(`vigil patients limits: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const patientId = values.patient;
  return open(async (db) => {
    if (!(await getPatient(db, patientId))) {
      console.error(`vigil patients limits: patient ${patientId} not found`);
      return 1;
    }
    const current = await getLimits(db, patientId);
    if (low === undefined && high === undefined) {
      print(patientId, current, values.json === true);
      return 0;
    }
    try {
      const by = `cli:${userInfo().username}`;
      const next = await setLimits(
        db,
        patientId,
        { low: low ?? current.low, high: high ?? current.high },
        by,
      );
      print(patientId, next, values.json === true);
      return 0;
    } catch (err) {
      if (!(err instanceof LimitsValidationError)) throw err;
      // "low must be below high" is about the pair: blame the flag the user actually gave.
      const pair = /below high/.test(err.message);
      const flag = pair
        ? low !== undefined && high === undefined
          ? '--low'
          : high !== undefined && low === undefined
            ? '--high'
            : '--low/--high'
        : `--${err.field}`;
      const effective = pair ? ` (low ${low ?? current.low}, high ${high ?? current.high})` : '';
      console.error(`vigil patients limits: ${flag}: ${err.message.replace(/^[^:]+: /, '')}${effective}`);
      return 2;
    }
  });
}
