// `vigil tokens create --user U [--label L] [--json]`: an API token for programs calling the dashboard
// API (`Authorization: Bearer <token>`). Printed once; only its keyed hash is stored.
import { createApiToken, getUserByUsername, resolveSecret } from '../../storage/users-store.ts';
import { parseFlags, required } from '../args.ts';
import { withStorage } from '../open-storage.ts';
import { UsageError } from '../usage-error.ts';

const USAGE = `Usage:
  vigil tokens create --user NAME [--label TEXT] [--json]

Prints the new token once (with --json: {"token": "..."}); store it now, it cannot be shown again.
Storage comes from the same environment as vigil up (VIGIL_DATA_DIR, DATABASE_URL).`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'create') throw new UsageError(`unknown subcommand "${sub}"\n${USAGE}`);
  const { values } = parseFlags(rest, {
    user: { type: 'string' },
    label: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const username = required(values, 'user');
  return withStorage(async (db) => {
    const user = await getUserByUsername(db, username);
    if (!user) throw new UsageError(`--user: no user "${username}" (create one with: vigil users add)`);
    const label = values.label ?? `cli ${new Date().toISOString()}`;
    const { token } = await createApiToken(db, await resolveSecret(db), { userId: user.id, label });
    console.log(values.json ? JSON.stringify({ token }) : token);
    return 0;
  });
}
