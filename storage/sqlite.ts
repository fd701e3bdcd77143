// Embedded backend: better-sqlite3 in WAL mode. The driver is synchronous, so an async transaction
// would let other callers' statements slip into it; a FIFO lock serialises everything instead.
import Database from 'better-sqlite3';
import type { Db, Row, RunResult, SqlValue } from './db.ts';

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

  constructor(file: string) {
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before we acknowledge anything that depends on it.
    raw.pragma('synchronous = FULL');
    raw.pragma('busy_timeout = 10000');
    raw.pragma('foreign_keys = ON');
    this.#conn = new SqliteConn(raw);
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
  async tx<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const release = await this.#lock.acquire();
    try {
      // IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading a read lock.
      this.#conn.raw.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(new SqliteTx(this.#conn));
        this.#conn.raw.exec('COMMIT');
        return out;
      } catch (err) {
        if (this.#conn.raw.inTransaction) this.#conn.raw.exec('ROLLBACK');
        throw err;
      }
    } finally {
      release();
    }
  }
  async close(): Promise<void> {
    const release = await this.#lock.acquire();
    try {
      this.#conn.raw.close();
    } finally {
      release();
    }
  }
}
