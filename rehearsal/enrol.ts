// Enrols a test patient, device, user and API token with the image's own CLI (`node dist/cli/main.js`
// from the scratch image, as an operator would run it in a pod), against the database the
// containers use. The tokens it prints are what deploy/smoke.ts and deploy/e2e.ts need.
import { randomBytes } from 'node:crypto';
import type { BuiltImage } from './image/build.ts';
import { runToCompletion } from './image/container.ts';

export interface Enrolment {
  patientId: string;
  deviceId: string;
  deviceToken: string;
  username: string;
  apiToken: string;
}

export class EnrolError extends Error {}

async function cli(
  image: BuiltImage,
  env: Record<string, string>,
  args: string[],
  stdin?: string,
): Promise<string> {
  const r = await runToCompletion(image, {
    name: `vigil ${args.slice(0, 2).join(' ')}`,
    command: ['node', 'dist/cli/main.js', ...args],
    env,
    ...(stdin !== undefined ? { stdin } : {}),
  });
  if (r.code !== 0) throw new EnrolError(`vigil ${args.slice(0, 2).join(' ')} exited ${r.code}: ${r.tail}`);
  return r.stdout;
}

const lastJson = (out: string): Record<string, string> =>
  JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, string>;

/** `env` is the database part of a container's env (DATABASE_URL or VIGIL_DATA_DIR) and the session secret. */
export async function enrolWithCli(
  image: BuiltImage,
  env: Record<string, string>,
  label = 'rehearsal',
): Promise<Enrolment> {
  const patientId = `${label}-${randomBytes(3).toString('hex')}`;
  await cli(image, env, ['patients', 'add', '--id', patientId, '--name', `Rehearsal ${patientId}`, '--json']);
  const dev = lastJson(await cli(image, env, ['devices', 'enroll', '--patient', patientId, '--json']));
  const username = `${label}-${randomBytes(3).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  await cli(
    image,
    env,
    ['users', 'add', '--username', username, '--role', 'admin', '--password-stdin'],
    `${password}\n`,
  );
  const tok = lastJson(
    await cli(image, env, ['tokens', 'create', '--user', username, '--label', label, '--json']),
  );
  if (!dev.deviceId || !dev.token || !tok.token)
    throw new EnrolError('the CLI printed no device or API token');
  return { patientId, deviceId: dev.deviceId, deviceToken: dev.token, username, apiToken: tok.token };
}
