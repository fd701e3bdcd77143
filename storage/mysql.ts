// MySQL / MariaDB backend over a mysql2 pool. Statements that carry binary data (EEG samples, outbox
// payloads) go as prepared statements (`execute`): the binary protocol sends the bytes as they are,
// where `query`'s client-side escaping writes every byte as two hex digits and scans every string.
// The rest stay `query`: they are small, and their shapes vary (multi-row inserts, IN lists) more than
// a per-connection statement cache should hold.
import mysql from 'mysql2/promise';
import type { Db, Row, RunResult, SqlValue, TxOptions } from './db.ts';

type Queryable = Pick<mysql.Pool, 'query' | 'execute'>;

const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);
const MAX_ATTEMPTS = 8;

const binary = (v: SqlValue) => v instanceof Uint8Array;

async function q(conn: Queryable, sql: string, params: readonly SqlValue[]): Promise<unknown> {
  const [rows] = params.some(binary)
    ? await conn.execute(sql, params as unknown[] as (string | number | Buffer | null)[])
    : await conn.query(sql, params as unknown[]);
  return rows;
}

class MysqlConnDb implements Db {
  readonly dialect = 'mysql' as const;
  constructor(protected readonly conn: Queryable) {}
  async all<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await q(this.conn, sql, params)) as T[];
  }
  async get<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return ((await q(this.conn, sql, params)) as T[])[0];
  }
  async run(sql: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    const r = (await q(this.conn, sql, params)) as mysql.ResultSetHeader;
    return { changes: r.affectedRows, lastInsertId: Number(r.insertId) };
  }
  tx<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }
  async close(): Promise<void> {
    throw new Error('close() inside a transaction');
  }
}

export class MysqlDb extends MysqlConnDb {
  readonly #pool: mysql.Pool;
  constructor(url: string, poolSize = 10) {
    const pool = mysql.createPool({
      uri: url,
      connectionLimit: poolSize,
      supportBigNumbers: true,
      // No stack captured at every call (an Error per statement, about 1.5 % of the event loop under EEG
      // load): a failed statement still carries its message, SQL state and code.
      trace: false,
      // Prepared statements kept per connection (binary inserts of a few row counts per table); the
      // least recently used is closed on the server beyond this, far below max_prepared_stmt_count.
      maxPreparedStatements: 64,
      bigNumberStrings: false,
      dateStrings: true,
      charset: 'utf8mb4',
      timezone: 'Z',
    });
    super(pool);
    this.#pool = pool;
  }
  // InnoDB's default (innodb_flush_log_at_trx_commit=1) makes every commit durable, so `durable` needs nothing extra.
  override async tx<T>(fn: (tx: Db) => Promise<T>, _opts?: TxOptions): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const conn = await this.#pool.getConnection();
      try {
        await conn.beginTransaction();
        const out = await fn(new MysqlConnDb(conn));
        await conn.commit();
        return out;
      } catch (err) {
        await conn.rollback().catch(() => undefined);
        const code = (err as { code?: string }).code;
        if (!(attempt < MAX_ATTEMPTS && code && RETRYABLE.has(code))) throw err;
      } finally {
        conn.release();
      }
      // Transactions that deadlocked together would collide again if retried at once: back off at random.
      await new Promise((r) => setTimeout(r, Math.random() * 5 * 2 ** attempt));
    }
  }

  override async close(): Promise<void> {
    await this.#pool.end();
  }
}
