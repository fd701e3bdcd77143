// A schema change, written once per dialect (DDL differs too much to generate reliably).
export interface Migration {
  id: number;
  name: string;
  sqlite: string[];
  mysql: string[];
}

const MYSQL_TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/** Appends the engine/charset clause every MySQL table needs. */
export function mysqlTable(ddl: string): string {
  return `${ddl} ${MYSQL_TABLE}`;
}
