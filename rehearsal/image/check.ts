// What the image ships starts and serves: builds the Dockerfile's runtime stage in a scratch folder
// (rehearsal/image/build.ts: real `npm ci --omit=dev`, dist/ of `npm run build`, the assets, the ENV,
// the numeric USER), runs the migrate Job's command on SQLite and on MariaDB, then starts every
// FUNCTION_TARGET with the image's CMD (`node --single-threaded-gc dist/cli/serve.js`) and the image's ENV plus PORT,
// K_SINK and VIGIL_DATA_DIR (and DATABASE_URL on MariaDB), and checks each serves real requests:
// deploy/smoke-checks.ts per target (a device event through ingest reaches storage, the detector
// replies a prediction from the image's model, the recorder stores, the dashboard API answers), the
// dashboard's static files from the image, and a clean exit on SIGTERM. No broker here: K_SINK is
// the recorder, so an accepted event is visibly stored; routing is the rehearsal's (rehearse.ts).
//
//   node --import tsx rehearsal/image/check.ts [--fresh] [--backend sqlite|mysql]
//
// Exit code 0 = every check held, 1 = one failed, 2 = usage error. A test fixture for the cluster path.

import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildAssets, readSources } from '../../dashboard/assets/asset-store.ts';
import { eegChunkEvent, request, structured } from '../../deploy/checks.ts';
import { replyEvent, smoke } from '../../deploy/smoke-checks.ts';
import { EVENT_TYPES, eegPredictionData } from '../../eventing/contract.ts';
import { FUNCTION_TARGETS, type FunctionTarget } from '../../functions/targets.ts';
import { createMysqlTestDatabase, dropMysqlTestDatabase } from '../../storage/testing.ts';
import { enrolWithCli } from '../enrol.ts';
import { type BuiltImage, buildImage } from './build.ts';
import {
  type Container,
  freePort,
  runToCompletion,
  startContainer,
  waitForHttp,
  writableDir,
} from './container.ts';

export type Backend = 'sqlite' | 'mysql';

export interface Report {
  ok(line: string): void;
  fail(line: string): void;
  failures: string[];
}

export function consoleReport(): Report {
  const failures: string[] = [];
  return {
    failures,
    ok: (l) => process.stdout.write(`ok   ${l}\n`),
    fail: (l) => {
      failures.push(l);
      process.stdout.write(`FAIL ${l}\n`);
    },
  };
}

/** The migrate Job's container command: `node dist/cli/main.js migrate`, twice (the second is a no-op). */
async function checkMigrate(image: BuiltImage, db: Record<string, string>, backend: Backend, r: Report) {
  const cmd = ['node', 'dist/cli/main.js', 'migrate'];
  const first = await runToCompletion(image, { name: `migrate ${backend}`, command: cmd, env: db });
  if (first.code !== 0) return r.fail(`migrate on ${backend} exited ${first.code}: ${first.tail}`);
  if (!/applied \d+ migration/.test(first.stdout))
    return r.fail(`migrate on ${backend}: no migration applied on an empty database: ${first.tail}`);
  const again = await runToCompletion(image, { name: `migrate ${backend}`, command: cmd, env: db });
  if (again.code !== 0 || !/up to date/.test(again.stdout))
    return r.fail(`migrate on ${backend} a second time: exit ${again.code}: ${again.tail}`);
  r.ok(
    `migrate on ${backend}: exit 0, then "database is up to date" (${first.stdout.trim().split('\n').at(-1)})`,
  );
}

export async function checkImage(image: BuiltImage, backend: Backend, r: Report): Promise<void> {
  const dataDir = writableDir(image, 'vigil-image-data-');
  const databaseUrl = backend === 'mysql' ? await createMysqlTestDatabase() : undefined;
  // SQLite: every container shares one data folder (one volume); MariaDB: each has its own emptyDir.
  const dbEnv = (): Record<string, string> =>
    databaseUrl
      ? { DATABASE_URL: databaseUrl, VIGIL_DATA_DIR: writableDir(image, 'vigil-image-empty-') }
      : { VIGIL_DATA_DIR: dataDir };
  const sessionSecret = randomBytes(32).toString('base64url');
  const containers: Container[] = [];
  try {
    await checkMigrate(image, dbEnv(), backend, r);
    if (r.failures.length) return;
    const who = await enrolWithCli(image, { ...dbEnv(), VIGIL_SESSION_SECRET: sessionSecret }, 'image');
    r.ok(`the image's CLI enrolled patient, device, user and API token on ${backend}`);

    const ports = Object.fromEntries(
      await Promise.all(FUNCTION_TARGETS.map(async (t) => [t, await freePort()] as const)),
    ) as Record<FunctionTarget, number>;
    const url = (t: FunctionTarget) => `http://127.0.0.1:${ports[t]}`;
    for (const target of FUNCTION_TARGETS) {
      const env: Record<string, string> = {
        ...dbEnv(),
        FUNCTION_TARGET: target,
        PORT: String(ports[target]),
        // A pod's ports are its own (its network namespace); here every process gets free ones.
        VIGIL_METRICS_PORT: String(await freePort()),
        K_SINK: url('recorder'),
      };
      if (target === 'dashboard') env.VIGIL_SESSION_SECRET = sessionSecret;
      containers.push(startContainer(image, { name: `${target} ${backend}`, env }));
    }
    for (const [i, target] of FUNCTION_TARGETS.entries()) {
      const c = containers[i]!;
      try {
        await waitForHttp(`${url(target)}/healthz`, 60_000, () => c.child.exitCode === null);
      } catch (e) {
        r.fail(`${target} on ${backend} did not become ready: ${(e as Error).message}\n${c.tail()}`);
      }
    }
    if (r.failures.length) return;

    for (const target of FUNCTION_TARGETS) {
      const lines: string[] = [];
      try {
        await smoke({
          target,
          url: url(target),
          dashboardUrl: url('dashboard'),
          who,
          deviceToken: who.deviceToken,
          apiToken: who.apiToken,
          log: (l) => lines.push(l.replace(/^ok\s+/, '')),
        });
        r.ok(`${target} on ${backend}: ${lines.join('; ')}`);
      } catch (e) {
        r.fail(`${target} on ${backend}: ${(e as Error).message}`);
      }
    }
    await checkModel(image, url('seizure-detector'), who, backend, r);
    await checkStatic(image, url('dashboard'), backend, r);

    for (const c of containers.splice(0)) {
      const { code, signal } = await c.stop(10_000);
      if (code !== 0) r.fail(`${c.name}: exit ${code ?? signal} on SIGTERM, expected 0\n${c.tail()}`);
    }
    if (!r.failures.length) r.ok(`every target on ${backend} exited 0 on SIGTERM`);
  } finally {
    await Promise.all(containers.map((c) => c.stop(2000)));
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) await dropMysqlTestDatabase(databaseUrl);
  }
}

