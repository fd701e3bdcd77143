// Opens the configured backend: MySQL when a DATABASE_URL is given, embedded SQLite otherwise.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './db.ts';
import { migrate } from './migrate.ts';
import { MysqlDb } from './mysql.ts';
import { SqliteDb } from './sqlite.ts';

export interface OpenOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  poolSize?: number;
}

export function sqliteFile(dataDir: string): string {
  return join(dataDir, 'vigil.sqlite');
}

export async function openDb(opts: OpenOptions): Promise<Db> {
  let db: Db;
  if (opts.databaseUrl) {
    db = new MysqlDb(opts.databaseUrl, opts.poolSize);
  } else {
    mkdirSync(opts.dataDir, { recursive: true });
    db = new SqliteDb(sqliteFile(opts.dataDir));
  }
  if (opts.migrate !== false) {
    try {
      await migrate(db);
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}
