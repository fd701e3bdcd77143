// Smoke test of one freshly deployed revision through its tag URL: posts a real event and checks its
// effect. Used by .github/workflows/deploy-function.yml before the candidate gets any traffic.
//
//   npx tsx deploy/smoke.ts --target <function> --url <candidate URL> [--dashboard-url URL] [--connect-to IP]
//
// Environment (from CI secrets/variables): VIGIL_SMOKE_PATIENT_ID, VIGIL_SMOKE_DEVICE_ID,
// VIGIL_SMOKE_DEVICE_TOKEN (ingest), VIGIL_SMOKE_API_TOKEN (dashboard API; recorder, ingest effect).
// Exit code 0 = healthy, 1 = check failed (roll back), 2 = usage error.
import { parseArgs } from 'node:util';
import { FUNCTION_TARGETS, type FunctionTarget } from '../functions/targets.ts';
import { env } from './checks.ts';
import { smoke } from './smoke-checks.ts';

const USAGE =
  'usage: tsx deploy/smoke.ts --target <' +
  FUNCTION_TARGETS.join('|') +
  '> --url <candidate URL> [--dashboard-url URL] [--connect-to IP]';

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        target: { type: 'string' },
        url: { type: 'string' },
        'dashboard-url': { type: 'string' },
        'connect-to': { type: 'string' },
      },
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const target = values.target as FunctionTarget | undefined;
  if (!target || !(FUNCTION_TARGETS as readonly string[]).includes(target) || !values.url) {
    process.stderr.write(`--target (a function) and --url are required\n${USAGE}\n`);
    return 2;
  }
  try {
    await smoke({
      target,
      url: values.url,
      dashboardUrl: values['dashboard-url'],
      connectTo: values['connect-to'],
      who: { patientId: env('VIGIL_SMOKE_PATIENT_ID'), deviceId: env('VIGIL_SMOKE_DEVICE_ID') },
      deviceToken: env('VIGIL_SMOKE_DEVICE_TOKEN', false) || undefined,
      apiToken: env('VIGIL_SMOKE_API_TOKEN', false) || undefined,
    });
    return 0;
  } catch (e) {
    process.stderr.write(`FAIL ${target}: ${(e as Error).message}\n`);
    return 1;
  }
}

// Flags start at the first "--" argument: works under tsx and for the bundle fed to `node -` in a pod.
const first = process.argv.findIndex((a, i) => i > 0 && a.startsWith('--'));
process.exitCode = await main(first < 0 ? [] : process.argv.slice(first));
