import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../storage/db.ts';
import { testBackends } from '../../storage/testing.ts';
import { GroupCommit } from './group-commit.ts';

const count = async (db: Db) =>
  Number((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM patients WHERE id LIKE 'gc-%'"))?.n);

describe.each(testBackends)('group commit on $name', ({ open }) => {
  let db: Db;
  beforeEach(async () => {
    db = await open();
  });
  afterEach(async () => {
    await db.close();
  });

  /** Each op is a patient id written in the group's transaction; its result is its position in the group. */
  function patients(
    fail?: (ids: readonly string[], attempt: number) => boolean,
    again?: (err: unknown, attempt: number) => boolean,
  ) {
    const groups: { ids: string[]; attempt: number }[] = [];
    const gc = new GroupCommit<string, number, number>({
      db,
      async write(tx, ids, attempt) {
        groups.push({ ids: [...ids], attempt });
        for (const id of ids)
          await tx.run('INSERT INTO patients (id, name, created_at) VALUES (?, ?, ?)', [id, 'x', 1]);
        if (fail?.(ids, attempt)) throw new Error(`refused at attempt ${attempt}`);
        return ids.length;
      },
      committed: (n, ids) => ids.map((_, i) => i + n * 100),
      ...(again ? { again } : {}),
    });
    return { gc, groups };
  }

  it('coalesces concurrent submissions into one durable transaction, resolving each after it', async () => {
    const { gc, groups } = patients();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gc.submit(`gc-${i}`).then(async (r) => ({ r, visible: await count(db) })),
      ),
    );
    expect(groups).toHaveLength(1);
    expect(gc.commits).toBe(1);
    // Each submitter gets its own result, and only once every row of the group is committed.
    expect(results.map((x) => x.r)).toEqual(Array.from({ length: 20 }, (_, i) => 2000 + i));
    expect(results.every((x) => x.visible === 20)).toBe(true);
    expect(gc.idle).toBe(true);
  });

  it('puts what arrives during a commit into the next one', async () => {
    const { gc, groups } = patients();
    const first = gc.submit('gc-a');
    await new Promise((r) => setImmediate(r)); // the first group's transaction has started
    const later = [gc.submit('gc-b'), gc.submit('gc-c')];
    await Promise.all([first, ...later]);
    expect(groups.map((g) => g.ids)).toEqual([['gc-a'], ['gc-b', 'gc-c']]);
  });

  it('rejects every submitter of a failed group, rolls it back, and goes on with the next', async () => {
    const { gc } = patients((ids) => ids.includes('gc-bad'));
    const failed = [gc.submit('gc-1'), gc.submit('gc-bad')];
    await expect(failed[0]).rejects.toThrow(/refused/);
    await expect(failed[1]).rejects.toThrow(/refused/);
    expect(await count(db)).toBe(0);
    expect(await gc.submit('gc-2')).toBe(100);
    expect(await count(db)).toBe(1);
  });

  it('writes a group again in a new transaction when `again` accepts the failure', async () => {
    const { gc, groups } = patients(
      (_, attempt) => attempt === 0,
      (_, attempt) => attempt === 0,
    );
    expect(await gc.submit('gc-again')).toBe(100);
    expect(groups.map((g) => g.attempt)).toEqual([0, 1]);
    // The first attempt's row was rolled back; only the second one's is there.
    expect(await count(db)).toBe(1);
  });
});
