// Hostile input against what `npm start` runs (the compiled dist/ under the same Node flags): two
// unauthenticated 256 MB POST /login bodies in parallel, first with a declared Content-Length, then
// chunked, while an enrolled device keeps posting heart-rate events to ingest in a closed loop. Prints
// the runtime's peak RSS (sampled from /proc every 100 ms), what each attack got, and the device's
// acknowledgements before and during the attack. Bars (#15): RSS < 300 MB, every device event
// acknowledged (202) throughout.
//   npx tsx perf/bench-hostile.ts        (npm run bench -- hostile)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { childEnv } from '../config/env.ts';
import { projectPath } from '../config/project-root.ts';
import { RUNTIME_NODE_FLAGS } from '../runtime/node-flags.ts';
import { type HugeBodyResult, hugeLogin } from './hostile-client.ts';
import { percentile } from './percentile.ts';
import { type BenchReport, machine, printReport } from './report.ts';
import { rssSampler } from './runtime-process.ts';

const BODY_BYTES = 256 * 1024 * 1024;
const RSS_BAR_MB = 300;

interface Up {
  pid: number;
  ingestUrl: string;
  dashboardUrl: string;
  token: string;
  deviceId: string;
  patientId: string;
  stop(): Promise<void>;
}

async function startUp(dataDir: string): Promise<Up> {
  const child = spawn(process.execPath, [...RUNTIME_NODE_FLAGS, projectPath('dist/cli/main.js'), 'up'], {
    env: childEnv({
      VIGIL_DATA_DIR: dataDir,
      VIGIL_INGEST_PORT: '0',
      VIGIL_DASHBOARD_PORT: '0',
      VIGIL_METRICS_PORT: '0',
    }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (/demo device token/.test(out) && /dashboard\s+http/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`vigil up exited ${code}: ${out}`)));
  });
  const creds = JSON.parse(readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8'));
  return {
    pid: child.pid!,
    ingestUrl: /ingest\s+(http:\/\/\S+)/.exec(out)![1]!,
    dashboardUrl: /dashboard\s+(http:\/\/\S+)/.exec(out)![1]!,
    token: creds.deviceToken,
    deviceId: creds.deviceId,
    patientId: creds.patientId,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** The device's closed loop: one heart-rate event at a time; statuses and latencies until stopped. */
function deviceLoop(up: Up) {
  let n = 0;
  let running = true;
  const results: Array<{ status: number; ms: number; at: number }> = [];
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      const at = Date.now();
      const res = await fetch(up.ingestUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${up.token}`, 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify({
          specversion: '1.0',
          id: `hostile-bench-${n}`,
          source: `/devices/${up.deviceId}`,
          type: 'org.vigil.heartrate.sample',
          data: {
            patientId: up.patientId,
            deviceId: up.deviceId,
            source: 'bench',
            samples: [{ time: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(), bpm: 70 }],
          },
        }),
      }).catch(() => undefined);
      await res?.arrayBuffer();
      results.push({ status: res?.status ?? 0, ms: performance.now() - t0, at });
      n++;
    }
  })();
  return {
    results,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

function summarise(rs: Array<{ status: number; ms: number }>, seconds: number) {
  const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
  return {
    events: rs.length,
    perSecond: rs.length / seconds,
    notAccepted: rs.filter((r) => r.status !== 202).length,
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    max: ms.at(-1) ?? Number.NaN,
  };
}

export async function benchHostile(): Promise<BenchReport> {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: projectPath('.'), stdio: 'inherit' });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-hostile-'));
  const up = await startUp(dataDir);
  try {
    const device = deviceLoop(up);
    await new Promise((r) => setTimeout(r, 5000));
    const quietEnd = Date.now();
    const rss = rssSampler(() => rssOf(up.pid), 100);
    const rssBefore = rssOf(up.pid);
    const attackStart = Date.now();
    const declared = await Promise.all([
      hugeLogin(up.dashboardUrl, false),
      hugeLogin(up.dashboardUrl, false),
    ]);
    const chunked = await Promise.all([
      hugeLogin(up.dashboardUrl, true, BODY_BYTES),
      hugeLogin(up.dashboardUrl, true, BODY_BYTES),
    ]);
    // Keep the device going a little past the attack, so a delayed effect would show.
    await new Promise((r) => setTimeout(r, 2000));
    const attackEnd = Date.now();
    const peak = rss.stop();
    await device.stop();
    const quiet = summarise(
      device.results.filter((r) => r.at < quietEnd),
      5,
    );
    const during = summarise(
      device.results.filter((r) => r.at >= attackStart && r.at <= attackEnd),
      (attackEnd - attackStart) / 1000,
    );
    const fmt = (a: HugeBodyResult[]) =>
      a
        .map((x) => `${x.status} after ${(x.sent / 2 ** 20).toFixed(2)} MB written, ${Math.round(x.ms)} ms`)
        .join('; ');
    return {
      bench: 'hostile: 2 × 256 MB unauthenticated POST /login, declared then chunked, while a device posts',
      figures: {
        'runtime RSS before the attack (MB)': rssBefore / 2 ** 20,
        'runtime peak RSS during the attack (MB)': peak / 2 ** 20,
        'declared Content-Length: answers': fmt(declared),
        'chunked: answers': fmt(chunked),
        'device before: events/s': quiet.perSecond,
        'device before: p50 / p99 ack ms': `${quiet.p50.toFixed(1)} / ${quiet.p99.toFixed(1)}`,
        'device during: events': during.events,
        'device during: events/s': during.perSecond,
        'device during: p50 / p99 / max ack ms': `${during.p50.toFixed(1)} / ${during.p99.toFixed(1)} / ${during.max.toFixed(1)}`,
        'device during: not 202': during.notAccepted,
      },
      thresholds: [
        {
          metric: 'peak RSS MB',
          expression: `< ${RSS_BAR_MB}`,
          actual: peak / 2 ** 20,
          ok: peak / 2 ** 20 < RSS_BAR_MB,
        },
        {
          metric: 'device events not acknowledged during the attack',
          expression: '== 0',
          actual: during.notAccepted + quiet.notAccepted,
          ok: during.notAccepted + quiet.notAccepted === 0 && during.events > 0,
        },
      ],
    };
  } finally {
    await up.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  process.stdout.write(`bench-hostile — ${new Date().toISOString()} — ${machine()}\n`);
  const r = await benchHostile();
  printReport(r);
  process.exitCode = r.thresholds.every((t) => t.ok) ? 0 : 1;
}
