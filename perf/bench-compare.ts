// Side by side, one run, same machine, same chunk, same load: stored EEG chunks/s of two replicas of the
// prototype's design (perf/baseline: synchronous REST to a predictor, a new MySQL connection and one
// INSERT per chunk), its ingest service in Flask as the prototype built it and the same design in Node,
// and of Vigil's embedded runtime on SQLite (JSON and float32 bodies) and MariaDB
// (JSON), in two rounds that alternate the systems, so drift on a shared machine hits them alike. For
// each Vigil system it also measures the acknowledgement p99 at half the rate it just achieved, and
// the runtime's peak RSS. Ratios are taken against the baseline of the same round.
// Usage: npx tsx perf/bench-compare.ts [--duration S] [--rounds N]
import path from 'node:path';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { createMysqlTestDatabase, dropMysqlTestDatabase } from '../storage/testing.ts';
import { startFlaskIngest } from './baseline/flask-process.ts';
import { startChild } from './child.ts';
import { runLoad } from './load.ts';
import type { Device, PayloadKind } from './payloads.ts';
import { type BenchReport, printReport, round } from './report.ts';
import { type Backend, rssSampler, startRuntimeProcess } from './runtime-process.ts';
import type { Scenario, ThresholdResult } from './scenario.ts';

/** The bars: stored chunks/s and the ratio over the prototype's design in the same run. */
export const BARS = {
  'sqlite-float32': { rate: 1100, ratio: 14 },
  'sqlite-json': { rate: 700, ratio: 9 },
  'mysql-json': { rate: 500, ratio: 7 },
} as const;
const P99_BAR_MS = 100;
const RSS_BAR_MB = 300;
const CONNECTIONS = 16;
const WARMUP_S = 2;

export type VigilSystem = keyof typeof BARS;
export const SYSTEMS: Record<VigilSystem, { backend: Backend; payload: PayloadKind }> = {
  'sqlite-json': { backend: 'sqlite', payload: 'eeg-json' },
  'sqlite-float32': { backend: 'sqlite', payload: 'eeg-binary' },
  'mysql-json': { backend: 'mysql', payload: 'eeg-json' },
};

export interface VigilFigures {
  stored: number;
  p99HalfRate: number;
  rssMb: number;
  lost: number;
}

export const closedLoop = (payload: PayloadKind, durationS: number): Scenario => ({
  name: 'compare',
  description: `EEG chunks (23 ch × 256 Hz × 1 s, ${payload}), closed loop`,
  executor: 'max-throughput',
  payload,
  durationS,
  connections: CONNECTIONS,
  thresholds: {},
});

/** The two replicas of the prototype's design: its Flask ingest service as built, and the same design in Node. */
export type Baseline = 'flask' | 'node';

/**
 * Stored chunks/s of a replica of the prototype's design: it answers only after its INSERT, so stored
 * = acknowledged. Both replicas call the same predictor process (Vigil's model, perf/baseline/predictor-server.ts).
 */
export async function measureBaseline(kind: Baseline, durationS: number): Promise<number> {
  const url = await createMysqlTestDatabase();
  const predictor = await startChild<{ url: string }>(
    path.join(import.meta.dirname, 'baseline/predictor-server.ts'),
    {},
  );
  const db = await mysql.createConnection(url);
  const base =
    kind === 'flask'
      ? await startFlaskIngest(url, predictor.ready.url)
      : await startChild<{ url: string }>(path.join(import.meta.dirname, 'baseline/sync-server.ts'), {
          BASELINE_MYSQL_URL: url,
          BASELINE_PREDICTOR_URL: predictor.ready.url,
        });
  const baseUrl = 'ready' in base ? base.ready.url : base.url;
  const device: Device = { patientId: 'bench-1', deviceId: 'dev-1', token: 'unused' };
  const count = async () => {
    const [rows] = await db.query('SELECT COUNT(*) AS n FROM baseline_eeg_chunks');
    return Number((rows as Array<{ n: number }>)[0]!.n);
  };
  try {
    await runLoad(baseUrl, closedLoop('eeg-json', WARMUP_S), device);
    const before = await count();
    const t0 = performance.now();
    await runLoad(baseUrl, closedLoop('eeg-json', durationS), device);
    return ((await count()) - before) / ((performance.now() - t0) / 1000);
  } finally {
    await base.stop();
    await predictor.stop();
    await db.end();
    await dropMysqlTestDatabase(url);
  }
}

