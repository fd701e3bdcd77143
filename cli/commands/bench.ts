// `vigil bench` (npm run bench): runs the benchmarks under perf/ one after another and prints a
// summary of every threshold. Each bench starts its own target process (runtime, sink, baseline), so
// the load generator never shares an event loop with what it measures. Loopback only.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchCeiling } from '../../perf/bench-ceiling.ts';
import { benchCompare } from '../../perf/bench-compare.ts';
import { benchDetectionThreads } from '../../perf/bench-detection-threads.ts';
import { benchFrameworks } from '../../perf/bench-frameworks.ts';
import { benchGc } from '../../perf/bench-gc.ts';
import { benchScenario } from '../../perf/bench-ingest.ts';
import { benchLatency } from '../../perf/bench-latency.ts';
import { benchRehearsal } from '../../perf/bench-rehearsal.ts';
import { benchSimulator } from '../../perf/bench-simulator.ts';
import { benchStorage } from '../../perf/bench-storage.ts';
import { type BenchReport, machine, printReport, round } from '../../perf/report.ts';
import type { Backend } from '../../perf/runtime-process.ts';
import { SCENARIOS } from '../../perf/scenarios/index.ts';

const PERF = path.resolve(import.meta.dirname, '../../perf');
/** Benches other engineers own; run as scripts when present (exit code 0 = their thresholds passed). */
const EXTERNAL = {
  detector: 'bench-detector.ts',
  dashboard: 'bench-dashboard.ts',
  hostile: 'bench-hostile.ts',
  'alarm-latency': 'bench-alarm-latency.ts',
} as const;
const BENCHES = [
  'simulator',
  'ingest',
  'frameworks',
  'latency',
  'storage',
  'compare',
  'detection-threads',
  'gc',
  'ceiling',
  'detector',
  'dashboard',
  'hostile',
  'alarm-latency',
  'rehearsal',
] as const;
type BenchName = (typeof BENCHES)[number];
/** Run only when named: it needs `npm run build` and starts a dozen processes. */
const ON_REQUEST: readonly BenchName[] = ['rehearsal'];

const USAGE = `Usage: vigil bench [NAME...] [options]

Benchmarks (default: all but ${ON_REQUEST.join(', ')}, in this order): ${BENCHES.join(', ')}
  simulator  the simulator against a trivial sink (bar: >= 5,000 events/s)
  ingest     perf/scenarios/*: ingest -> stored throughput, ack latency, runtime RSS
  frameworks Hono vs functions-framework (Express) on the ingest hot path
  latency    device -> stored latency at constant rate; heart-rate sample -> alert stored (bar: p99 < 200 ms)
  storage    storage layer rows/s without HTTP (recorder, multi-row vs one-row INSERT); both backends
             unless --backend is given
  compare    the prototype's design vs Vigil on SQLite (JSON, float32) and MariaDB, two rounds, stored chunks/s and ratios
  detection-threads  stored EEG chunks/s and RSS with 0 vs 1 detection thread, alternating (SQLite)
  gc         stored EEG chunks/s and CPU per chunk by thread with single-threaded vs V8's default GC (SQLite, MariaDB)
  ceiling    what 2 cores allow for EEG JSON ingest: a parse-only server, and CPU per chunk by stage
  detector   perf/bench-detector.ts, when present
  dashboard  perf/bench-dashboard.ts, when present
  hostile    2 x 256 MB unauthenticated login bodies against npm start's build while a device posts
             (bars: RSS < 300 MB, every device event acknowledged)
  alarm-latency  heart-rate sample completing the rule -> alarm on the ward page in Chromium
             (perf/bench-alarm-latency.ts; bar: p99 < 1 s)
  rehearsal  stored EEG chunks/s and heart-rate samples/s of the rehearsed cluster (npm run rehearse's
             processes) beside the embedded runtime, both MariaDB; only when named, after npm run build

Options:
  --scenario NAME    ingest scenario(s) to run (default all: ${SCENARIOS.map((s) => s.name).join(', ')})
  --backend B        ingest storage: sqlite (default) or mysql (a throw-away MariaDB database)
  --duration S       override every load's duration in seconds
  --help

Exit code 0 when every threshold passed, 1 when one failed, 2 on bad flags.`;

function runScript(file: string): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
    p.on('exit', (code) => resolve(code ?? 1));
  });
}

