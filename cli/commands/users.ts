// `vigil users add|list|disable|enable|reset-password|audit`: dashboard accounts from the command line.
// Passwords are read from stdin (never from argv, which other users can see in `ps`). Every change is
// in the account audit log with the actor `cli`.
import { accountAudit } from '../../storage/account-audit-store.ts';
import { PASSWORD_POLICY } from '../../storage/password-policy.ts';
import {
  createUser,
  isRole,
  listUserSummaries,
  ROLES,
  resolveSecret,
  setPassword,
  setUserDisabled,
  UserInputError,
} from '../../storage/users-store.ts';
import { parseFlags, required } from '../args.ts';
import { withStorage } from '../open-storage.ts';
import { UsageError } from '../usage-error.ts';

const USAGE = `Usage:
  vigil users add --username NAME --password-stdin --role clinician|admin
  vigil users list [--json]
  vigil users disable --username NAME      (signs the user out; no sign-in or API token works)
  vigil users enable --username NAME
  vigil users reset-password --username NAME --password-stdin   (ends every session of the user)
  vigil users audit [--username NAME] [--limit N] [--json]

Storage comes from the same environment as vigil up (VIGIL_DATA_DIR, DATABASE_URL).
A password is ${PASSWORD_POLICY.minLength}-${PASSWORD_POLICY.maxLength} characters and must not be easy to guess (common
passwords, repeats, sequences and keyboard rows are refused); it is the first line of stdin, e.g.
  printf '%s\\n' "$PW" | vigil users add ...
Passwords are peppered with VIGIL_SESSION_SECRET when set: use the same value as the dashboard.`;

export async function readStdinLine(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

function asUsage(err: unknown): never {
  if (err instanceof UserInputError)
    throw new UsageError(`--${err.field === 'password' ? 'password-stdin' : err.field}: ${err.message}`);
  throw err;
}

export async function run(args: string[], io: { stdin?: NodeJS.ReadableStream } = {}): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(USAGE);
    return sub === undefined ? 2 : 0;
  }
  const password = async (values: Record<string, unknown>) => {
    if (!values['password-stdin'])
      throw new UsageError('--password-stdin is required (the password is read from stdin)');
    return readStdinLine(io.stdin ?? process.stdin);
  };
  if (sub === 'list') {
    const { values } = parseFlags(rest, { json: { type: 'boolean' } });
    return withStorage(async (db) => {
      const users = await listUserSummaries(db);
      if (values.json) console.log(JSON.stringify(users));
      else for (const u of users) console.log(`${u.username}\t${u.role}${u.disabled ? '\tdisabled' : ''}`);
      return 0;
    });
  }
  if (sub === 'audit') {
    const { values } = parseFlags(rest, {
      username: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    });
    const limit = values.limit === undefined ? 100 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit: 1-1000');
    return withStorage(async (db) => {
      const entries = await accountAudit(db, {
        ...(values.username ? { username: values.username } : {}),
        limit,
      });
      if (values.json) console.log(JSON.stringify(entries));
      else
        for (const e of entries)
          console.log(
            `${new Date(e.at).toISOString()}\t${e.action}\t${e.username}\tby ${e.actor}${e.clientIp ? `\tfrom ${e.clientIp}` : ''}${e.detail ? `\t${e.detail}` : ''}`,
          );
      return 0;
    });
  }
  if (sub === 'disable' || sub === 'enable') {
    const { values } = parseFlags(rest, { username: { type: 'string' } });
    const username = required(values, 'username');
    return withStorage(async (db) => {
      await setUserDisabled(db, { username, disabled: sub === 'disable', actor: 'cli' }).catch(asUsage);
      console.log(`${sub}d ${username}`);
      return 0;
    });
  }
  if (sub === 'reset-password') {
    const { values } = parseFlags(rest, {
      username: { type: 'string' },
      'password-stdin': { type: 'boolean' },
    });
    const username = required(values, 'username');
    const pw = await password(values);
    return withStorage(async (db) => {
      await setPassword(db, await resolveSecret(db), {
        username,
        password: pw,
        actor: 'cli',
        action: 'password-reset',
      }).catch(asUsage);
      console.log(`password of ${username} reset; every session of the user has ended`);
      return 0;
    });
  }
  if (sub !== 'add') throw new UsageError(`unknown subcommand "${sub}"\n${USAGE}`);
  const { values } = parseFlags(rest, {
    username: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    role: { type: 'string' },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const username = required(values, 'username');
  const role = values.role;
  if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  const pw = await password(values);
  return withStorage(async (db) => {
    const user = await createUser(db, await resolveSecret(db), { username, password: pw, role }).catch(
      asUsage,
    );
    console.log(`created ${user.role} ${user.username}`);
    return 0;
  });
}
