// Real backends for tests: a fresh SQLite file, and a fresh throw-away MariaDB database per open().

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { toolSettings } from '../config/env.ts';
import type { Db } from './db.ts';
import { openDb } from './open.ts';

export const TEST_MYSQL_URL =
  toolSettings().VIGIL_TEST_MYSQL_URL ?? 'mysql://vigil_test:vigil_test@127.0.0.1:3306/test';

export interface TestBackend {
  name: 'sqlite' | 'mysql';
  open(): Promise<Db>;
}

async function openSqlite(): Promise<Db> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-test-'));
  const db = await openDb({ dataDir: dir });
  const close = db.close.bind(db);
  return Object.assign(db, {
    close: async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** A database named vigil_t_<random>, dropped again on close (the test user may only touch vigil_t_*). */
export async function createMysqlTestDatabase(): Promise<string> {
  const name = `vigil_t_${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection(TEST_MYSQL_URL);
  try {
    await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_MYSQL_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropMysqlTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^vigil_t_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}`);
  const admin = await mysql.createConnection(TEST_MYSQL_URL);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  } finally {
    await admin.end();
  }
}

async function openMysql(): Promise<Db> {
  const url = await createMysqlTestDatabase();
  const db = await openDb({ dataDir: '', databaseUrl: url, poolSize: 4 });
  const close = db.close.bind(db);
  return Object.assign(db, {
    close: async () => {
      await close();
      await dropMysqlTestDatabase(url);
    },
  });
}

export const testBackends: TestBackend[] = [
  { name: 'sqlite', open: openSqlite },
  { name: 'mysql', open: openMysql },
];

/**
 * The same Db, counting the statements run through it, transactions included: on MariaDB each one
 * is a network round trip, so a test can pin how many a piece of work costs.
 */
export function countStatements(db: Db): { db: Db; statements: () => number } {
  let n = 0;
  const wrap = (inner: Db): Db => ({
    dialect: inner.dialect,
    all: (sql, params) => {
      n++;
      return inner.all(sql, params);
    },
    get: (sql, params) => {
      n++;
      return inner.get(sql, params);
    },
    run: (sql, params) => {
      n++;
      return inner.run(sql, params);
    },
    tx: (fn, opts) => inner.tx((t) => fn(wrap(t)), opts),
    close: () => inner.close(),
  });
  return { db: wrap(db), statements: () => n };
}
