// `vigil tokens create|list|revoke`: API tokens for programs calling the dashboard API
// (`Authorization: Bearer <token>`). A token is printed once (only its keyed hash is stored), has a
// scope (read-only by default) and an expiry (90 days by default, at most 365).
import {
  createApiToken,
  getUserByUsername,
  isTokenScope,
  listApiTokens,
  resolveSecret,
  revokeApiToken,
  TOKEN_DEFAULT_DAYS,
  TOKEN_MAX_DAYS,
  TOKEN_SCOPES,
} from '../../storage/users-store.ts';
import { parseFlags, required } from '../args.ts';
import { withStorage } from '../open-storage.ts';
import { UsageError } from '../usage-error.ts';

const USAGE = `Usage:
  vigil tokens create --user NAME [--scope read-only|read-write] [--days N] [--label TEXT] [--json]
  vigil tokens list [--user NAME] [--json]
  vigil tokens revoke --id N

create prints the new token once (with --json: {"id", "token", "scope", "expiresAt"}); store it now,
it cannot be shown again. The scope is read-only unless --scope read-write; a token expires after
--days (default ${TOKEN_DEFAULT_DAYS}, at most ${TOKEN_MAX_DAYS}). Revoked tokens stop working at once.
Storage comes from the same environment as vigil up (VIGIL_DATA_DIR, DATABASE_URL).`;

const iso = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'list') {
    const { values } = parseFlags(rest, { user: { type: 'string' }, json: { type: 'boolean' } });
    return withStorage(async (db) => {
      const tokens = await listApiTokens(db, values.user ? { username: values.user } : {});
      if (values.json) console.log(JSON.stringify(tokens));
      else
        for (const t of tokens)
          console.log(
            `${t.id}\t${t.username}\t${t.scope}\t${t.revokedAt ? 'revoked' : t.expiresAt !== null && t.expiresAt <= Date.now() ? 'expired' : 'active'}\texpires ${iso(t.expiresAt)}\tlast used ${iso(t.lastUsedAt)}\t${t.label}`,
          );
      return 0;
    });
  }
  if (sub === 'revoke') {
    const { values } = parseFlags(rest, { id: { type: 'string' } });
    const id = Number(required(values, 'id'));
    if (!Number.isInteger(id) || id < 1) throw new UsageError('--id: a token id from vigil tokens list');
    return withStorage(async (db) => {
      if (!(await revokeApiToken(db, id, Date.now(), 'cli'))) {
        console.error(`no active token ${id}`);
        return 1;
      }
      console.log(`revoked token ${id}`);
      return 0;
    });
  }
  if (sub !== 'create') throw new UsageError(`unknown subcommand "${sub}"\n${USAGE}`);
  const { values } = parseFlags(rest, {
    user: { type: 'string' },
    label: { type: 'string' },
    scope: { type: 'string' },
    days: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const username = required(values, 'user');
  const scope = values.scope ?? 'read-only';
  if (!isTokenScope(scope)) throw new UsageError(`--scope must be one of ${TOKEN_SCOPES.join(', ')}`);
  const days = values.days === undefined ? TOKEN_DEFAULT_DAYS : Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > TOKEN_MAX_DAYS)
    throw new UsageError(`--days: a whole number of days, 1-${TOKEN_MAX_DAYS}`);
  return withStorage(async (db) => {
    const user = await getUserByUsername(db, username);
    if (!user) throw new UsageError(`--user: no user "${username}" (create one with: vigil users add)`);
    const label = values.label ?? `cli ${new Date().toISOString()}`;
    const t = await createApiToken(db, await resolveSecret(db), { userId: user.id, label, scope, days });
    console.log(
      values.json
        ? JSON.stringify({
            id: t.id,
            token: t.token,
            scope: t.scope,
            expiresAt: new Date(t.expiresAt).toISOString(),
          })
        : t.token,
    );
    return 0;
  });
}
