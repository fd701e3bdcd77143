import { addPatient, ConflictError, listPatients } from '../../storage/patients-store.ts';
import { parseFlags, required } from '../args.ts';
import { withStorage } from '../open-storage.ts';
import { UsageError } from '../usage-error.ts';

const USAGE = `usage:
  vigil patients add --id ID --name NAME [--json]
  vigil patients list [--json]
  vigil patients limits --patient ID [--low BPM] [--high BPM] [--json]`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'limits') return (await import('./limits.ts')).run(rest);
  if (sub === 'add') {
    const { values } = parseFlags(rest, {
      id: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.help) return help();
    const id = required(values, 'id');
    const name = required(values, 'name');
    return withStorage(async (db) => {
      try {
        const p = await addPatient(db, { id, name });
        console.log(values.json ? JSON.stringify({ id: p.id, name: p.name }) : `added patient ${p.id}`);
        return 0;
      } catch (err) {
        if (err instanceof ConflictError) {
          console.error(`vigil patients add: ${err.message}`);
          return 1;
        }
        if (err instanceof Error && err.name === 'ZodError')
          throw new UsageError(`--id: letters, digits, ".", "_" or "-" (1-64)`);
        if (err instanceof RangeError) throw new UsageError(`--name: ${err.message}`);
        throw err;
      }
    });
  }
  if (sub === 'list') {
    const { values } = parseFlags(rest, { json: { type: 'boolean' } });
    if (values.help) return help();
    return withStorage(async (db) => {
      const all = await listPatients(db);
      if (values.json) console.log(JSON.stringify(all.map((p) => ({ id: p.id, name: p.name }))));
      else for (const p of all) console.log(`${p.id}\t${p.name}`);
      return 0;
    });
  }
  if (sub === '--help' || sub === '-h') return help();
  throw new UsageError(`unknown subcommand "${sub ?? ''}"\n${USAGE}`);
}

function help(): number {
  console.log(USAGE);
  return 0;
}
