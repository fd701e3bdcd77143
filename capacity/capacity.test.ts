// The capacity CLI, the Prometheus exposition parser and the plan → overlay patch round trip.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../cli/commands/capacity.ts';
import { durationTotals, ExpositionError, measure, parseExposition } from './metrics.ts';
import { capacityPatch, loadPlan, size, staleEntries } from './plan.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out.push(String(s));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err.push(String(s));
    return true;
  });
  return { out, err };
}
afterEach(() => vi.restoreAllMocks());

describe('vigil capacity --rate', () => {
  it('prints A, m, P_B, Erlang C and maxScale as JSON', async () => {
    const io = capture();
    expect(
      await run([
        '--rate',
        '100',
        '--service-time',
        '0.1',
        '--blocking',
        '0.01',
        '--concurrency',
        '4',
        '--json',
      ]),
    ).toBe(0);
    const r = JSON.parse(io.out.join(''));
    expect(r).toMatchObject({ offeredTraffic: 10, servers: 18, maxScale: 5, target: 4 });
    expect(r.blocking).toBeCloseTo(0.00714, 5);
    expect(r.waitProbability).toBeGreaterThan(r.blocking);
  });

  it('names the bad flag and exits 2', async () => {
    const io = capture();
    expect(await run(['--rate', 'x', '--service-time', '1', '--blocking', '0.01'])).toBe(2);
    expect(io.err.join('')).toContain('--rate');
    expect(await run(['--rate', '1', '--service-time', '1', '--blocking', '2'])).toBe(2);
    expect(await run(['--nope'])).toBe(2);
    expect(await run(['--help'])).toBe(0);
  });
});

const SCRAPE_1 = `# HELP http_request_duration_seconds Request duration
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{function="seizure-detector",le="+Inf"} 1000
http_request_duration_seconds_sum{function="seizure-detector",pod="a"} 30
http_request_duration_seconds_count{function="seizure-detector",pod="a"} 600
http_request_duration_seconds_sum{function="seizure-detector",pod="b"} 20
http_request_duration_seconds_count{function="seizure-detector",pod="b"} 400
http_request_duration_seconds_count{function="ingest",note="a \\"quoted\\", value"} 50 1700000000000
http_request_duration_seconds_sum{function="ingest"} 0.5
process_cpu_seconds_total 12.5
`;
const SCRAPE_2 = SCRAPE_1.replace('} 600', '} 6600').replace('} 30', '} 330');

describe('Prometheus exposition', () => {
  it('sums series per function and derives λ and Ts', () => {
    const t = durationTotals(parseExposition(SCRAPE_1));
    expect(t.get('seizure-detector')).toEqual({ count: 1000, sum: 50 });
    const one = measure(t, 100);
    expect(one.get('seizure-detector')).toMatchObject({ arrivalRate: 10, serviceTime: 0.05 });
    const two = measure(durationTotals(parseExposition(SCRAPE_2)), 300, t);
    expect(two.get('seizure-detector')).toMatchObject({ arrivalRate: 20, serviceTime: 0.05 });
    expect(two.has('ingest')).toBe(false);
  });

  it('reports the line of malformed input', () => {
    expect(() => parseExposition('ok 1\nbad{x="1" 2\n', 'm.txt')).toThrow(ExpositionError);
    expect(() => parseExposition('ok 1\nbad{x="1" 2\n', 'm.txt')).toThrow(/m\.txt:2/);
    expect(() => parseExposition('x one\n')).toThrow(/bad sample value/);
  });
});

describe('vigil capacity --from-metrics --write', () => {
  it('updates the plan and rewrites the overlay patches', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-capacity-'));
    const planFile = path.join(dir, 'plan.json');
    copyFileSync(path.join(repo, 'capacity/plan.json'), planFile);
    mkdirSync(path.join(dir, 'overlays/prod'), { recursive: true });
    writeFileSync(path.join(dir, 'a.txt'), SCRAPE_1);
    writeFileSync(path.join(dir, 'b.txt'), SCRAPE_2);
    const io = capture();
    const code = await run([
      '--from-metrics',
      path.join(dir, 'a.txt'),
      '--from-metrics',
      path.join(dir, 'b.txt'),
      '--window',
      '300',
      '--overlay',
      'prod',
      '--write',
      '--plan',
      planFile,
      '--overlays-dir',
      path.join(dir, 'overlays'),
    ]);
    expect(io.err.join('')).toBe('');
    expect(code).toBe(0);
    const plan = await loadPlan(planFile);
    const sd = plan.overlays.prod!['seizure-detector']!;
    expect(sd).toMatchObject({
      arrivalRate: 20,
      serviceTime: 0.05,
      ...size({ ...sd, arrivalRate: 20, serviceTime: 0.05 }),
    });
    expect(sd.basis).toMatch(/^measured: vigil capacity --from-metrics/);
    expect(staleEntries(plan)).toEqual([]);
    const patch = readFileSync(path.join(dir, 'overlays/prod/capacity-seizure-detector.yaml'), 'utf8');
    expect(patch).toBe(capacityPatch('seizure-detector', 'vigil', sd, 'prod'));
    expect(patch).toContain(`autoscaling.knative.dev/max-scale: "${sd.maxScale}"`);
  });

  it('needs --window for exposition input', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-capacity-'));
    writeFileSync(path.join(dir, 'a.txt'), SCRAPE_1);
    const io = capture();
    expect(await run(['--from-metrics', path.join(dir, 'a.txt')])).toBe(2);
    expect(io.err.join('')).toContain('--window');
  });
});
