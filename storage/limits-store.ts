// Per-patient heart-rate alarm limits. Unset patients get the defaults; every change is audited.
import { z } from 'zod';
import type { Db } from './db.ts';
import { upsertSql } from './sql.ts';

export const DEFAULT_LIMITS = { low: 40, high: 130 } as const;
/** Limits outside this range are not heart-rate alarm limits any monitor would accept. */
export const LIMIT_RANGE = { min: 20, max: 300 } as const;

export interface HeartRateLimits {
  low: number;
  high: number;
}

export interface StoredLimits extends HeartRateLimits {
  /** False when the patient has no clinician-set limits and the defaults apply. */
  custom: boolean;
  updatedBy: string | null;
  updatedAt: number | null;
}

const bpm = z
  .number({ error: 'must be a number of beats per minute' })
  .finite()
  .min(LIMIT_RANGE.min, `must be at least ${LIMIT_RANGE.min} bpm`)
  .max(LIMIT_RANGE.max, `must be at most ${LIMIT_RANGE.max} bpm`);

/** The body of PUT /api/patients/:id/limits and the argument of setLimits. */
export const limitsSchema = z
  .object({ low: bpm, high: bpm })
  .strict()
  .refine((l) => l.low < l.high, { path: ['low'], message: 'low must be below high' });

export class LimitsValidationError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'LimitsValidationError';
  }
}

interface LimitsRow {
  low_bpm: number | string;
  high_bpm: number | string;
  updated_by: string;
  updated_at: number | string;
}

export async function getLimits(db: Db, patientId: string): Promise<StoredLimits> {
  const row = await db.get<LimitsRow>(
    'SELECT low_bpm, high_bpm, updated_by, updated_at FROM patient_limits WHERE patient_id = ?',
    [patientId],
  );
  if (!row) return { ...DEFAULT_LIMITS, custom: false, updatedBy: null, updatedAt: null };
  return {
    low: Number(row.low_bpm),
    high: Number(row.high_bpm),
    custom: true,
    updatedBy: row.updated_by,
    updatedAt: Number(row.updated_at),
  };
}

/** Validates (20 <= low < high <= 300), stores and audits; throws LimitsValidationError naming the field. */
export async function setLimits(
  db: Db,
  patientId: string,
  limits: HeartRateLimits,
  by: string,
  at = Date.now(),
): Promise<StoredLimits> {
  const parsed = limitsSchema.safeParse(limits);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LimitsValidationError(issue.path.join('.') || 'limits', issue.message);
  }
  const { low, high } = parsed.data;
  return db.tx(async (tx) => {
    const prev = await getLimits(tx, patientId);
    await tx.run(
      upsertSql(
        tx,
        'patient_limits',
        ['patient_id', 'low_bpm', 'high_bpm', 'updated_by', 'updated_at'],
        ['patient_id'],
        ['low_bpm', 'high_bpm', 'updated_by', 'updated_at'],
      ),
      [patientId, low, high, by, at],
    );
    await tx.run(
      `INSERT INTO limits_audit (patient_id, prev_low_bpm, prev_high_bpm, low_bpm, high_bpm, actor, at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [patientId, prev.custom ? prev.low : null, prev.custom ? prev.high : null, low, high, by, at],
    );
    return { low, high, custom: true, updatedBy: by, updatedAt: at };
  });
}

export interface LimitsAuditEntry {
  id: number;
  patientId: string;
  previous: HeartRateLimits | null;
  limits: HeartRateLimits;
  by: string;
  at: number;
}

/** Every change of a patient's limits, oldest first. */
export async function limitsAudit(db: Db, patientId: string): Promise<LimitsAuditEntry[]> {
  const rows = await db.all<{
    id: number | string;
    prev_low_bpm: number | string | null;
    prev_high_bpm: number | string | null;
    low_bpm: number | string;
    high_bpm: number | string;
    actor: string;
    at: number | string;
  }>(
    `SELECT id, prev_low_bpm, prev_high_bpm, low_bpm, high_bpm, actor, at FROM limits_audit
     WHERE patient_id = ? ORDER BY id`,
    [patientId],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    patientId,
    previous:
      r.prev_low_bpm === null || r.prev_high_bpm === null
        ? null
        : { low: Number(r.prev_low_bpm), high: Number(r.prev_high_bpm) },
    limits: { low: Number(r.low_bpm), high: Number(r.high_bpm) },
    by: r.actor,
    at: Number(r.at),
  }));
}