/** Stored chunks/s from the first request until the runtime is idle again, then p99 at half that rate. */
export async function measureVigil(
  system: VigilSystem,
  durationS: number,
  env: Record<string, string> = {},
): Promise<VigilFigures> {
  const { backend, payload } = SYSTEMS[system];
  const rt = await startRuntimeProcess(backend, 1, env);
  const rss = rssSampler(() => rt.child.rssBytes());
  try {
    const device = rt.devices[0]!;
    await runLoad(rt.url, closedLoop(payload, WARMUP_S), device);
    await rt.idle();
    const before = (await rt.counts()).eegChunks;
    const t0 = performance.now();
    const load = await runLoad(rt.url, closedLoop(payload, durationS), device);
    await rt.idle();
    const storedRows = (await rt.counts()).eegChunks - before;
    const stored = storedRows / ((performance.now() - t0) / 1000);
    const half = await runLoad(
      rt.url,
      {
        ...closedLoop(payload, durationS),
        executor: 'constant-arrival-rate',
        rate: Math.max(1, Math.round(stored / 2)),
        connections: 64,
      },
      device,
    );
    await rt.idle();
    const halfStored = (await rt.counts()).eegChunks - before - storedRows;
    return {
      stored,
      p99HalfRate: half.metrics.http_req_duration!['p(99)']!,
      rssMb: rss.stop() / 2 ** 20,
      // every acknowledged chunk has its own ce-id, so each must be a stored row
      lost: Math.max(0, load.acknowledged - storedRows) + Math.max(0, half.acknowledged - halfStored),
    };
  } finally {
    rss.stop();
    await rt.stop();
  }
}

export const span = (xs: number[]) =>
  xs.length === 1 ? `${round(xs[0]!)}` : `${round(Math.min(...xs))}–${round(Math.max(...xs))}`;

export async function benchCompare(durationS = 10, rounds = 2): Promise<BenchReport> {
  const baseline: Record<Baseline, number[]> = { flask: [], node: [] };
  const vigil: Record<VigilSystem, VigilFigures[]> = {
    'sqlite-json': [],
    'sqlite-float32': [],
    'mysql-json': [],
  };
  const names = Object.keys(SYSTEMS) as VigilSystem[];
  const all: Array<VigilSystem | Baseline> = ['flask', 'node', ...names];
  for (let r = 0; r < rounds; r++) {
    // alternate: the replicas first in odd rounds, last in even ones, every system in reverse order
    for (const s of r % 2 === 0 ? all : [...all].reverse()) {
      if (s === 'flask' || s === 'node') baseline[s].push(await measureBaseline(s, durationS));
      else vigil[s].push(await measureVigil(s, durationS));
    }
  }
  const figures: Record<string, number | string> = {
    load: `autocannon, ${CONNECTIONS} connections, closed loop, ${durationS} s after ${WARMUP_S} s of warm-up, one 23×256 chunk per request, ${rounds} rounds alternating the systems`,
    'prototype design, Flask ingest (MariaDB) stored chunks/s': span(baseline.flask),
    'prototype design, the same in Node (MariaDB) stored chunks/s': span(baseline.node),
  };
  const thresholds: ThresholdResult[] = [];
  for (const s of names) {
    const f = vigil[s];
    // The bars are against the prototype's Flask design; the Node replica's ratios are shown beside them.
    const ratios = f.map((x, i) => x.stored / baseline.flask[i]!);
    figures[`Vigil ${s} stored chunks/s`] = span(f.map((x) => x.stored));
    figures[`Vigil ${s} / prototype in Flask (same round)`] = span(ratios);
    figures[`Vigil ${s} / prototype design in Node (same round)`] = span(
      f.map((x, i) => x.stored / baseline.node[i]!),
    );
    figures[`Vigil ${s} ack p99 at half rate (ms)`] = span(f.map((x) => x.p99HalfRate));
    figures[`Vigil ${s} peak RSS (MB)`] = span(f.map((x) => x.rssMb));
    const minRate = Math.min(...f.map((x) => x.stored));
    const minRatio = Math.min(...ratios);
    const maxP99 = Math.max(...f.map((x) => x.p99HalfRate));
    const maxRss = Math.max(...f.map((x) => x.rssMb));
    const lost = f.reduce((a, x) => a + x.lost, 0);
    thresholds.push(
      {
        metric: `${s} stored/s`,
        expression: `min>=${BARS[s].rate}`,
        actual: minRate,
        ok: minRate >= BARS[s].rate,
      },
      {
        metric: `${s} ratio over the Flask prototype`,
        expression: `min>=${BARS[s].ratio}`,
        actual: minRatio,
        ok: minRatio >= BARS[s].ratio,
      },
      {
        metric: `${s} p99 half rate`,
        expression: `max<${P99_BAR_MS}`,
        actual: maxP99,
        ok: maxP99 < P99_BAR_MS,
      },
      { metric: `${s} rss_mb`, expression: `max<${RSS_BAR_MB}`, actual: maxRss, ok: maxRss < RSS_BAR_MB },
      { metric: `${s} acknowledged lost`, expression: 'value==0', actual: lost, ok: lost === 0 },
    );
  }
  return {
    bench:
      'compare: stored EEG chunks/s, the prototype design (Flask, and the same in Node) vs Vigil embedded (SQLite JSON, SQLite float32, MariaDB JSON)',
    figures,
    thresholds,
  };
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({
    options: { duration: { type: 'string', default: '10' }, rounds: { type: 'string', default: '2' } },
  });
  const r = await benchCompare(Number(values.duration), Number(values.rounds));
  printReport(r);
  process.exitCode = r.thresholds.every((t) => t.ok) ? 0 : 1;
}
