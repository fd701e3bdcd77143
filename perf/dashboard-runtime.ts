// The embedded runtime with its dashboard on free ports in a scratch data directory, as the dashboard
// benches start it (no periodic technical check, so only the bench's own load runs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRuntime } from '../runtime/embedded.ts';
import { resolveSecret } from '../storage/users-store.ts';

export async function startDashboardRuntime(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const rt = await startRuntime({
    dataDir: dir,
    ingestPort: 0,
    dashboard: true,
    dashboardPort: 0,
    technicalCheckSeconds: 0,
  });
  const secret = await resolveSecret(rt.db);
  const stop = async () => {
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { rt, secret, stop };
}
