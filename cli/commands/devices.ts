import {
  deviceState,
  enrollDevice,
  listDevices,
  NotFoundError,
  retireDevice,
  revokeDevice,
} from '../../storage/patients-store.ts';
import { parseFlags, required } from '../args.ts';
import { withStorage } from '../open-storage.ts';
import { UsageError } from '../usage-error.ts';

const USAGE = `usage:
  vigil devices enroll --patient ID [--kind KIND] [--json]   prints the device token once
  vigil devices list [--patient ID] [--json]
  vigil devices retire --device ID   taken out of service: token stops working, no device-silent alarm
  vigil devices revoke --device ID   token lost or compromised: it stops working at once`;

const END = { retire: retireDevice, revoke: revokeDevice } as const;
const DONE = { retire: 'retired', revoke: 'revoked' } as const;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'enroll' || sub === 'enrol') {
    const { values } = parseFlags(rest, {
      patient: { type: 'string' },
      kind: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.help) return help();
    const patientId = required(values, 'patient');
    return withStorage(async (db) => {
      try {
        const d = await enrollDevice(db, { patientId, kind: values.kind ?? 'generic' });
        if (values.json) console.log(JSON.stringify(d));
        else
          console.log(
            `enrolled device ${d.deviceId} for patient ${d.patientId}\ntoken (shown once, store it on the device): ${d.token}`,
          );
        return 0;
      } catch (err) {
        if (err instanceof NotFoundError) {
          console.error(`vigil devices enroll: ${err.message}`);
          return 1;
        }
        throw err;
      }
    });
  }
  if (sub === 'list') {
    const { values } = parseFlags(rest, { patient: { type: 'string' }, json: { type: 'boolean' } });
    if (values.help) return help();
    return withStorage(async (db) => {
      const all = await listDevices(db, values.patient);
      if (values.json) console.log(JSON.stringify(all));
      else
        for (const d of all)
          console.log(
            `${d.id}\t${d.patientId}\t${d.kind}\t${deviceState(d)}\t${d.lastSeenAt ? `seen ${new Date(d.lastSeenAt).toISOString()}` : 'never seen'}`,
          );
      return 0;
    });
  }
  if (sub === 'retire' || sub === 'revoke') {
    const { values } = parseFlags(rest, { device: { type: 'string' } });
    if (values.help) return help();
    const id = required(values, 'device');
    return withStorage(async (db) => {
      try {
        await END[sub](db, id);
        console.log(`${DONE[sub]} device ${id}`);
        return 0;
      } catch (err) {
        if (err instanceof NotFoundError) {
          console.error(`vigil devices ${sub}: ${err.message}`);
          return 1;
        }
        throw err;
      }
    });
  }
  if (sub === '--help' || sub === '-h') return help();
  throw new UsageError(`unknown subcommand "${sub ?? ''}"\n${USAGE}`);
}

function help(): number {
  console.log(USAGE);
  return 0;
}
