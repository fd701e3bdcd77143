// End-to-end latency of the embedded runtime (run in its own process), loaded at a CONSTANT arrival rate
// from this process (timed sends, open model: a slow answer never delays the next request):
//  a. device → stored: heart-rate events (1 sample) at 500/s and 23 × 256 EEG JSON chunks at 100/s; for
//     each event, its scheduled send time → the first poll (through a separate storage connection, in the
//     runtime's process) that sees its `events` row.
//  b. heart-rate ingest → alert stored (issue #4): BENCH_DEVICES patients (default 100) sending 1-sample events,
//     1,000 samples/s in total; half of them breach (150 bpm > the default high limit of 130) long enough for
//     perf/scenarios/hr-alert-latency.ts's rule to raise, recover, and breach again. Latency per alert: send
//     time of the sample that completed the breach (the alert's raised_at is that sample's time) → first poll
//     that sees the alert.
// Clocks: performance.timeOrigin + performance.now() in both processes (same machine, same clock).
// Exit code 1 if a threshold fails.
// Usage: npx tsx perf/bench-latency.ts [--backend sqlite|mysql] [--duration S]

import http from 'node:http';
import { parseArgs } from 'node:util';
import { toolSettings } from '../config/env.ts';
import { loadEegFile } from '../simulator/recordings.ts';
import { EegChunker, eegChunkRequest, heartRateRequest } from '../simulator/requests.ts';
import type { OutgoingRequest } from '../simulator/sender.ts';
import { post } from './arrival-rate.ts';
import { DEMO_EDF, type Device, idSequence } from './payloads.ts';
import { percentile } from './percentile.ts';
import { allPassed, type BenchReport, printReport } from './report.ts';
import type { ChildWatched, WatchTable } from './runtime-child.ts';
import { type Backend, type RuntimeProcess, startRuntimeProcess } from './runtime-process.ts';
import { checkThresholds } from './scenario.ts';
import { HR_ALERT_LATENCY as HRA } from './scenarios/hr-alert-latency.ts';

/** High-resolution wall clock, comparable with the runtime child's. */
export const wallMs = (): number => performance.timeOrigin + performance.now();

/** Scheduler tick: every tick sends whatever is due, each request stamped with its scheduled time. */
const TICK_MS = 2;
/** The runtime child polls storage this often; the latency resolution. */
const POLL_MS = 5;
/**
 * Seconds of the same traffic sent before measuring (k6's ramp-up): a just-started runtime runs cold
 * code and lazily loads the model, and a service is measured in its steady state. Figures printed
 * say how long the warm-up was; BENCH_WARMUP_S=0 measures from a cold start.
 */
const WARMUP_S = toolSettings().BENCH_WARMUP_S ?? 5;

function stats(xs: number[]): {
  'p(50)': number;
  'p(95)': number;
  'p(99)': number;
  max: number;
  avg: number;
} {
  const s = [...xs].sort((a, b) => a - b);
  return {
    'p(50)': percentile(s, 50),
    'p(95)': percentile(s, 95),
    'p(99)': percentile(s, 99),
    max: s.length ? s[s.length - 1]! : Number.NaN,
    avg: s.length ? s.reduce((a, b) => a + b, 0) / s.length : Number.NaN,
  };
}

interface Sent {
  key: string;
  scheduledAt: number;
  /** Issue time − scheduled time: how far the generator fell behind. */
  lagMs: number;
  ackMs?: number;
  status?: number;
}

/** A request source: `rate` per second; `make` builds the n-th request and the key its arrival is matched by. */
interface Stream {
  rate: number;
  agent: (n: number) => http.Agent;
  make: (n: number, scheduledAt: number) => { req: OutgoingRequest; key: string; token: string };
}

