// What functions-framework (Express) costs on the ingest hot path compared with Hono, same handler,
// same payloads, each server in its own process. Decides which serves ingest in the container.
// Usage: npx tsx perf/bench-frameworks.ts [--duration S]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startChild } from './child.ts';
import { runLoad } from './load.ts';
import type { Device } from './payloads.ts';
import { type BenchReport, printReport } from './report.ts';
import type { Scenario } from './scenario.ts';

interface Ready {
  url: string;
  devices: Device[];
}

const SERVERS = ['hono', 'functions-framework'] as const;

export async function benchFrameworks(durationS = 10): Promise<BenchReport[]> {
  const payloads = [
    { payload: 'heart-rate' as const, samplesPerEvent: 1, label: 'heart-rate event (1 sample)' },
    { payload: 'eeg-json' as const, label: 'EEG chunk 23 ch x 256 Hz JSON' },
  ];
  const reports: BenchReport[] = [];
  for (const p of payloads) {
    const figures: Record<string, number> = {};
    for (const server of SERVERS) {
      const dir = mkdtempSync(path.join(tmpdir(), 'vigil-fw-'));
      const child = await startChild<Ready>(path.join(import.meta.dirname, 'frameworks-child.ts'), {
        BENCH_SERVER: server,
        BENCH_DATA_DIR: dir,
      });
      try {
        const scenario: Scenario = {
          name: `fw-${server}`,
          description: '',
          executor: 'max-throughput',
          payload: p.payload,
          durationS,
          connections: 32,
          thresholds: {},
          ...(p.samplesPerEvent ? { samplesPerEvent: p.samplesPerEvent } : {}),
        };
        const load = await runLoad(child.ready.url, scenario, child.ready.devices[0]!);
        if (load.failed > 0) throw new Error(`${server}: ${load.failed} requests failed`);
        figures[`${server} req/s`] = load.metrics.http_reqs!.rate!;
        figures[`${server} p99 ms`] = load.metrics.http_req_duration!['p(99)']!;
      } finally {
        await child.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    figures['Hono / functions-framework throughput'] =
      figures['hono req/s']! / figures['functions-framework req/s']!;
    reports.push({
      bench: `HTTP stack on the ingest hot path (${p.label}, sink accepts at once, 32 connections, ${durationS} s)`,
      figures,
      thresholds: [],
    });
  }
  return reports;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' } } });
  for (const r of await benchFrameworks(Number(values.duration))) printReport(r);
}
