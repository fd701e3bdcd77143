// The smoke and e2e checks against the embedded runtime (same ingest, functions and dashboard API as
// the cluster): a healthy system passes, and a check that cannot see its effect fails.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, startRuntime } from '../runtime/embedded.ts';
import { addPatient, enrollDevice } from '../storage/patients-store.ts';
import { createApiToken, createUser } from '../storage/users-store.ts';
import { smoke } from './smoke-checks.ts';

const SECRET = 'smoke-test-session-secret-0123456789';
let rt: Runtime;
let who: { patientId: string; deviceId: string };
let deviceToken: string;
let apiToken: string;

beforeAll(async () => {
  process.env.VIGIL_SESSION_SECRET = SECRET;
  rt = await startRuntime({
    dataDir: mkdtempSync(path.join(tmpdir(), 'vigil-smoke-')),
    ingestPort: 0,
    dashboard: true,
    dashboardPort: 0,
    technicalCheckSeconds: 0,
    log: () => {},
  });
  await addPatient(rt.db, { id: 'smoke-patient', name: 'Smoke Test' });
  const dev = await enrollDevice(rt.db, { patientId: 'smoke-patient', kind: 'apple-watch' });
  who = { patientId: dev.patientId, deviceId: dev.deviceId };
  deviceToken = dev.token;
  const user = await createUser(rt.db, SECRET, {
    username: 'smoke',
    password: 'smoke-password-123',
    role: 'admin',
  });
  apiToken = (await createApiToken(rt.db, SECRET, { userId: user.id, label: 'smoke' })).token;
});
afterAll(async () => {
  await rt?.stop();
});

describe('deploy/smoke.ts checks', () => {
  it('ingest: accepts a real heart-rate event and the sample reaches storage', async () => {
    const lines: string[] = [];
    await smoke({
      target: 'ingest',
      url: rt.ingestUrl,
      dashboardUrl: rt.dashboardUrl,
      who,
      deviceToken,
      apiToken,
      log: (l) => lines.push(l),
    });
    expect(lines.at(-1)).toContain('reached storage');
  });

  it('dashboard: answers the heart-rate API with the API token', async () => {
    await expect(
      smoke({ target: 'dashboard', url: rt.dashboardUrl!, who, apiToken, log: () => {} }),
    ).resolves.toBeUndefined();
  });

  it('fails when the device token is wrong', async () => {
    await expect(
      smoke({ target: 'ingest', url: rt.ingestUrl, who, deviceToken: 'wrong', log: () => {} }),
    ).rejects.toThrow(/HTTP 40[13]/);
  });
});