/** Sends every stream at its constant rate for `durationS`; resolves when every answer is in. */
async function sendConstantRate(baseUrl: string, streams: Stream[], durationS: number): Promise<Sent[]> {
  const url = new URL(baseUrl);
  const sent: Sent[] = [];
  const pending: Promise<void>[] = [];
  const counts = streams.map(() => 0);
  const t0 = wallMs();
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const now = wallMs();
      const elapsedS = Math.min(durationS, (now - t0) / 1000);
      streams.forEach((s, i) => {
        const due = Math.floor(elapsedS * s.rate);
        while (counts[i]! < due) {
          const n = counts[i]!++;
          const scheduledAt = t0 + (n / s.rate) * 1000;
          const { req, key, token } = s.make(n, scheduledAt);
          const rec: Sent = { key, scheduledAt, lagMs: wallMs() - scheduledAt };
          sent.push(rec);
          pending.push(
            post(url, s.agent(n), {
              ...req,
              headers: { ...req.headers, authorization: `Bearer ${token}` },
            }).then((status) => {
              rec.status = status;
              rec.ackMs = wallMs() - scheduledAt;
            }),
          );
        }
      });
      if (elapsedS >= durationS) {
        clearInterval(timer);
        done();
      }
    }, TICK_MS);
  });
  await Promise.all(pending);
  return sent;
}

function ask<T>(rt: RuntimeProcess, msg: object, expect: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: { type: string; message?: string }) => {
      if (m.type === 'error') reject(new Error(m.message));
      else if (m.type !== expect) return;
      else resolve(m as T);
      rt.child.proc.off('message', on);
    };
    rt.child.proc.on('message', on);
    rt.child.proc.send(msg);
  });
}

async function watch(rt: RuntimeProcess, table: WatchTable): Promise<() => Promise<ChildWatched>> {
  await ask(rt, { cmd: 'watch', table, everyMs: POLL_MS }, 'watching');
  return async () => {
    await rt.idle();
    // Let the watcher's next polls run after the last commit.
    await new Promise((r) => setTimeout(r, 10 * POLL_MS));
    return ask<ChildWatched>(rt, { cmd: 'watch-stop' }, 'watched');
  };
}

function keepAlive(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 64 });
}

const HR_EVENTS_PER_S = 500;
const EEG_CHUNKS_PER_S = 100;
/** Devices for part a: events rotate over them (the EEG payload names its device). */
const STORED_DEVICES = 10;

