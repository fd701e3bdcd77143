import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './db.ts';
import { DEFAULT_LIMITS, getLimits, LimitsValidationError, limitsAudit, setLimits } from './limits-store.ts';
import { testBackends } from './testing.ts';

describe.each(testBackends)('limits store on $name', (backend) => {
  let db: Db;
  beforeAll(async () => {
    db = await backend.open();
  });
  afterAll(async () => {
    await db.close();
  });

  it('gives the defaults (40..130 bpm) to a patient without limits', async () => {
    expect(await getLimits(db, 'nobody')).toEqual({
      ...DEFAULT_LIMITS,
      custom: false,
      updatedBy: null,
      updatedAt: null,
    });
    expect(DEFAULT_LIMITS).toEqual({ low: 40, high: 130 });
  });

  it('stores, overwrites and audits clinician limits', async () => {
    await setLimits(db, 'p1', { low: 45, high: 120 }, 'dr.a', 1000);
    await setLimits(db, 'p1', { low: 50.5, high: 110 }, 'dr.b', 2000);
    expect(await getLimits(db, 'p1')).toEqual({
      low: 50.5,
      high: 110,
      custom: true,
      updatedBy: 'dr.b',
      updatedAt: 2000,
    });
    const trail = await limitsAudit(db, 'p1');
    expect(trail.map((e) => [e.previous, e.limits, e.by, e.at])).toEqual([
      [null, { low: 45, high: 120 }, 'dr.a', 1000],
      [{ low: 45, high: 120 }, { low: 50.5, high: 110 }, 'dr.b', 2000],
    ]);
  });

  it.each([
    [{ low: 130, high: 130 }, 'low'],
    [{ low: 140, high: 100 }, 'low'],
    [{ low: 19, high: 100 }, 'low'],
    [{ low: 40, high: 301 }, 'high'],
    [{ low: 40, high: Number.NaN }, 'high'],
  ])('rejects %j naming the field %s', async (limits, field) => {
    const err = await setLimits(db, 'p2', limits, 'dr.a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LimitsValidationError);
    expect((err as LimitsValidationError).field).toBe(field);
    expect((await getLimits(db, 'p2')).custom).toBe(false);
    expect(await limitsAudit(db, 'p2')).toEqual([]);
  });
});
