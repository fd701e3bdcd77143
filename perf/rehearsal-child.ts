// The rehearsed cluster (rehearsal/start.ts: every function its own process behind the rehearsal Broker,
// on a throw-away MariaDB database) as a benchmark target in its own process, so the load generator
// never shares an event loop with the broker or the Service addresses. Answers the same IPC requests as
// perf/runtime-child.ts: {cmd:'idle'|'counts'|'stop'}.
import { readFileSync } from 'node:fs';
import { enrolWithCli } from '../rehearsal/enrol.ts';
import { startRehearsal } from '../rehearsal/start.ts';
import { openDb } from '../storage/open.ts';
import type { ChildCounts, ChildReady } from './runtime-child.ts';
import { storedCounts } from './stored-counts.ts';

const r = await startRehearsal({ log: (line) => process.stderr.write(`[rehearsal] ${line}\n`) });
const who = await enrolWithCli(r.image, r.cliEnv, 'bench');
const db = await openDb({ dataDir: '/nonexistent', databaseUrl: r.databaseUrl, migrate: false, poolSize: 1 });

async function counts(): Promise<ChildCounts> {
  return { type: 'counts', ...(await storedCounts(db)), rssBytes: process.memoryUsage().rss };
}

/** CPU seconds so far: this process (broker, Service addresses) and every pod's process, by Service. */
function cpu(): Record<string, number> {
  const tick = 100; // USER_HZ on Linux
  const own = process.cpuUsage();
  const out: Record<string, number> = { 'broker + Service addresses': (own.user + own.system) / 1e6 };
  for (const p of r.pods) {
    const pid = p.container?.pid;
    if (!pid) continue;
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const svc = p.spec.name.replace(/-\d+$/, '');
      out[svc] = (out[svc] ?? 0) + (Number(f[11]) + Number(f[12])) / tick;
    } catch {}
  }
  return out;
}

let stopping: Promise<void> | undefined;
const stop = () => {
  stopping ??= db.close().then(() => r.stop());
  return stopping;
};

process.on('message', async (msg: { cmd: string }) => {
  try {
    if (msg.cmd === 'idle') {
      await r.broker.idle();
      process.send!({ type: 'idle' });
    } else if (msg.cmd === 'counts') process.send!(await counts());
    else if (msg.cmd === 'cpu') process.send!({ type: 'cpu', seconds: cpu() });
    else if (msg.cmd === 'stop') {
      await stop();
      process.send!({ type: 'stopped' }, () => process.exit(0));
    }
  } catch (err) {
    process.send!({ type: 'error', message: (err as Error).message });
  }
});
process.on('disconnect', () => {
  void stop().finally(() => process.exit(0));
});
process.send!({
  type: 'ready',
  ingestUrl: r.urls.ingest!,
  brokerUrl: r.brokerUrl,
  pid: process.pid,
  devices: [{ patientId: who.patientId, deviceId: who.deviceId, token: who.deviceToken }],
} satisfies ChildReady & { brokerUrl: string });