/** a. device → stored latency at a constant 500 heart-rate events/s + 100 EEG chunks/s. */
export async function benchStoredLatency(backend: Backend, durationS: number): Promise<BenchReport> {
  const rt = await startRuntimeProcess(backend, STORED_DEVICES);
  try {
    const chunker = new EegChunker(await loadEegFile(DEMO_EDF), 1);
    const devices: Device[] = rt.devices;
    const nextId = idSequence('latency');
    const agent = keepAlive();
    const base = Date.now() - 86_400_000;
    const streams: Stream[] = [
      {
        rate: HR_EVENTS_PER_S,
        agent: () => agent,
        make: (n) => {
          const dev = devices[n % devices.length]!;
          const id = nextId();
          // One second apart per device, so no two samples share (device, time).
          const timeMs = base + Math.floor(n / devices.length) * 1000;
          return {
            req: heartRateRequest(dev, id, [{ timeMs, bpm: 72 }], 'bench'),
            key: id,
            token: dev.token,
          };
        },
      },
      {
        rate: EEG_CHUNKS_PER_S,
        agent: () => agent,
        make: (n) => {
          const dev = devices[n % devices.length]!;
          const id = nextId();
          const start = base + Math.floor(n / devices.length) * 1000;
          const req = eegChunkRequest(chunker, n % chunker.chunkCount, dev, id, start, 'json');
          return { req, key: `eeg:${id}`, token: dev.token };
        },
      },
    ];
    if (WARMUP_S > 0) await sendConstantRate(rt.url, streams, WARMUP_S);
    const stop = await watch(rt, 'events');
    const sent = await sendConstantRate(rt.url, streams, durationS);
    const watched = await stop();
    agent.destroy();

    const seen = new Map(watched.rows.map((r) => [r.id, r.seenAt]));
    const lat = { hr: [] as number[], eeg: [] as number[] };
    let missing = 0;
    for (const s of sent) {
      if (s.status !== 202 && s.status !== 201 && s.status !== 200) continue;
      const eeg = s.key.startsWith('eeg:');
      const at = seen.get(eeg ? s.key.slice(4) : s.key);
      if (at === undefined) missing++;
      else (eeg ? lat.eeg : lat.hr).push(at - s.scheduledAt);
    }
    const ok = sent.filter((s) => s.status! >= 200 && s.status! < 300);
    const all = stats([...lat.hr, ...lat.eeg]);
    const hr = stats(lat.hr);
    const eeg = stats(lat.eeg);
    const ack = stats(ok.map((s) => s.ackMs!));
    const lag = stats(sent.map((s) => s.lagMs));
    const failed = sent.length - ok.length;
    return {
      bench: `latency stored (${backend}): ${HR_EVENTS_PER_S} heart-rate events/s + ${EEG_CHUNKS_PER_S} EEG JSON chunks/s (23 × 256), constant rate, device → row visible in events`,
      figures: {
        'warm-up before measuring (s, same rate, not counted)': WARMUP_S,
        'requests sent': sent.length,
        'failed (non-2xx, errors)': failed,
        'acknowledged but never seen in storage': missing,
        'storage polls (every ms)': `${watched.polls} (${POLL_MS})`,
        'device → stored p50 ms (all)': all['p(50)'],
        'device → stored p95 ms (all)': all['p(95)'],
        'device → stored p99 ms (all)': all['p(99)'],
        'device → stored max ms (all)': all.max,
        'heart-rate event → stored p50 / p99 / max ms': `${r(hr['p(50)'])} / ${r(hr['p(99)'])} / ${r(hr.max)}`,
        'EEG chunk → stored p50 / p99 / max ms': `${r(eeg['p(50)'])} / ${r(eeg['p(99)'])} / ${r(eeg.max)}`,
        'ack latency p50 ms': ack['p(50)'],
        'ack latency p99 ms': ack['p(99)'],
        'sender lag behind schedule p99 ms': lag['p(99)'],
      },
      thresholds: checkThresholds(
        // Storage is the first half of "device → dashboard screen p99 < 1 s" (DESIGN.md §5).
        { stored_latency: ['p(99)<1000'], http_req_failed: ['rate<0.01'], missing: ['count==0'] },
        {
          stored_latency: all,
          http_req_failed: { rate: sent.length ? failed / sent.length : 1 },
          missing: { count: missing },
        },
      ),
    };
  } finally {
    await rt.stop();
  }
}

const r = (x: number): number => Math.round(x * 10) / 10;

