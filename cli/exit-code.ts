// How every command ends: its own exit code, or 2 with a one-line message for a bad setting or flag.
import { ConfigError } from '../config/env.ts';
import { UsageError } from './usage-error.ts';

export async function exitCode(name: string, command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      console.error(`vigil ${name}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
