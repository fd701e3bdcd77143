// The container's process entry (`node --single-threaded-gc dist/cli/serve.js`, the image's CMD): serves the function
// FUNCTION_TARGET names on $PORT, as Knative runs it. `vigil serve` is the same command.
import { run } from './commands/serve.ts';
import { exitCode } from './exit-code.ts';

process.exitCode = await exitCode('serve', () => run(process.argv.slice(2)));
