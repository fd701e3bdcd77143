// Applies pending migrations once, even when several processes or replicas start together.
import type { Db } from './db.ts';
import { MIGRATIONS } from './migrations/index.ts';

const CREATE_TABLE = {
  sqlite: `CREATE TABLE IF NOT EXISTS schema_migrations (id INT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
  mysql: `CREATE TABLE IF NOT EXISTS schema_migrations (id INT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL) ENGINE=InnoDB`,
};

export async function migrate(db: Db, log: (line: string) => void = () => undefined): Promise<number[]> {
  await db.run(CREATE_TABLE[db.dialect]);
  const ids = MIGRATIONS.map((m) => m.id);
  if (new Set(ids).size !== ids.length) throw new Error(`duplicate migration id in ${ids.join(',')}`);
  const ordered = [...MIGRATIONS].sort((a, b) => a.id - b.id);
  if (db.dialect === 'mysql') {
    // DDL is not transactional in MySQL: a named lock keeps two replicas from racing.
    const got = await db.get<{ ok: number }>(`SELECT GET_LOCK('vigil_migrate', 60) AS ok`);
    if (got?.ok !== 1) throw new Error('could not take the migration lock within 60 s');
  }
  const applied: number[] = [];
  try {
    const done = new Set(
      (await db.all<{ id: number }>('SELECT id FROM schema_migrations')).map((r) => Number(r.id)),
    );
    for (const m of ordered) {
      if (done.has(m.id)) continue;
      await db.tx(async (tx) => {
        for (const stmt of m[db.dialect]) await tx.run(stmt);
        await tx.run('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)', [
          m.id,
          m.name,
          Date.now(),
        ]);
      });
      applied.push(m.id);
      log(`applied migration ${m.id}: ${m.name}`);
    }
  } finally {
    if (db.dialect === 'mysql') await db.get(`SELECT RELEASE_LOCK('vigil_migrate')`);
  }
  return applied;
}
