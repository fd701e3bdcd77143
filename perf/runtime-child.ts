// The embedded runtime as its own process for benchmarks, so the load generator never shares its
// event loop. Started with child_process.fork; configured by env (BENCH_DATA_DIR, BENCH_DATABASE_URL,
// BENCH_DEVICES); answers IPC requests: {cmd:'idle'|'counts'|'stop'}, and {cmd:'watch', table, everyMs} /
// {cmd:'watch-stop'} for the latency bench (perf/bench-latency.ts).

import { toolSettings } from '../config/env.ts';
import { startRuntime } from '../runtime/embedded.ts';
import type { Db } from '../storage/db.ts';
import { openDb } from '../storage/open.ts';
import { addPatient, enrollDevice } from '../storage/patients-store.ts';
import { storedCounts } from './stored-counts.ts';

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

/** What the latency bench watches for: new `events` rows, or newly raised alerts. */
export type WatchTable = 'events' | 'alerts';
/** One row the watcher saw: event id (events) or alert id with its patient and raise time (alerts). */
export interface WatchedRow {
  id: string;
  /** Wall-clock ms (performance.timeOrigin + performance.now()) when the poll that first saw it started. */
  seenAt: number;
  patientId?: string;
  raisedAt?: number;
}
export interface ChildWatched {
  type: 'watched';
  rows: WatchedRow[];
  polls: number;
}

const settings = toolSettings();

/** BENCH_MEM=1 (run with --expose-gc): memory after a full collection, i.e. what is really retained. */
function memoryAfterGc(): NodeJS.MemoryUsage {
  globalThis.gc?.();
  return process.memoryUsage();
}

const rt = await startRuntime({
  dataDir: settings.BENCH_DATA_DIR!,
  databaseUrl: settings.BENCH_DATABASE_URL,
  ingestPort: 0,
  dashboard: false,
  technicalCheckSeconds: 0,
  ...(settings.BENCH_DETECTION_THREADS !== undefined
    ? { detectionThreads: settings.BENCH_DETECTION_THREADS }
    : {}),
  log: (line) => process.stderr.write(`${line}\n`),
});
const devices: ChildReady['devices'] = [];
for (let i = 1; i <= (settings.BENCH_DEVICES ?? 1); i++) {
  const patientId = `bench-${i}`;
  await addPatient(rt.db, { id: patientId, name: `Bench patient ${i}` });
  devices.push(await enrollDevice(rt.db, { patientId, kind: 'bench' }));
}

async function counts(): Promise<ChildCounts> {
  return {
    type: 'counts',
    ...(await storedCounts(rt.db)),
    rssBytes: process.memoryUsage().rss,
    ...(settings.BENCH_MEM ? { mem: memoryAfterGc() } : {}),
  };
}

/** High-resolution wall clock, comparable with the bench process's (same machine, same clock). */
const wallMs = (): number => performance.timeOrigin + performance.now();

/**
 * Polls storage through its OWN connection (what a dashboard reader would see), every `everyMs`.
 * A row's seenAt is the start of the first poll that returned it: it was committed before then and
 * after the previous poll started, so the resolution is one poll interval.
 */
function startWatch(table: WatchTable, everyMs: number): () => Promise<ChildWatched> {
  const rows: WatchedRow[] = [];
  let cursor = 0;
  let polls = 0;
  let stopping = false;
  const reader: Promise<Db> = openDb({
    dataDir: settings.BENCH_DATA_DIR!,
    databaseUrl: settings.BENCH_DATABASE_URL,
    migrate: false,
    poolSize: 1,
  });
  const poll = async (db: Db): Promise<void> => {
    const t = wallMs();
    polls++;
    if (table === 'events') {
      const got = await db.all<{ seq: number | string; id: string }>(
        'SELECT seq, id FROM events WHERE seq > ? ORDER BY seq LIMIT 10000',
        [cursor],
      );
      for (const r of got) rows.push({ id: r.id, seenAt: t });
      if (got.length) cursor = Number(got[got.length - 1]!.seq);
    } else {
      // The audit row is written in the same transaction as the alerts row, and has a monotonic id.
      const got = await db.all<{
        id: number | string;
        action: string;
        alert_id: string;
        patient_id: string;
        raised_at: number | string;
      }>(
        `SELECT u.id, u.action, a.alert_id, a.patient_id, a.raised_at FROM alert_audit u
         JOIN alerts a ON a.alert_id = u.alert_id WHERE u.id > ? ORDER BY u.id LIMIT 10000`,
        [cursor],
      );
      for (const r of got)
        if (r.action === 'raised' || r.action === 'raised-late')
          rows.push({ id: r.alert_id, seenAt: t, patientId: r.patient_id, raisedAt: Number(r.raised_at) });
      if (got.length) cursor = Number(got[got.length - 1]!.id);
    }
  };
  const loop = (async () => {
    const db = await reader;
    while (!stopping) {
      const started = performance.now();
      await poll(db);
      const wait = everyMs - (performance.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await poll(db);
    await db.close();
  })();
  return async () => {
    stopping = true;
    await loop;
    return { type: 'watched', rows, polls };
  };
}

let stopWatch: (() => Promise<ChildWatched>) | undefined;

process.on('message', async (msg: { cmd: string; table?: WatchTable; everyMs?: number }) => {
  try {
    if (msg.cmd === 'watch') {
      await stopWatch?.();
      stopWatch = startWatch(msg.table ?? 'events', msg.everyMs ?? 5);
      process.send!({ type: 'watching' });
      return;
    }
    if (msg.cmd === 'watch-stop') {
      const stop = stopWatch;
      stopWatch = undefined;
      process.send!(stop ? await stop() : { type: 'watched', rows: [], polls: 0 });
      return;
    }
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
