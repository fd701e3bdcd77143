// The embedded runtime as its own process for benchmarks, so the load generator never shares its
// event loop. Started with child_process.fork; configured by env (BENCH_DATA_DIR, BENCH_DATABASE_URL,
// BENCH_DEVICES); answers IPC requests: {cmd:'idle'|'counts'|'stop'}.
import { startRuntime } from '../runtime/embedded.ts';
import { addPatient, enrollDevice } from '../storage/patients-store.ts';

export interface ChildReady {
  type: 'ready';
  ingestUrl: string;
  pid: number;
  devices: Array<{ patientId: string; deviceId: string; token: string }>;
}
export interface ChildCounts {
  type: 'counts';
  eegChunks: number;
  heartRateSamples: number;
  events: number;
  alerts: number;
  rssBytes: number;
}

const rt = await startRuntime({
  dataDir: process.env.BENCH_DATA_DIR!,
  databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
  ingestPort: 0,
  dashboard: false,
  technicalCheckSeconds: 0,
  log: (line) => process.stderr.write(`${line}\n`),
});
const devices: ChildReady['devices'] = [];
for (let i = 1; i <= Number(process.env.BENCH_DEVICES ?? 1); i++) {
  const patientId = `bench-${i}`;
  await addPatient(rt.db, { id: patientId, name: `Bench patient ${i}` });
  devices.push(await enrollDevice(rt.db, { patientId, kind: 'bench' }));
}

async function counts(): Promise<ChildCounts> {
  const n = async (sql: string): Promise<number> => Number((await rt.db.get<{ n: number }>(sql))?.n ?? 0);
  return {
    type: 'counts',
    eegChunks: await n('SELECT COUNT(*) AS n FROM eeg_chunks'),
    heartRateSamples: await n('SELECT COUNT(*) AS n FROM heart_rate_samples'),
    events: await n('SELECT COUNT(*) AS n FROM events'),
    alerts: await n("SELECT COUNT(*) AS n FROM events WHERE type = 'org.vigil.alert.raised'"),
    rssBytes: process.memoryUsage().rss,
  };
}

process.on('message', async (msg: { cmd: string }) => {
  try {
    if (msg.cmd === 'idle') {
      await rt.idle();
      process.send!({ type: 'idle' });
    } else if (msg.cmd === 'counts') {
      process.send!(await counts());
    } else if (msg.cmd === 'stop') {
      await rt.stop();
      process.send!({ type: 'stopped' }, () => process.exit(0));
    }
  } catch (err) {
    process.send!({ type: 'error', message: (err as Error).message });
  }
});
process.on('disconnect', () => {
  rt.stop().finally(() => process.exit(0));
});
process.send!({ type: 'ready', ingestUrl: rt.ingestUrl, pid: process.pid, devices } satisfies ChildReady);
