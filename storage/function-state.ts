// Durable per-key state for functions (episode trackers and the like), shared by every replica.
// Optimistic concurrency: a write names the version it read; a stale write loses and the caller retries.
import type { Db } from './db.ts';

export interface Versioned<T> {
  value: T;
  version: number;
}

export async function readState<T>(db: Db, fn: string, key: string): Promise<Versioned<T> | undefined> {
  const row = await db.get<{ value: string; version: number }>(
    'SELECT value, version FROM function_state WHERE fn = ? AND state_key = ?',
    [fn, key],
  );
  return row ? { value: JSON.parse(row.value) as T, version: Number(row.version) } : undefined;
}

/** Returns false when another writer got there first (expectedVersion no longer current). */
export async function writeState<T>(
  db: Db,
  fn: string,
  key: string,
  value: T,
  expectedVersion: number,
): Promise<boolean> {
  const json = JSON.stringify(value);
  const now = Date.now();
  if (expectedVersion === 0) {
    const sql =
      db.dialect === 'sqlite'
        ? 'INSERT OR IGNORE INTO function_state (fn, state_key, value, version, updated_at) VALUES (?, ?, ?, 1, ?)'
        : 'INSERT IGNORE INTO function_state (fn, state_key, value, version, updated_at) VALUES (?, ?, ?, 1, ?)';
    return (await db.run(sql, [fn, key, json, now])).changes === 1;
  }
  const r = await db.run(
    'UPDATE function_state SET value = ?, version = version + 1, updated_at = ? WHERE fn = ? AND state_key = ? AND version = ?',
    [json, now, fn, key, expectedVersion],
  );
  return r.changes === 1;
}

/** Read-modify-write with retries on conflict. `update` must be pure: it may run more than once. */
export async function updateState<T, R>(
  db: Db,
  fn: string,
  key: string,
  update: (current: T | undefined) => { value: T; result: R },
  maxAttempts = 10,
): Promise<R> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const cur = await readState<T>(db, fn, key);
    const { value, result } = update(cur?.value);
    if (await writeState(db, fn, key, value, cur?.version ?? 0)) return result;
  }
  throw new Error(`state ${fn}/${key}: too many concurrent writers`);
}