export async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        scenario: { type: 'string', multiple: true },
        backend: { type: 'string' },
        duration: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    process.stderr.write(`vigil bench: ${(err as Error).message}\n`);
    return 2;
  }
  const v = parsed.values as { scenario?: string[]; backend?: string; duration?: string; help?: boolean };
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const names = (
    parsed.positionals.length ? parsed.positionals : BENCHES.filter((b) => !ON_REQUEST.includes(b))
  ) as BenchName[];
  const unknown = names.filter((n) => !BENCHES.includes(n));
  if (unknown.length) {
    process.stderr.write(
      `vigil bench: unknown benchmark ${unknown.join(', ')} (known: ${BENCHES.join(', ')})\n`,
    );
    return 2;
  }
  const backend = (v.backend ?? 'sqlite') as Backend;
  if (backend !== 'sqlite' && backend !== 'mysql') {
    process.stderr.write(
      `vigil bench: --backend: expected sqlite or mysql, got ${JSON.stringify(v.backend)}\n`,
    );
    return 2;
  }
  const duration = v.duration === undefined ? undefined : Number(v.duration);
  if (duration !== undefined && !(duration > 0)) {
    process.stderr.write(
      `vigil bench: --duration: expected seconds > 0, got ${JSON.stringify(v.duration)}\n`,
    );
    return 2;
  }
  const scenarios = (v.scenario ?? SCENARIOS.map((s) => s.name)).map((n) => {
    const s = SCENARIOS.find((x) => x.name === n);
    if (!s) throw new Error(`--scenario: unknown ${n}`);
    return duration ? { ...s, durationS: duration } : s;
  });

  process.stdout.write(`vigil bench — ${new Date().toISOString()} — ${machine()}\n`);
  const reports: BenchReport[] = [];
  const external: Array<{ name: string; code: number | 'absent' }> = [];
  const record = (r: BenchReport): void => {
    printReport(r);
    reports.push(r);
  };
  for (const name of names) {
    try {
      if (name === 'simulator') (await benchSimulator(duration ?? 10)).forEach(record);
      else if (name === 'ingest') for (const s of scenarios) record(await benchScenario(backend, s));
      else if (name === 'compare') record(await benchCompare(duration ?? 10));
      else if (name === 'detection-threads') record(await benchDetectionThreads(duration ?? 10));
      else if (name === 'gc') record(await benchGc(duration ?? 10));
      else if (name === 'rehearsal') record(await benchRehearsal(duration ?? 10));
      else if (name === 'ceiling') (await benchCeiling(duration ?? 10)).forEach(record);
      else if (name === 'frameworks') (await benchFrameworks(duration ?? 10)).forEach(record);
      else if (name === 'latency') (await benchLatency(backend, duration ?? 15)).forEach(record);
      else if (name === 'storage')
        (
          await benchStorage(v.backend ? [backend] : ['sqlite', 'mysql'], Math.min(duration ?? 5, 10))
        ).forEach(record);
      else {
        const file = path.join(PERF, EXTERNAL[name]);
        if (!existsSync(file)) {
          process.stdout.write(`== ${name}: skipped, ${path.relative(process.cwd(), file)} is not there\n`);
          external.push({ name, code: 'absent' });
          continue;
        }
        process.stdout.write(`== ${name}: ${path.relative(process.cwd(), file)}\n`);
        external.push({ name, code: await runScript(file) });
      }
    } catch (err) {
      process.stdout.write(`== ${name}: FAILED to run: ${(err as Error).message}\n`);
      reports.push({
        bench: name,
        figures: {},
        thresholds: [{ metric: 'ran', expression: 'value==1', actual: 0, ok: false }],
      });
    }
  }

  const lines = ['', 'Summary'];
  for (const r of reports)
    for (const t of r.thresholds)
      lines.push(
        `  ${t.ok ? 'PASS' : 'FAIL'}  ${r.bench.split(' — ')[0]} ${t.metric} ${t.expression} (measured ${round(t.actual)})`,
      );
  for (const e of external)
    lines.push(
      `  ${e.code === 0 ? 'PASS' : e.code === 'absent' ? 'SKIP' : 'FAIL'}  ${e.name} (exit ${e.code})`,
    );
  process.stdout.write(`${lines.join('\n')}\n`);
  const failed =
    reports.some((r) => r.thresholds.some((t) => !t.ok)) ||
    external.some((e) => e.code !== 0 && e.code !== 'absent');
  return failed ? 1 : 0;
}
