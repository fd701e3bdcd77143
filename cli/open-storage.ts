// Commands open the same storage `vigil up` uses, from the same environment.
import { loadConfig } from '../config/env.ts';
import type { Db } from '../storage/db.ts';
import { openDb } from '../storage/open.ts';

export async function withStorage<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const cfg = loadConfig();
  const db = await openDb({ dataDir: cfg.dataDir, databaseUrl: cfg.DATABASE_URL, poolSize: 2 });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
