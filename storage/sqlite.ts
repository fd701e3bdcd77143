// Embedded backend: better-sqlite3 in WAL mode. The driver is synchronous, so an async transaction
// would let other callers' statements slip into it; a FIFO lock serialises everything instead.
// Checkpoints (copying the WAL into the database file, with an fsync) run on a separate thread, so
// they do not stall the event loop that answers devices.
import { type FileHandle, open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Db, Row, RunResult, SqlValue, TxOptions } from './db.ts';

class Lock {
  #tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => {
      release = r;
    });
    const ready = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => next);
    return ready;
  }
}

type Stmt = Database.Statement<unknown[]>;

/** The checkpointer: its own connection, PASSIVE checkpoints (never blocking writers) every CHECKPOINT_MS. */
const CHECKPOINT_MS = 250;
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (e) { parentPort.postMessage(String(e.message)); }
}, workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); process.exit(0); });
`;

function startCheckpointer(file: string): Worker {
  const w = new Worker(CHECKPOINTER_SOURCE, {
    eval: true,
    workerData: {
      file,
      everyMs: CHECKPOINT_MS,
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
    },
  });
  w.unref();
  return w;
}

class SqliteConn {
  readonly #stmts = new Map<string, Stmt>();
  constructor(readonly raw: Database.Database) {}
  stmt(sql: string): Stmt {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.raw.prepare(sql);
      if (this.#stmts.size > 500) this.#stmts.clear();
      this.#stmts.set(sql, s);
    }
    return s;
  }
}

function exec<T>(conn: SqliteConn, sql: string, params: readonly SqlValue[], mode: 'all' | 'get' | 'run'): T {
  const s = conn.stmt(sql);
  const args = params as unknown[];
  if (mode === 'run') {
    const r = s.run(...args);
    return { changes: r.changes, lastInsertId: Number(r.lastInsertRowid) } as T;
  }
  if (!s.reader) throw new Error(`not a query: ${sql.slice(0, 60)}`);
  return (mode === 'all' ? s.all(...args) : s.get(...args)) as T;
}

/** A Db bound to a transaction that already holds the lock. */
class SqliteTx implements Db {
  readonly dialect = 'sqlite' as const;
  constructor(private readonly conn: SqliteConn) {}
  async all<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return exec<T[]>(this.conn, sql, params, 'all');
  }
  async get<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return exec<T | undefined>(this.conn, sql, params, 'get');
  }
  async run(sql: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    return exec<RunResult>(this.conn, sql, params, 'run');
  }
  tx<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }
  async close(): Promise<void> {
    throw new Error('close() inside a transaction');
  }
}

export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  readonly #lock = new Lock();
  readonly #conn: SqliteConn;
  readonly #checkpointer: Worker;

  constructor(file: string) {
    const raw = new Database(file);
    // 16 KiB pages: a one-second 23-channel EEG chunk (23.5 KB of float32) spans 2 pages, not 6.
    // Only takes effect when the file is created.
    raw.pragma('page_size = 16384');
    raw.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a crash of this process; a power loss can lose the last commits.
    // Acknowledged data is committed with tx({durable: true}), which then fdatasyncs the WAL file (and
    // with it every earlier commit) on the libuv thread pool before resolving: the same guarantee as
    // synchronous=FULL, without blocking the event loop for the fsync, and one fsync for many commits.
    raw.pragma('synchronous = NORMAL');
    raw.pragma('busy_timeout = 10000');
    raw.pragma('foreign_keys = ON');
    // The checkpointer thread keeps the WAL short; this is only the backstop should it fall behind.
    raw.pragma('wal_autocheckpoint = 16384');
    this.#conn = new SqliteConn(raw);
    this.#checkpointer = startCheckpointer(file);
    this.#walFile = `${file}-wal`;
  }

  readonly #walFile: string;
  #wal: Promise<FileHandle> | undefined;
  #syncRunning: Promise<void> | undefined;
  #syncNext: Promise<void> | undefined;

  /**
   * Resolves once everything committed before the call is on stable storage. A sync already running
   * may have started before that commit, so callers join the next one, which starts when it ends.
   */
  #syncWal(): Promise<void> {
    if (this.#syncNext) return this.#syncNext;
    const next = (async () => {
      await this.#syncRunning?.catch(() => undefined);
      this.#syncNext = undefined;
      this.#wal ??= open(this.#walFile, 'r');
      const running = (await this.#wal).datasync();
      this.#syncRunning = running;
      await running;
    })();
    this.#syncNext = next;
    return next;
  }

  async #locked<T>(fn: () => T): Promise<T> {
    const release = await this.#lock.acquire();
    try {
      return fn();
    } finally {
      release();
    }
  }
  all<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#locked(() => exec<T[]>(this.#conn, sql, params, 'all'));
  }
  get<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.#locked(() => exec<T | undefined>(this.#conn, sql, params, 'get'));
  }
  run(sql: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    return this.#locked(() => exec<RunResult>(this.#conn, sql, params, 'run'));
  }
  async tx<T>(fn: (tx: Db) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    const release = await this.#lock.acquire();
    const raw = this.#conn.raw;
    let out: T;
    try {
      // IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading a read lock.
      raw.exec('BEGIN IMMEDIATE');
      try {
        out = await fn(new SqliteTx(this.#conn));
        raw.exec('COMMIT');
      } catch (err) {
        if (raw.inTransaction) raw.exec('ROLLBACK');
        throw err;
      }
    } finally {
      release();
    }
    // After the lock is released: other transactions go on while the disk syncs.
    if (opts.durable) await this.#syncWal();
    return out;
  }

  async close(): Promise<void> {
    const release = await this.#lock.acquire();
    try {
      await this.#checkpointer.terminate();
      await this.#syncNext?.catch(() => undefined);
      await this.#syncRunning?.catch(() => undefined);
      if (this.#wal) await (await this.#wal).close();
      this.#conn.raw.close();
    } finally {
      release();
    }
  }
}
