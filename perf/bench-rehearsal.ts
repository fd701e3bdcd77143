// Stored EEG chunks/s and heart-rate samples/s of the rehearsed cluster (every function its own process
// behind the rehearsal Broker and Service addresses, 2 replicas of each event function: rehearsal/start.ts)
// beside the embedded runtime (`vigil up`'s one process), both on MariaDB, same run, same loads, one after
// the other. Each target runs in its own process tree; the load comes from this one (perf/load.ts).
// The rehearsal runs the compiled image layout: `npm run build` first.
// Usage: npx tsx perf/bench-rehearsal.ts [--duration S]   (or npm run bench -- rehearsal)
import path from 'node:path';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { toolSettings } from '../config/env.ts';
import { TEST_MYSQL_URL } from '../storage/testing.ts';
import { type Child, startChild } from './child.ts';
import { runLoad } from './load.ts';
import { type BenchReport, printReport } from './report.ts';
import type { ChildCounts, ChildReady } from './runtime-child.ts';
import { startRuntimeProcess } from './runtime-process.ts';
import type { Scenario } from './scenario.ts';

const WARMUP_S = toolSettings().BENCH_WARMUP_S ?? 3;

/**
 * MariaDB's transaction commits and data-file fsyncs so far, server-wide (other sessions on a shared
 * server count too): the cluster delivers one event per HTTP request, so each is its own transaction,
 * where the embedded runtime commits a group at once.
 */
async function serverCommits(): Promise<{ commits: number; fsyncs: number }> {
  const c = await mysql.createConnection(TEST_MYSQL_URL);
  try {
    const [rows] = await c.query(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Handler_commit', 'Innodb_data_fsyncs')",
    );
    const v = Object.fromEntries(
      (rows as Array<{ Variable_name: string; Value: string }>).map((r) => [
        r.Variable_name,
        Number(r.Value),
      ]),
    );
    return { commits: v.Handler_commit ?? 0, fsyncs: v.Innodb_data_fsyncs ?? 0 };
  } finally {
    await c.end();
  }
}

interface Target {
  url: string;
  /** CPU seconds so far per component (the rehearsal only). */
  cpu?: () => Promise<Record<string, number>>;
  device: ChildReady['devices'][number];
  counts(): Promise<ChildCounts>;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const scenarios = (durationS: number): Scenario[] => [
  {
    name: 'rehearsal-eeg',
    description: 'EEG chunks (23 ch × 256 Hz × 1 s, JSON), closed loop',
    executor: 'max-throughput',
    payload: 'eeg-json',
    durationS,
    connections: 32,
    thresholds: {},
  },
  {
    name: 'rehearsal-hr',
    description: 'heart-rate events of 100 samples, closed loop',
    executor: 'max-throughput',
    payload: 'heart-rate',
    samplesPerEvent: 100,
    durationS,
    connections: 32,
    thresholds: {},
  },
];

/** Per scenario: stored per second, from the first request until the target is idle again. */
async function measure(t: Target, list: Scenario[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of list) {
    if (WARMUP_S > 0) {
      await runLoad(t.url, { ...s, name: `${s.name}-warmup`, durationS: WARMUP_S }, t.device);
      await t.idle();
    }
    const before = await t.counts();
    const cpuBefore = await t.cpu?.();
    const dbBefore = await serverCommits();
    const t0 = performance.now();
    const load = await runLoad(t.url, s, t.device);
    await t.idle();
    const seconds = (performance.now() - t0) / 1000;
    const after = await t.counts();
    const eeg = s.payload !== 'heart-rate';
    const stored = eeg
      ? after.eegChunks - before.eegChunks
      : after.heartRateSamples - before.heartRateSamples;
    out[`${eeg ? 'EEG chunks' : 'heart-rate samples'} stored/s`] = stored / seconds;
    out[`${eeg ? 'EEG' : 'heart-rate'} requests acknowledged`] = load.acknowledged;
    out[`${eeg ? 'EEG' : 'heart-rate'} failed requests`] = load.failed;
    const dbAfter = await serverCommits();
    const events = Math.max(1, after.events - before.events);
    out[`${eeg ? 'EEG' : 'heart-rate'} MariaDB commits per stored event (server-wide)`] =
      (dbAfter.commits - dbBefore.commits) / events;
    out[`${eeg ? 'EEG' : 'heart-rate'} MariaDB fsyncs/s (server-wide)`] =
      (dbAfter.fsyncs - dbBefore.fsyncs) / seconds;
    out[`${eeg ? 'EEG' : 'heart-rate'} ack latency p99 ms`] = load.metrics.http_req_duration!['p(99)']!;
    const cpuAfter = await t.cpu?.();
    if (cpuBefore && cpuAfter)
      for (const [k, v] of Object.entries(cpuAfter))
        out[`${eeg ? 'EEG' : 'heart-rate'} CPU s (of ${(seconds * 2).toFixed(1)} on 2 cores): ${k}`] =
          v - (cpuBefore[k] ?? 0);
  }
  return out;
}

function fromChild(c: Child<ChildReady>): Target {
  return {
    url: c.ready.ingestUrl,
    device: c.ready.devices[0]!,
    counts: () => c.ask<ChildCounts>('counts', 'counts'),
    cpu: async () => (await c.ask<{ seconds: Record<string, number> }>('cpu', 'cpu')).seconds,
    idle: async () => {
      await c.ask('idle', 'idle');
    },
    stop: () => c.stop(),
  };
}

export async function benchRehearsal(durationS = 10): Promise<BenchReport> {
  const list = scenarios(durationS);
  const rt = await startRuntimeProcess('mysql', 1);
  let embedded: Record<string, number>;
  try {
    embedded = await measure(
      { url: rt.url, device: rt.devices[0]!, counts: rt.counts, idle: rt.idle, stop: rt.stop },
      list,
    );
  } finally {
    await rt.stop();
  }
  const child = await startChild<ChildReady>(
    path.join(import.meta.dirname, 'rehearsal-child.ts'),
    {},
    { timeoutMs: 300_000 },
  );
  let rehearsed: Record<string, number>;
  try {
    rehearsed = await measure(fromChild(child), list);
  } finally {
    await child.stop();
  }
  const figures: Record<string, number | string> = {
    'load (both)': `autocannon, 32 connections, ${durationS} s per payload after ${WARMUP_S} s of warm-up`,
  };
  for (const [k, v] of Object.entries(embedded)) figures[`embedded runtime: ${k}`] = v;
  for (const [k, v] of Object.entries(rehearsed)) figures[`rehearsed cluster: ${k}`] = v;
  const eeg = rehearsed['EEG chunks stored/s'] ?? 0;
  const hr = rehearsed['heart-rate samples stored/s'] ?? 0;
  return {
    bench:
      'rehearsal: stored/s of the rehearsed cluster (one process per function, 2 replicas) beside the embedded runtime, both MariaDB',
    figures,
    thresholds: [
      { metric: 'rehearsed EEG chunks stored/s', expression: 'value>0', actual: eeg, ok: eeg > 0 },
      { metric: 'rehearsed heart-rate samples stored/s', expression: 'value>0', actual: hr, ok: hr > 0 },
    ],
  };
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' } } });
  const r = await benchRehearsal(Number(values.duration));
  printReport(r);
  process.exitCode = r.thresholds.every((t) => t.ok) ? 0 : 1;
}
