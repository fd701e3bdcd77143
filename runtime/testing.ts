// Starts a real embedded runtime for tests on either backend, on free ports, with a demo patient
// and device; everything is removed again by stop().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VigilFunction } from '../eventing/subscriber.ts';
import { addPatient, type EnrolledDevice, enrollDevice } from '../storage/patients-store.ts';
import { createMysqlTestDatabase, dropMysqlTestDatabase } from '../storage/testing.ts';
import { type Runtime, type RuntimeOptions, startRuntime } from './embedded.ts';

export interface TestRuntime extends Runtime {
  dataDir: string;
  databaseUrl?: string | undefined;
  device: EnrolledDevice;
  /** Starts the same runtime again on the same storage (after stop()), as a restart would. */
  restart(overrides?: Partial<RuntimeOptions>): Promise<Runtime>;
}

export async function startTestRuntime(
  backend: 'sqlite' | 'mysql',
  overrides: Partial<RuntimeOptions> & { functions?: ReadonlyMap<string, VigilFunction> } = {},
): Promise<TestRuntime> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-rt-'));
  const databaseUrl = backend === 'mysql' ? await createMysqlTestDatabase() : undefined;
  const base: RuntimeOptions = {
    dataDir,
    databaseUrl,
    ingestPort: 0,
    metricsPort: 0,
    dashboard: false,
    technicalCheckSeconds: 0,
    ...overrides,
  };
  const rt = await startRuntime(base);
  await addPatient(rt.db, { id: 'patient-1', name: 'Test Patient' });
  const device = await enrollDevice(rt.db, { patientId: 'patient-1', kind: 'test' });
  const cleanup = async () => {
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) await dropMysqlTestDatabase(databaseUrl);
  };
  let current: Runtime = rt;
  return {
    ...rt,
    dataDir,
    databaseUrl,
    device,
    get db() {
      return current.db;
    },
    idle: () => current.idle(),
    stop: async () => {
      await current.stop();
      await cleanup();
    },
    restart: async (more = {}) => {
      await current.stop().catch(() => undefined);
      current = await startRuntime({ ...base, ...more });
      return current;
    },
  };
}

/** Posts one event from the runtime's test device in binary mode (JSON data); answers the HTTP status. */
export async function postAsDevice(
  rt: Pick<TestRuntime, 'ingestUrl' | 'device'>,
  e: { id: string; type: string; time: string; data: Record<string, unknown> },
): Promise<number> {
  const { deviceId, patientId, token } = rt.device;
  const res = await fetch(rt.ingestUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': e.id,
      'ce-source': `/devices/${deviceId}`,
      'ce-type': e.type,
      'ce-subject': patientId,
      'ce-time': e.time,
    },
    body: JSON.stringify({ patientId, deviceId, ...e.data }),
  });
  await res.arrayBuffer();
  return res.status;
}
