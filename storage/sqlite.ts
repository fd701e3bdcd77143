// Embedded backend: better-sqlite3 in WAL mode, on its own thread. The driver is synchronous, so on
// the main thread every write, fsync and checkpoint would stall ingest and the functions; here they
// run on the second core while the event loop goes on. A FIFO lock keeps transactions whole: another
// caller's statement never slips into an open transaction.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db, Row, RunResult, SqlValue, TxOptions } from './db.ts';

/** Runs in the worker (CommonJS, evaluated from this string so it needs no file of its own). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
// 16 KiB pages: a one-second 23-channel EEG chunk (23.5 KB of float32) spans 2 pages, not 6.
// Only takes effect when the file is created.
db.pragma('page_size = 16384');
db.pragma('journal_mode = WAL');
// NORMAL in WAL mode survives a crash of the process; a power loss can lose the last commits.
// Acknowledged data is committed with tx({ durable: true }): FULL syncs the WAL, and with it every
// earlier commit, before the commit returns.
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 10000');
db.pragma('foreign_keys = ON');
const cache = new Map();
function stmt(sql) {
  let s = cache.get(sql);
  if (!s) {
    s = db.prepare(sql);
    if (cache.size > 500) cache.clear();
    cache.set(sql, s);
  }
  return s;
}
// Structured clone turns Buffers into Uint8Arrays; the driver binds Buffers only.
const bind = (params) => params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
parentPort.on('message', (m) => {
  let result = null;
  try {
    if (m.op === 'all') result = stmt(m.sql).all(...bind(m.params));
    else if (m.op === 'get') result = stmt(m.sql).get(...bind(m.params)) ?? null;
    else if (m.op === 'run') {
      const r = stmt(m.sql).run(...bind(m.params));
      result = { changes: r.changes, lastInsertId: Number(r.lastInsertRowid) };
    } else if (m.op === 'exec') db.exec(m.sql);
    else if (m.op === 'rollback') { if (db.inTransaction) db.exec('ROLLBACK'); }
    else if (m.op === 'close') db.close();
    parentPort.postMessage({ id: m.id, result });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: e.message, code: e.code } });
  }
});
parentPort.postMessage({ id: 0, result: 'ready' });
`;

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

type Op = 'all' | 'get' | 'run' | 'exec' | 'rollback' | 'close';

export class SqliteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Gives BLOB columns back as Buffers (they cross the thread boundary as plain Uint8Arrays). */
function toBuffers<T>(row: T): T {
  if (row && typeof row === 'object')
    for (const [k, v] of Object.entries(row))
      if (v instanceof Uint8Array && !Buffer.isBuffer(v))
        (row as Record<string, unknown>)[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return row;
}

class SqliteThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  readonly ready: Promise<unknown>;

  constructor(file: string) {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
    });
    this.ready = new Promise((resolve, reject) => this.#pending.set(0, { resolve, reject }));
    this.#worker.on(
      'message',
      (m: { id: number; result?: unknown; error?: { message: string; code?: string } }) => {
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        if (m.error) p.reject(new SqliteError(m.error.message, m.error.code));
        else p.resolve(m.result);
      },
    );
    this.#worker.on('error', (err) => {
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    });
  }

  call<T>(op: Op, sql = '', params: readonly SqlValue[] = []): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ id, op, sql, params });
    });
  }

  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }
}

/** Statements of one transaction, sent straight to the thread (the caller holds the lock). */
class SqliteTx implements Db {
  readonly dialect = 'sqlite' as const;
  constructor(private readonly thread: SqliteThread) {}
  async all<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.thread.call<T[]>('all', sql, params)).map(toBuffers);
  }
  async get<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return toBuffers((await this.thread.call<T | null>('get', sql, params)) ?? undefined);
  }
  run(sql: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    return this.thread.call<RunResult>('run', sql, params);
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
  readonly #thread: SqliteThread;
  readonly #direct: SqliteTx;

  private constructor(thread: SqliteThread) {
    this.#thread = thread;
    this.#direct = new SqliteTx(thread);
  }

  static async open(file: string): Promise<SqliteDb> {
    const thread = new SqliteThread(file);
    try {
      await thread.ready;
    } catch (err) {
      await thread.terminate();
      throw err;
    }
    return new SqliteDb(thread);
  }

  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.#lock.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
  all<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#locked(() => this.#direct.all<T>(sql, params));
  }
  get<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.#locked(() => this.#direct.get<T>(sql, params));
  }
  run(sql: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    return this.#locked(() => this.#direct.run(sql, params));
  }
  tx<T>(fn: (tx: Db) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    return this.#locked(async () => {
      const t = this.#thread;
      if (opts.durable) await t.call('exec', 'PRAGMA synchronous = FULL');
      try {
        // IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading a read lock.
        await t.call('exec', 'BEGIN IMMEDIATE');
        try {
          const out = await fn(this.#direct);
          await t.call('exec', 'COMMIT');
          return out;
        } catch (err) {
          await t.call('rollback');
          throw err;
        }
      } finally {
        if (opts.durable) await t.call('exec', 'PRAGMA synchronous = NORMAL');
      }
    });
  }
  close(): Promise<void> {
    return this.#locked(async () => {
      await this.#thread.call('close');
      await this.#thread.terminate();
    });
  }
}