/** b. heart-rate sample → alert stored, at 1,000 samples/s over BENCH_DEVICES patients. */
export async function benchAlertLatency(backend: Backend, durationS: number): Promise<BenchReport> {
  const patients = toolSettings().BENCH_DEVICES ?? HRA.patients;
  if (!(Number.isInteger(patients) && patients >= 2))
    throw new Error(`BENCH_DEVICES: expected an integer >= 2, got ${patients}`);
  const rt = await startRuntimeProcess(backend, patients);
  try {
    const devices: Device[] = rt.devices;
    const nextId = idSequence('alert-latency');
    // One connection per device, like a real device: its samples arrive in the order it sent them.
    const agents = devices.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    const base = Date.now() - 86_400_000;
    /** `${patientId} ${sampleTimeMs}` → scheduled send time, for breach samples. */
    const sendTimes = new Map<string, number>();
    let episodesSent = 0;
    // Every patient starts with a few normal samples; first breaches are spread over one cycle.
    const lead = (p: number) =>
      HRA.leadSamples + Math.floor((p * (HRA.cycleSamples - HRA.breachSamples)) / patients);
    const stream: Stream = {
      rate: HRA.samplesPerS,
      agent: (n) => agents[n % devices.length]!,
      make: (n, scheduledAt) => {
        const p = n % devices.length;
        const dev = devices[p]!;
        const k = Math.floor(n / devices.length); // this patient's k-th sample
        const timeMs = base + k * HRA.sampleStepMs;
        const phase = (k - lead(p)) % HRA.cycleSamples;
        const breaching = p % 2 === 0 && phase >= 0 && phase < HRA.breachSamples;
        const key = `${dev.patientId} ${timeMs}`;
        if (breaching) sendTimes.set(key, scheduledAt);
        if (breaching && phase === HRA.raisingSampleIndex) episodesSent++;
        const bpm = breaching ? HRA.breachBpm : HRA.normalBpm;
        return { req: heartRateRequest(dev, nextId(), [{ timeMs, bpm }], 'bench'), key, token: dev.token };
      },
    };
    if (WARMUP_S > 0) {
      // Normal rates only, at sample times before the measured ones (the monitor ignores older samples).
      const warmBase = base - 10 * 86_400_000;
      await sendConstantRate(
        rt.url,
        [
          {
            rate: HRA.samplesPerS,
            agent: (n) => agents[n % devices.length]!,
            make: (n) => {
              const dev = devices[n % devices.length]!;
              const timeMs = warmBase + Math.floor(n / devices.length) * HRA.sampleStepMs;
              const req = heartRateRequest(dev, nextId(), [{ timeMs, bpm: HRA.normalBpm }], 'bench');
              return { req, key: `warm:${n}`, token: dev.token };
            },
          },
        ],
        WARMUP_S,
      );
    }
    const stop = await watch(rt, 'alerts');
    const sent = await sendConstantRate(rt.url, [stream], durationS);
    const watched = await stop();
    for (const a of agents) a.destroy();

    const lat: number[] = [];
    let unmatched = 0;
    for (const a of watched.rows) {
      const t = sendTimes.get(`${a.patientId} ${a.raisedAt}`);
      if (t === undefined) unmatched++;
      else lat.push(a.seenAt - t);
    }
    const ok = sent.filter((s) => s.status! >= 200 && s.status! < 300);
    const failed = sent.length - ok.length;
    const al = stats(lat);
    const ack = stats(ok.map((s) => s.ackMs!));
    const lag = stats(sent.map((s) => s.lagMs));
    return {
      bench: `latency alert (${backend}): ${patients} patients, 1-sample heart-rate events, ${HRA.samplesPerS} samples/s in total, half breaching ${HRA.breachBpm} bpm > ${HRA.highLimitBpm} in cycles; sample → alert row visible`,
      figures: {
        'warm-up before measuring (s, same rate, not counted)': WARMUP_S,
        'requests sent': sent.length,
        'failed (non-2xx, errors)': failed,
        'breach episodes sent through the raising sample': episodesSent,
        'alerts raised and seen': watched.rows.length,
        'alerts not matched to a sent sample': unmatched,
        'storage polls (every ms)': `${watched.polls} (${POLL_MS})`,
        'sample → alert stored p50 ms': al['p(50)'],
        'sample → alert stored p95 ms': al['p(95)'],
        'sample → alert stored p99 ms': al['p(99)'],
        'sample → alert stored max ms': al.max,
        'ack latency p50 ms': ack['p(50)'],
        'ack latency p99 ms': ack['p(99)'],
        'sender lag behind schedule p99 ms': lag['p(99)'],
      },
      thresholds: checkThresholds(HRA.thresholds, {
        alert_latency: al,
        alerts: { count: lat.length },
        http_req_failed: { rate: sent.length ? failed / sent.length : 1 },
      }),
    };
  } finally {
    await rt.stop();
  }
}

export async function benchLatency(backend: Backend, durationS: number): Promise<BenchReport[]> {
  const out = [await benchStoredLatency(backend, durationS)];
  out.push(await benchAlertLatency(backend, durationS));
  return out;
}

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { backend: { type: 'string', default: 'sqlite' }, duration: { type: 'string', default: '15' } },
  });
  const backend = values.backend as Backend;
  if (backend !== 'sqlite' && backend !== 'mysql')
    throw new Error(`--backend: sqlite or mysql, got ${backend}`);
  const duration = Number(values.duration);
  if (!(duration > 0)) throw new Error(`--duration: seconds > 0, got ${values.duration}`);
  const reports: BenchReport[] = [];
  for (const run of [benchStoredLatency, benchAlertLatency]) {
    const rep = await run(backend, duration);
    printReport(rep);
    reports.push(rep);
  }
  return allPassed(reports) ? 0 : 1;
}

if (process.argv[1] === import.meta.filename) process.exitCode = await main(process.argv.slice(2));
