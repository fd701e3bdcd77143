// `npm run rehearse`: the cluster path rehearsed on one machine (rehearsal/start.ts), a TEST FIXTURE,
// never a production runtime. Without flags it runs until Ctrl-C and prints the addresses and a demo
// device and API token (send data with `npx vigil simulate --url <ingest> --token <patient>:<device>:<token>`).
//
//   npm run rehearse [-- --check] [-- --fresh] [-- --verbose]
//
// --check runs rehearsal/check.ts against it and exits: 0 only if every check held. --fresh installs
// the production dependencies again. Everything it started is stopped on exit, failure or Ctrl-C.
import { parseArgs } from 'node:util';
import { runChecks } from './check.ts';
import { enrolWithCli } from './enrol.ts';
import { type Rehearsal, startRehearsal } from './start.ts';

async function main(argv: string[]): Promise<number> {
  let values: { check?: boolean; fresh?: boolean; verbose?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { check: { type: 'boolean' }, fresh: { type: 'boolean' }, verbose: { type: 'boolean' } },
    }));
  } catch (e) {
    process.stderr.write(
      `${(e as Error).message}\nusage: npm run rehearse [-- --check] [-- --fresh] [-- --verbose]\n`,
    );
    return 2;
  }
  const started = Date.now();
  const out = (l: string) => process.stdout.write(`${l}\n`);
  const stamp = (l: string) => out(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${l}`);
  let rehearsal: Rehearsal | undefined;
  let stopStarted: (() => Promise<void>) | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (rehearsal?.stop() ?? stopStarted?.() ?? Promise.resolve()).then(() => {
      stamp('stopped everything');
    });
    return stopping;
  };
  const onSignal = (sig: NodeJS.Signals) => {
    stamp(`${sig}: stopping`);
    void stop().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    rehearsal = await startRehearsal({
      onStop: (s) => {
        stopStarted = s;
      },
      fresh: values.fresh ?? false,
      log: stamp,
      ...(values.verbose ? { podLog: out } : {}),
    });
    const u = rehearsal.urls;
    stamp(`broker ingress ${rehearsal.brokerUrl}`);
    for (const [name, url] of Object.entries(u)) stamp(`service ${name.padEnd(18)} ${url}`);
    if (values.check) {
      const failures = await runChecks(rehearsal, stamp);
      stamp(failures.length ? `FAILED: ${failures.length} check(s)` : 'PASSED: every check held');
      return failures.length ? 1 : 0;
    }
    const who = await enrolWithCli(rehearsal.image, rehearsal.cliEnv, 'demo');
    stamp(`demo patient ${who.patientId}, device ${who.deviceId}`);
    stamp(`  device token ${who.deviceToken}`);
    stamp(`  API token    ${who.apiToken} (dashboard user ${who.username})`);
    stamp(
      `  npx vigil simulate --url ${u.ingest} --token ${who.patientId}:${who.deviceId}:${who.deviceToken}`,
    );
    stamp('running; Ctrl-C stops everything');
    await new Promise(() => {});
    return 0;
  } catch (e) {
    stamp(`FAILED: ${(e as Error).stack ?? e}`);
    return 1;
  } finally {
    await stop();
    stamp(`done in ${Math.round((Date.now() - started) / 1000)} s`);
  }
}

process.exitCode = await main(process.argv.slice(2));
