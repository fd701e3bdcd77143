// One small SQL interface over both backends (embedded SQLite, MySQL/MariaDB), so every store
// is written once. Placeholders are `?` in both. Timestamps are epoch milliseconds (BIGINT).
export type Dialect = 'sqlite' | 'mysql';
export type SqlValue = string | number | bigint | null | Buffer | Uint8Array;
export type Row = Record<string, unknown>;

export interface RunResult {
  changes: number;
  lastInsertId: number;
}

export interface TxOptions {
  durable?: boolean;
}

export interface Db {
  readonly dialect: Dialect;
  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
  /**
   * Runs fn in one transaction; commits when it resolves, rolls back when it throws. Nested calls join
   * the outer one. `durable`: the commit is on stable storage before tx resolves, surviving power loss,
   * not just a crash of this process (and so is every commit before it). Use it for what is acknowledged.
   */
  tx<T>(fn: (tx: Db) => Promise<T>, opts?: TxOptions): Promise<T>;
  close(): Promise<void>;
}
