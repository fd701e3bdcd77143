// `vigil users add --username U --password-stdin --role clinician|admin`: creates a dashboard account.
// The password is read from stdin (never from argv, which other users can see in `ps`).
import {
  createUser,
  isRole,
  listUsers,
  ROLES,
  resolveSecret,
  UserInputError,
} from '../../storage/users-store.ts';
import { parseFlags, required } from '../args.ts';
import { withStorage } from '../open-storage.ts';
import { UsageError } from '../usage-error.ts';

const USAGE = `Usage:
  vigil users add --username NAME --password-stdin --role clinician|admin
  vigil users list

Storage comes from the same environment as vigil up (VIGIL_DATA_DIR, DATABASE_URL).
The password (at least 10 characters) is the first line of stdin, e.g.  printf '%s\\n' "$PW" | vigil users add ...
Passwords are peppered with VIGIL_SESSION_SECRET when set: use the same value as the dashboard.`;

export async function readStdinLine(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

export async function run(args: string[], io: { stdin?: NodeJS.ReadableStream } = {}): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'list') {
    parseFlags(rest, {});
    return withStorage(async (db) => {
      for (const u of await listUsers(db)) console.log(`${u.username}\t${u.role}`);
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
  if (!values['password-stdin'])
    throw new UsageError('--password-stdin is required (the password is read from stdin)');
  const password = await readStdinLine(io.stdin ?? process.stdin);
  return withStorage(async (db) => {
    try {
      const user = await createUser(db, await resolveSecret(db), { username, password, role });
      console.log(`created ${user.role} ${user.username}`);
      return 0;
    } catch (err) {
      if (err instanceof UserInputError)
        throw new UsageError(`--${err.field === 'password' ? 'password-stdin' : err.field}: ${err.message}`);
      throw err;
    }
  });
}