/** The detector's reply names the model the image ships (models/seizure/model.json in the image). */
async function checkModel(
  image: BuiltImage,
  detectorUrl: string,
  who: { patientId: string; deviceId: string },
  backend: Backend,
  r: Report,
) {
  const dir = image.env.VIGIL_SEIZURE_MODEL_DIR ?? image.hostPath(`${image.layout.workdir}/models/seizure`);
  const shipped = (JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { modelVersion: string })
    .modelVersion;
  const { headers, body } = structured(eegChunkEvent(who));
  const res = await request(`${detectorUrl}/`, { method: 'POST', headers, body });
  const reply = replyEvent(res);
  const data =
    reply?.type === EVENT_TYPES.eegPrediction ? eegPredictionData.safeParse(reply.data) : undefined;
  if (!data?.success) return r.fail(`seizure-detector on ${backend}: no prediction (HTTP ${res.status})`);
  if (data.data.modelVersion !== shipped)
    return r.fail(
      `seizure-detector on ${backend} used model ${data.data.modelVersion}, the image ships ${shipped}`,
    );
  r.ok(`seizure-detector on ${backend} scores with the image's model ${shipped}`);
}

/**
 * Every file the image's dashboard serves, by plain and by hashed name, byte for byte against what the
 * asset store builds from the image's own dashboard/static and chart.js (imports rewritten to hashed
 * names), so a file the Dockerfile forgets or a stale copy fails here.
 */
async function checkStatic(image: BuiltImage, dashboardUrl: string, backend: Backend, r: Report) {
  const dir = image.hostPath(`${image.layout.workdir}/dashboard/static`);
  const chart = image.hostPath(`${image.layout.workdir}/node_modules/chart.js/dist/chart.umd.js`);
  const assets = buildAssets(readSources(dir, chart));
  for (const a of assets.values()) {
    for (const name of [a.name, a.hashedName]) {
      const res = await fetch(`${dashboardUrl}/static/${name}`);
      const got = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200 || !got.equals(a.identity))
        return r.fail(`dashboard on ${backend}: /static/${name} HTTP ${res.status}, ${got.length} bytes`);
    }
  }
  r.ok(`dashboard on ${backend} serves the image's ${assets.size} static files by plain and hashed name`);
}

async function main(argv: string[]): Promise<number> {
  let values: { fresh?: boolean; backend?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { fresh: { type: 'boolean' }, backend: { type: 'string' } },
    }));
  } catch (e) {
    process.stderr.write(
      `${(e as Error).message}\nusage: rehearsal/image/check.ts [--fresh] [--backend sqlite|mysql]\n`,
    );
    return 2;
  }
  const backends: Backend[] = values.backend ? [values.backend as Backend] : ['sqlite', 'mysql'];
  if (!backends.every((b) => b === 'sqlite' || b === 'mysql')) {
    process.stderr.write('--backend must be sqlite or mysql\n');
    return 2;
  }
  const r = consoleReport();
  const started = Date.now();
  let image: BuiltImage;
  try {
    image = await buildImage({
      context: path.resolve(import.meta.dirname, '../..'),
      fresh: values.fresh ?? false,
      log: (l) => process.stdout.write(`${l}\n`),
    });
  } catch (e) {
    r.fail(`image build: ${(e as Error).message}`);
    return 1;
  }
  r.ok(`image laid out from the Dockerfile's runtime stage in ${image.rootfs}`);
  for (const b of backends) await checkImage(image, b, r);
  process.stdout.write(
    `${r.failures.length ? 'FAILED' : 'PASSED'}: image check in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
  return r.failures.length ? 1 : 0;
}

if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1]))
  process.exitCode = await main(process.argv.slice(2));
