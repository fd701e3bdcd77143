// Side by side, same run, same machine, same payload and load: stored EEG chunks/s of Vigil's embedded
// runtime against the synchronous baseline (perf/baseline/sync-server.ts), both on MariaDB, as a ratio.
// Usage: npx tsx perf/bench-compare.ts [--duration S]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createMysqlTestDatabase, dropMysqlTestDatabase } from '../storage/testing.ts';
import { startChild } from './child.ts';
import { runLoad } from './load.ts';
import { type BenchReport, printReport } from './report.ts';
import { startRuntimeProcess } from './runtime-process.ts';
import type { Scenario } from './scenario.ts';

export const RATIO_BAR = 20;

export async function benchCompare(durationS = 10): Promise<BenchReport> {
  const scenario: Scenario = {
    name: 'compare',
    description: 'EEG chunks (23 ch × 256 Hz × 1 s, JSON), closed loop',
    executor: 'max-throughput',
    payload: 'eeg-json',
    durationS,
    connections: 32,
    thresholds: {},
  };
  // Vigil: ingest → broker → recorder + detector, on MariaDB.
  const rt = await startRuntimeProcess('mysql', 1);
  let vigil: number;
  try {
    const t0 = performance.now();
    await runLoad(rt.url, scenario, rt.devices[0]!);
    await rt.idle();
    vigil = (await rt.counts()).eegChunks / ((performance.now() - t0) / 1000);
  } finally {
    await rt.stop();
  }
  // Baseline: answers only after its INSERT, so stored = acknowledged when the load ends.
  const url = await createMysqlTestDatabase();
  const base = await startChild<{ url: string }>(path.join(import.meta.dirname, 'baseline/sync-server.ts'), {
    BASELINE_MYSQL_URL: url,
  });
  let baseline: number;
  try {
    const t0 = performance.now();
    await runLoad(base.ready.url, scenario, { patientId: 'bench-1', deviceId: 'dev-1', token: 'unused' });
    const seconds = (performance.now() - t0) / 1000;
    baseline = (await base.ask<{ eegChunks: number }>('counts', 'counts')).eegChunks / seconds;
  } finally {
    await base.stop();
    await dropMysqlTestDatabase(url);
  }
  const ratio = baseline > 0 ? vigil / baseline : Infinity;
  return {
    bench: 'compare: stored EEG chunks/s, Vigil embedded runtime vs synchronous baseline (both MariaDB)',
    figures: {
      'load (both)': `autocannon, 32 connections, ${durationS} s, one 23×256 JSON chunk per request`,
      'Vigil stored chunks/s': vigil,
      'baseline stored chunks/s': baseline,
      'ratio Vigil / baseline': ratio,
    },
    thresholds: [
      { metric: 'ratio', expression: `value>=${RATIO_BAR}`, actual: ratio, ok: ratio >= RATIO_BAR },
    ],
  };
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' } } });
  const r = await benchCompare(Number(values.duration));
  printReport(r);
  process.exitCode = r.thresholds.every((t) => t.ok) ? 0 : 1;
}
