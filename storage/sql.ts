// The few statements whose syntax differs between SQLite and MySQL, generated for either dialect.
import type { Db, SqlValue } from './db.ts';

/** MariaDB's max_allowed_packet is 16 MiB; stay well below it per statement. */
export const MAX_STATEMENT_BYTES = 8 * 1024 * 1024;
export const MAX_ROWS_PER_STATEMENT = 1000;

function placeholders(cols: number, rows: number): string {
  const one = `(${new Array(cols).fill('?').join(',')})`;
  return new Array(rows).fill(one).join(',');
}

/** `INSERT ... ` that silently skips rows violating a unique key (idempotent writes). */
export function insertIgnoreSql(db: Db, table: string, cols: readonly string[], rows: number): string {
  const verb = db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
  return `${verb} INTO ${table} (${cols.join(',')}) VALUES ${placeholders(cols.length, rows)}`;
}

export function insertSql(table: string, cols: readonly string[], rows: number): string {
  return `INSERT INTO ${table} (${cols.join(',')}) VALUES ${placeholders(cols.length, rows)}`;
}

/** Insert or, on a conflict with `keys`, overwrite `update` columns. */
export function upsertSql(
  db: Db,
  table: string,
  cols: readonly string[],
  keys: readonly string[],
  update: readonly string[],
): string {
  const base = insertSql(table, cols, 1);
  if (db.dialect === 'sqlite')
    return `${base} ON CONFLICT(${keys.join(',')}) DO UPDATE SET ${update.map((c) => `${c}=excluded.${c}`).join(',')}`;
  return `${base} ON DUPLICATE KEY UPDATE ${update.map((c) => `${c}=VALUES(${c})`).join(',')}`;
}

function valueBytes(v: SqlValue): number {
  if (v === null) return 4;
  if (typeof v === 'string') return v.length * 3 + 2;
  if (typeof v === 'number' || typeof v === 'bigint') return 24;
  return v.byteLength * 2 + 3; // hex-escaped by the MySQL client
}

/** Splits rows into runs that each fit one statement: at most MAX_ROWS_PER_STATEMENT rows and about MAX_STATEMENT_BYTES. */
function statementRuns<T extends readonly SqlValue[]>(rows: readonly T[]): (readonly T[])[] {
  const runs: (readonly T[])[] = [];
  let start = 0;
  while (start < rows.length) {
    let end = start;
    let bytes = 0;
    while (end < rows.length && end - start < MAX_ROWS_PER_STATEMENT) {
      const size = rows[end]!.reduce<number>((n, v) => n + valueBytes(v), 0);
      if (end > start && bytes + size > MAX_STATEMENT_BYTES) break;
      bytes += size;
      end++;
    }
    runs.push(rows.slice(start, end));
    start = end;
  }
  return runs;
}

function insertStatement(
  db: Db,
  table: string,
  cols: readonly string[],
  run: readonly (readonly SqlValue[])[],
  ignoreDuplicates: boolean,
): { sql: string; params: SqlValue[] } {
  const sql = ignoreDuplicates
    ? insertIgnoreSql(db, table, cols, run.length)
    : insertSql(table, cols, run.length);
  return { sql, params: run.flat() };
}

/**
 * Writes rows with multi-row statements, split so that no statement exceeds the row or byte budget.
 * Returns how many rows were actually inserted (ignored duplicates excluded).
 */
export async function insertRows(
  db: Db,
  table: string,
  cols: readonly string[],
  rows: readonly (readonly SqlValue[])[],
  opts: { ignoreDuplicates: boolean },
): Promise<number> {
  let inserted = 0;
  for (const run of statementRuns(rows)) {
    const { sql, params } = insertStatement(db, table, cols, run, opts.ignoreDuplicates);
    inserted += (await db.run(sql, params)).changes;
  }
  return inserted;
}

/**
 * insertRows that also reads back `returning` of every row it inserted (INSERT ... RETURNING, in
 * SQLite >= 3.35 and MariaDB >= 10.5): generated keys without a round trip per row. With
 * ignoreDuplicates, skipped rows return nothing.
 */
export async function insertRowsReturning<T>(
  db: Db,
  table: string,
  cols: readonly string[],
  rows: readonly (readonly SqlValue[])[],
  returning: readonly string[],
  opts: { ignoreDuplicates: boolean },
): Promise<T[]> {
  const out: T[] = [];
  for (const run of statementRuns(rows)) {
    const { sql, params } = insertStatement(db, table, cols, run, opts.ignoreDuplicates);
    out.push(...(await db.all<T>(`${sql} RETURNING ${returning.join(',')}`, params)));
  }
  return out;
}
