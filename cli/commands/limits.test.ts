import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Db } from '../../storage/db.ts';
import { getLimits } from '../../storage/limits-store.ts';
import { addPatient } from '../../storage/patients-store.ts';
import { testBackends } from '../../storage/testing.ts';
import { run } from './limits.ts';

describe('vigil patients limits', () => {
  let db: Db;
  const open = <T>(fn: (db: Db) => Promise<T>) => fn(db);
  const out: string[] = [];
  const err: string[] = [];
  beforeAll(async () => {
    db = await testBackends[0]!.open();
    await addPatient(db, { id: 'p1', name: 'Ada' });
  });
  afterAll(async () => {
    await db.close();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    out.length = 0;
    err.length = 0;
  });
  function capture() {
    vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    vi.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
  }

  it('prints the defaults, then sets one limit keeping the other', async () => {
    capture();
    expect(await run(['--patient', 'p1', '--json'], open)).toBe(0);
    expect(JSON.parse(out[0]!)).toMatchObject({ low: 40, high: 130, custom: false });
    expect(await run(['--patient', 'p1', '--high', '150'], open)).toBe(0);
    expect(out[1]).toMatch(/^p1: low 40 bpm, high 150 bpm \(set by cli:/);
    expect(await getLimits(db, 'p1')).toMatchObject({ low: 40, high: 150, custom: true });
  });

  it.each([
    [['--patient', 'p1', '--low', 'abc'], /--low: "abc" is not a number/],
    [['--patient', 'p1', '--low', '160'], /--low: low must be below high \(low 160, high 150\)/],
    [['--patient', 'p1', '--high', '30'], /--high: low must be below high \(low 40, high 30\)/],
    [['--patient', 'p1', '--high', '301'], /--high: must be at most 300 bpm/],
    [['--low', '50'], /--patient is required/],
    [['--patient', 'p1', '--bogus'], /Unknown option '--bogus'/],
  ])('exits 2 for %j naming the flag', async (args, message) => {
    capture();
    expect(await run(args, open)).toBe(2);
    expect(err.join('\n')).toMatch(message);
  });

  it('exits 1 for an unknown patient and 0 for --help', async () => {
    capture();
    expect(await run(['--patient', 'nobody'], open)).toBe(1);
    expect(err[0]).toMatch(/patient nobody not found/);
    expect(await run(['--help'], open)).toBe(0);
    expect(out[0]).toMatch(/usage: vigil patients limits/);
  });
});
