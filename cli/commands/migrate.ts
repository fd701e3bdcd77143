import { loadConfig } from '../../config/env.ts';
import { migrate } from '../../storage/migrate.ts';
import { openDb } from '../../storage/open.ts';
import { parseFlags } from '../args.ts';

export async function run(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {});
  if (values.help) {
    console.log(
      'usage: vigil migrate\n\nApplies pending migrations to DATABASE_URL (MySQL) or the SQLite file in VIGIL_DATA_DIR.',
    );
    return 0;
  }
  const cfg = loadConfig();
  const db = await openDb({
    dataDir: cfg.dataDir,
    databaseUrl: cfg.DATABASE_URL,
    migrate: false,
    poolSize: 1,
  });
  try {
    const applied = await migrate(db, (line) => console.log(line));
    console.log(applied.length ? `applied ${applied.length} migration(s)` : 'database is up to date');
    return 0;
  } finally {
    await db.close();
  }
}
