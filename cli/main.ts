// `vigil <command>`: dispatches to cli/commands/<command>.ts, loaded on demand so each command
// starts without importing the others (the model, the browser, the load generator …).
import { ConfigError } from '../config/env.ts';

const COMMANDS: Record<string, { file: string; summary: string }> = {
  up: {
    file: './commands/up.ts',
    summary: 'run everything on this machine (broker, functions, ingest, dashboard)',
  },
  migrate: { file: './commands/migrate.ts', summary: 'apply pending database migrations' },
  patients: { file: './commands/patients.ts', summary: 'add, list patients; set heart-rate limits' },
  devices: { file: './commands/devices.ts', summary: 'enrol, list, revoke devices' },
  users: { file: './commands/users.ts', summary: 'dashboard accounts' },
  tokens: { file: './commands/tokens.ts', summary: 'API tokens for programs' },
  model: { file: './commands/model.ts', summary: 'train and evaluate the seizure model' },
  capacity: { file: './commands/capacity.ts', summary: 'Erlang B/C capacity planning and max-scale patches' },
  simulate: { file: './commands/simulate.ts', summary: 'replay real recordings as devices' },
  bench: { file: './commands/bench.ts', summary: 'run the benchmarks under perf/' },
  serve: { file: './serve.ts', summary: 'serve one function (FUNCTION_TARGET) as the container does' },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'usage: vigil <command> [options]   (vigil <command> --help for details)',
    '',
    ...Object.entries(COMMANDS).map(([c, { summary }]) => `  ${c.padEnd(width)}  ${summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
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
  try {
    // Sources run as .ts (tsx); the container runs the compiled .js next to this file.
    const file = import.meta.url.endsWith('.ts') ? cmd.file : cmd.file.replace(/\.ts$/, '.js');
    const mod = (await import(file)) as { run(args: string[]): Promise<number> };
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`vigil: ${err.message}`);
      return 2;
    }
    if (err instanceof UsageError) {
      console.error(`vigil ${name}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

/** Thrown by commands for bad flags: printed without a stack, exit code 2. */
export class UsageError extends Error {}

// `node dist/cli/main.js <command>` in the container (the migrate Job); bin/vigil.js calls main() itself.
if (process.argv[1] && /cli[\\/]main\.(js|ts)$/.test(process.argv[1]))
  process.exitCode = await main(process.argv.slice(2));
