// `vigil users add --username U --password-stdin --role clinician|admin`: creates a dashboard account.
// The password is read from stdin (never from argv, which other users can see in `ps`).
import { parseArgs } from 'node:util';
import { openDb } from '../../storage/open.ts';
import {
  createUser,
  isRole,
  listUsers,
  ROLES,
  resolveSecret,
  UserInputError,
} from '../../storage/users-store.ts';

const USAGE = `Usage:
  vigil users add --username NAME --password-stdin --role clinician|admin [--data-dir DIR] [--database-url URL]
  vigil users list [--data-dir DIR] [--database-url URL]

Storage: --data-dir (default $VIGIL_DATA_DIR or ./.vigil) for SQLite, or --database-url / $DATABASE_URL for MySQL.
The password (at least 10 characters) is the first line of stdin, e.g.  printf '%s\\n' "$PW" | vigil users add ...
Passwords are peppered with VIGIL_SESSION_SECRET when set: use the same value as the dashboard.`;

export async function readStdinLine(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

function fail(message: string): number {
  process.stderr.write(`vigil users: ${message}\n`);
  return 2;
}

export async function run(args: string[], io: { stdin?: NodeJS.ReadableStream } = {}): Promise<number> {
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
        username: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        role: { type: 'string' },
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
  if (sub !== 'add' && sub !== 'list') return fail(`unknown subcommand "${sub}"\n${USAGE}`);
  let password = '';
  if (sub === 'add') {
    if (typeof values.username !== 'string') return fail('--username is required');
    if (!isRole(values.role)) return fail(`--role must be one of ${ROLES.join(', ')}`);
    if (!values['password-stdin'])
      return fail('--password-stdin is required (the password is read from stdin)');
    password = await readStdinLine(io.stdin ?? process.stdin);
  }
  const db = await openDb({
    dataDir: (values['data-dir'] as string | undefined) || process.env.VIGIL_DATA_DIR || './.vigil',
    databaseUrl: (values['database-url'] as string | undefined) || process.env.DATABASE_URL || undefined,
  });
  try {
    if (sub === 'list') {
      for (const u of await listUsers(db)) process.stdout.write(`${u.username}\t${u.role}\n`);
      return 0;
    }
    const secret = await resolveSecret(db);
    const user = await createUser(db, secret, {
      username: values.username as string,
      password,
      role: values.role as 'clinician' | 'admin',
    });
    process.stdout.write(`created ${user.role} ${user.username}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UserInputError)
      return fail(`--${err.field === 'password' ? 'password-stdin' : err.field}: ${err.message}`);
    throw err;
  } finally {
    await db.close();
  }
}
