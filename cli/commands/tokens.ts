// `vigil tokens create --user U [--label L] [--json]`: an API token for programs calling the dashboard
// API (`Authorization: Bearer <token>`). Printed once; only its keyed hash is stored.
import { parseArgs } from 'node:util';
import { openDb } from '../../storage/open.ts';
import { createApiToken, getUserByUsername, resolveSecret } from '../../storage/users-store.ts';

const USAGE = `Usage:
  vigil tokens create --user NAME [--label TEXT] [--json] [--data-dir DIR] [--database-url URL]

Prints the new token once (with --json: {"token": "..."}); store it now, it cannot be shown again.
Storage: --data-dir (default $VIGIL_DATA_DIR or ./.vigil) for SQLite, or --database-url / $DATABASE_URL for MySQL.`;

function fail(message: string): number {
  process.stderr.write(`vigil tokens: ${message}\n`);
  return 2;
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        user: { type: 'string' },
        label: { type: 'string' },
        json: { type: 'boolean' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (sub !== 'create') return fail(`unknown subcommand "${sub}"\n${USAGE}`);
  if (typeof values.user !== 'string' || values.user === '') return fail('--user is required');
  const db = await openDb({
    dataDir: (values['data-dir'] as string | undefined) || process.env.VIGIL_DATA_DIR || './.vigil',
    databaseUrl: (values['database-url'] as string | undefined) || process.env.DATABASE_URL || undefined,
  });
  try {
    const user = await getUserByUsername(db, values.user);
    if (!user) return fail(`--user: no user "${values.user}" (create one with: vigil users add)`);
    const secret = await resolveSecret(db);
    const label = typeof values.label === 'string' ? values.label : `cli ${new Date().toISOString()}`;
    const { token } = await createApiToken(db, secret, { userId: user.id, label });
    process.stdout.write(values.json ? `${JSON.stringify({ token })}\n` : `${token}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
