// The simulator's own ceiling: `runSimulation` at --speed max in this process (one core) against the
// trivial sink (perf/sink-server.ts) in another process. Bar: ≥ 5,000 events/s.
// Usage: npx tsx perf/bench-simulator.ts [--duration S] [--patients N]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadEegFile } from '../simulator/recordings.ts';
import { runSimulation } from '../simulator/simulate.ts';
import { startChild } from './child.ts';
import { DEMO_EDF } from './payloads.ts';
import { type BenchReport, printReport } from './report.ts';

export const SIMULATOR_BAR = 5000;

export async function benchSimulator(durationS = 10, patients = 64): Promise<BenchReport[]> {
  const sink = await startChild<{ url: string }>(path.join(import.meta.dirname, 'sink-server.ts'), {});
  const credentials = Array.from({ length: patients }, (_, i) => ({
    patientId: `p${i}`,
    deviceId: `d${i}`,
    token: 'sink',
  }));
  const hr = {
    kind: 'hr-series' as const,
    file: 'synthetic',
    samples: Array.from({ length: 600 }, (_, i) => ({ offsetS: i, bpm: 60 + (i % 40) })),
    durationS: 600,
  };
  const reports: BenchReport[] = [];
  try {
    const eeg = await loadEegFile(DEMO_EDF);
    for (const [label, opts] of [
      ['heart-rate events (1 sample each)', { eeg: [], hr: [hr], encoding: 'json' as const }],
      ['EEG chunks 23×256, JSON', { eeg: [eeg], hr: [], encoding: 'json' as const }],
      ['EEG chunks 23×256, binary float32', { eeg: [eeg], hr: [], encoding: 'binary' as const }],
    ] as const) {
      const cpu0 = process.cpuUsage();
      const r = await runSimulation({
        url: sink.ready.url,
        credentials,
        speed: Infinity,
        durationS,
        chunkSeconds: 1,
        ...opts,
        eeg: [...opts.eeg],
        hr: [...opts.hr],
      });
      const cpu = process.cpuUsage(cpu0);
      reports.push({
        bench: `simulator → trivial sink: ${label}`,
        figures: {
          patients,
          'acknowledged events': r.acknowledged,
          'events/s': r.eventsPerS,
          'simulator CPU (core-seconds per wall second)': (cpu.user + cpu.system) / 1e6 / r.elapsedS,
          errors: r.errors,
        },
        thresholds: [
          {
            metric: 'events_per_s',
            expression: `value>=${SIMULATOR_BAR}`,
            actual: r.eventsPerS,
            ok: r.eventsPerS >= SIMULATOR_BAR,
          },
        ],
      });
    }
  } finally {
    await sink.stop();
  }
  return reports;
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({
    options: { duration: { type: 'string', default: '10' }, patients: { type: 'string', default: '64' } },
  });
  const reports = await benchSimulator(Number(values.duration), Number(values.patients));
  reports.forEach(printReport);
  process.exitCode = reports.every((r) => r.thresholds.every((t) => t.ok)) ? 0 : 1;
}
