// Printing and collecting benchmark figures, so every bench reports the same way.
import { cpus, totalmem } from 'node:os';
import type { ThresholdResult } from './scenario.ts';

export interface BenchReport {
  bench: string;
  figures: Record<string, number | string>;
  thresholds: ThresholdResult[];
}

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`;
}

export function printReport(r: BenchReport): void {
  const lines = [`== ${r.bench}`];
  for (const [k, v] of Object.entries(r.figures))
    lines.push(`   ${k}: ${typeof v === 'number' ? round(v) : v}`);
  for (const t of r.thresholds)
    lines.push(`   threshold ${t.metric} ${t.expression}: ${round(t.actual)} ${t.ok ? 'PASS' : 'FAIL'}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function round(x: number): number {
  return Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 100) / 100;
}

/** True when every threshold of every report passed. */
export function allPassed(reports: BenchReport[]): boolean {
  return reports.every((r) => r.thresholds.every((t) => t.ok));
}
