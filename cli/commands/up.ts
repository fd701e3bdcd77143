// `vigil up` (what `npm start` runs): the whole system in one process on the embedded default.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../config/env.ts';
import { startRuntime } from '../../runtime/embedded.ts';
import type { Db } from '../../storage/db.ts';
import { addPatient, enrollDevice, listPatients } from '../../storage/patients-store.ts';
import { createUser, resolveSecret } from '../../storage/users-store.ts';
import { parseFlags } from '../args.ts';

interface DemoCredentials {
  patientId: string;
  deviceId: string;
  deviceToken: string;
  username: string;
  password: string;
}

/** First start on an empty database: a demo patient, device and clinician login, kept in the data dir (0600). */
async function ensureDemo(db: Db, dataDir: string): Promise<DemoCredentials | undefined> {
  const file = join(dataDir, 'demo-credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DemoCredentials;
  if ((await listPatients(db)).length > 0) return undefined;
  const patient = await addPatient(db, { id: 'demo-patient', name: 'Demo Patient' });
  const device = await enrollDevice(db, { patientId: patient.id, kind: 'demo' });
  const password = randomBytes(12).toString('base64url');
  await createUser(db, await resolveSecret(db), { username: 'demo', password, role: 'admin' });
  const creds = {
    patientId: patient.id,
    deviceId: device.deviceId,
    deviceToken: device.token,
    username: 'demo',
    password,
  };
  writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
  return creds;
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {});
  if (values.help) {
    console.log(`usage: vigil up

Runs the embedded broker, every function, the ingest gateway and the dashboard in one process.
Environment: VIGIL_DATA_DIR (./.vigil), DATABASE_URL (mysql://…; SQLite when unset),
VIGIL_INGEST_PORT (8080), VIGIL_DASHBOARD_PORT (3000), VIGIL_HOST (127.0.0.1).`);
    return 0;
  }
  const cfg = loadConfig();
  const rt = await startRuntime({
    dataDir: cfg.dataDir,
    databaseUrl: cfg.DATABASE_URL,
    host: cfg.VIGIL_HOST ?? '127.0.0.1',
    ingestPort: cfg.VIGIL_INGEST_PORT,
    dashboardPort: cfg.VIGIL_DASHBOARD_PORT,
    metricsPort: cfg.VIGIL_METRICS_PORT,
    technicalCheckSeconds: cfg.VIGIL_TECHNICAL_CHECK_SECONDS,
    log: (line) => console.error(line),
  });
  const demo = await ensureDemo(rt.db, cfg.dataDir);
  const storage = cfg.DATABASE_URL ? `MySQL ${new URL(cfg.DATABASE_URL).host}` : `SQLite in ${cfg.dataDir}`;
  console.log(`Vigil is running (storage: ${storage})
  ingest     ${rt.ingestUrl}   (POST CloudEvents; GET /healthz, /schemas)
  metrics    ${rt.metricsUrl}   (Prometheus)
  dashboard  ${rt.dashboardUrl ?? '(disabled)'}`);
  if (demo)
    console.log(`  demo login        ${demo.username} / ${demo.password}
  demo patient      ${demo.patientId}
  demo device token ${demo.deviceToken}
  (kept in ${join(cfg.dataDir, 'demo-credentials.json')}; replay recordings with: npx vigil simulate)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log(
    'stopping: finishing deliveries in flight; queued events stay in the outbox for the next start',
  );
  await rt.stop();
  return 0;
}
