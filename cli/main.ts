// `vigil <command>`, the process entry of the CLI (`node dist/cli/main.js`, bin/vigil.js from sources).
// It only dispatches: each command lives in cli/commands/ and is loaded on demand, so a command starts
// without importing the others (the model, the browser, the load generator …).
import { exitCode } from './exit-code.ts';

/** `dev`: development commands, not compiled into the image (they need the sources, data or dev tools). */
const COMMANDS: Record<string, { file: string; summary: string; dev?: true }> = {
  up: { file: 'up', summary: 'run everything on this machine (broker, functions, ingest, dashboard)' },
  migrate: { file: 'migrate', summary: 'apply pending database migrations' },
  patients: { file: 'patients', summary: 'add, list patients; set heart-rate limits' },
  devices: { file: 'devices', summary: 'enrol, list, retire, revoke devices' },
  users: { file: 'users', summary: 'dashboard accounts' },
  tokens: { file: 'tokens', summary: 'API tokens for programs' },
  capacity: { file: 'capacity', summary: 'Erlang B/C capacity planning and max-scale patches' },
  serve: { file: 'serve', summary: 'serve one function (FUNCTION_TARGET) as the container does' },
  model: { file: 'model', summary: 'train and evaluate the seizure model', dev: true },
  simulate: { file: 'simulate', summary: 'replay real recordings as devices', dev: true },
  bench: { file: 'bench', summary: 'run the benchmarks under perf/', dev: true },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'usage: vigil <command> [options]   (vigil <command> --help for details)',
    '',
    ...Object.entries(COMMANDS).map(([c, { summary }]) => `  ${c.padEnd(width)}  ${summary}`),
  ].join('\n');
}

/** Sources run as .ts (tsx); the image runs the compiled .js next to this file. */
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`vigil: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const file = `./commands/${cmd.file}${EXT}`;
  let mod: { run(args: string[]): Promise<number> };
  try {
    mod = (await import(file)) as typeof mod;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
    if (!cmd.dev || !missing || !String((err as Error).message).includes(`commands/${cmd.file}${EXT}`))
      throw err;
    console.error(`vigil ${name}: a development command, not part of this build; run it from a checkout`);
    return 2;
  }
  return exitCode(name, () => mod.run(rest));
}

process.exitCode = await main(process.argv.slice(2));
