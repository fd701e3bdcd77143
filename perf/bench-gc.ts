// The garbage collector on the threads that allocate (--single-threaded-gc, runtime/node-flags.ts) vs
// V8's default parallel and concurrent collector on its helper threads: the embedded runtime under the
// compare load (SQLite with float32 and JSON bodies, MariaDB with JSON) with both settings, alternating in one run, and the CPU
// it spends per stored chunk on each kind of thread. It is what decides the flag.
// Usage: npx tsx perf/bench-gc.ts [--duration S] [--rounds N]   (after npm run build)
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RUNTIME_NODE_FLAGS } from '../runtime/node-flags.ts';
import { closedLoop, SYSTEMS, span } from './bench-compare.ts';
import { runLoad } from './load.ts';
import type { PayloadKind } from './payloads.ts';
import { type BenchReport, printReport } from './report.ts';
import { type Backend, rssSampler, startRuntimeProcess } from './runtime-process.ts';
import { threadCpuMs, threadCpuSince } from './thread-cpu.ts';

const SETTINGS = {
  'single-threaded GC': RUNTIME_NODE_FLAGS,
  "V8's default GC": RUNTIME_NODE_FLAGS.filter((f) => f !== '--single-threaded-gc'),
} as const;
type Setting = keyof typeof SETTINGS;

interface Figures {
  stored: number;
  rssMb: number;
  /** CPU ms per stored chunk. */
  eventLoop: number;
  detection: number;
  others: number;
  loadGenerator: number;
  /** MariaDB's server process, when the runtime stores there. */
  mariadb: number;
  /** Cores kept busy on average: runtime, load generator and MariaDB together. */
  cores: number;
}

/** CPU ms of MariaDB's server so far (its pid file), 0 when it is not on this machine. */
function mariadbCpuMs(): number {
  try {
    const pid = Number(readFileSync('/run/mysqld/mysqld.pid', 'utf8'));
    return [...threadCpuMs(pid).values()].reduce((a, b) => a + b, 0);
  } catch {
    return 0;
  }
}

async function measure(
  { backend, payload }: { backend: Backend; payload: PayloadKind },
  flags: readonly string[],
  durationS: number,
): Promise<Figures> {
  const rt = await startRuntimeProcess(backend, 1, {}, flags);
  const rss = rssSampler(() => rt.child.rssBytes());
  try {
    const device = rt.devices[0]!;
    const load = (s: number) => runLoad(rt.url, closedLoop(payload, s), device);
    await load(2);
    await rt.idle();
    const pid = rt.child.proc.pid!;
    const before = (await rt.counts()).eegChunks;
    const cpu0 = threadCpuMs(pid);
    const own0 = process.cpuUsage();
    const db0 = backend === 'mysql' ? mariadbCpuMs() : 0;
    const t0 = performance.now();
    await load(durationS);
    await rt.idle();
    const seconds = (performance.now() - t0) / 1000;
    const own = process.cpuUsage(own0);
    const db = backend === 'mysql' ? mariadbCpuMs() - db0 : 0;
    const threads = threadCpuSince(cpu0, threadCpuMs(pid));
    const n = (await rt.counts()).eegChunks - before;
    // The event loop is the process's main thread; the detection thread is the busiest of the others
    // (one per runtime); the rest are V8's GC and compiler helpers, libuv's pool and SQLite's checkpointer.
    const eventLoop = threads.get(pid) ?? 0;
    const others = [...threads].filter(([tid]) => tid !== pid).map(([, ms]) => ms);
    const detection = Math.max(0, ...others);
    const rest = others.reduce((a, b) => a + b, 0) - detection;
    return {
      stored: n / seconds,
      rssMb: rss.stop() / 2 ** 20,
      eventLoop: eventLoop / n,
      detection: detection / n,
      others: rest / n,
      loadGenerator: (own.user + own.system) / 1000 / n,
      mariadb: db / n,
      cores:
        ([...threads.values()].reduce((a, b) => a + b, 0) + (own.user + own.system) / 1000 + db) /
        1000 /
        seconds,
    };
  } finally {
    rss.stop();
    await rt.stop();
  }
}

export async function benchGc(durationS = 10, rounds = 2): Promise<BenchReport> {
  const runs = new Map<string, Figures[]>();
  const settings = Object.keys(SETTINGS) as Setting[];
  for (let r = 0; r < rounds; r++)
    for (const [system, how] of Object.entries(SYSTEMS)) {
      // alternate which setting goes first, so drift on the machine does not favour one
      for (const s of r % 2 === 0 ? settings : [...settings].reverse()) {
        const key = `${system}, ${s}`;
        runs.set(key, [...(runs.get(key) ?? []), await measure(how, SETTINGS[s], durationS)]);
      }
    }
  const figures: Record<string, number | string> = {
    load: `as compare: autocannon, 16 connections, closed loop, ${durationS} s, ${rounds} rounds alternating`,
  };
  for (const [key, f] of runs) {
    figures[`${key}: stored chunks/s`] = span(f.map((x) => x.stored));
    figures[`${key}: CPU ms per chunk, event loop`] = span(f.map((x) => x.eventLoop));
    figures[`${key}: CPU ms per chunk, detection thread`] = span(f.map((x) => x.detection));
    figures[`${key}: CPU ms per chunk, other threads (GC helpers, libuv, SQLite)`] = span(
      f.map((x) => x.others),
    );
    figures[`${key}: CPU ms per chunk, whole runtime`] = span(
      f.map((x) => x.eventLoop + x.detection + x.others),
    );
    figures[`${key}: CPU ms per chunk, load generator`] = span(f.map((x) => x.loadGenerator));
    if (key.startsWith('mysql'))
      figures[`${key}: CPU ms per chunk, MariaDB server`] = span(f.map((x) => x.mariadb));
    figures[`${key}: cores busy (runtime, load generator, MariaDB)`] = span(f.map((x) => x.cores));
    figures[`${key}: peak RSS (MB)`] = span(f.map((x) => x.rssMb));
  }
  return {
    bench: 'gc: the runtime with the collector on its own threads vs on V8 helper threads',
    figures,
    thresholds: [],
  };
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({
    options: { duration: { type: 'string', default: '10' }, rounds: { type: 'string', default: '2' } },
  });
  printReport(await benchGc(Number(values.duration), Number(values.rounds)));
}
