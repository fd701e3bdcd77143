// `vigil capacity`: Erlang B sizing of Knative max-scale, by hand or from measured metrics.

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  DURATION_METRIC,
  durationTotals,
  type Measured,
  measure,
  parseBenchResult,
  parseExposition,
} from '../../capacity/metrics.ts';
import {
  DEFAULT_PLAN_PATH,
  loadPlan,
  planEntryFrom,
  savePlan,
  size,
  writeOverlayPatches,
} from '../../capacity/plan.ts';
import { FUNCTION_TARGETS, type FunctionTarget } from '../../functions/targets.ts';
import { UsageError } from '../usage-error.ts';

const USAGE = `Usage:
  vigil capacity --rate LAMBDA --service-time TS --blocking PB [--concurrency C] [--json]
      Erlang B sizing for one function: offered traffic A = LAMBDA·TS (Erlang), servers m for
      P_B <= PB, Erlang C wait probability, maxScale = ceil(m / C), target = ceil(m / maxScale).
  vigil capacity --from-metrics URL|FILE [--from-metrics URL|FILE] --window SECONDS
                 [--overlay prod] [--write] [--plan FILE] [--overlays-dir DIR] [--json]
      Derive λ and Ts per function from Prometheus text exposition: the histogram
      ${DURATION_METRIC}{function="<target>"} (_count, _sum; other labels are summed).
      One scrape: counters cover the last SECONDS. Two scrapes: SECONDS apart, deltas are used.
      A FILE holding JSON is a bench result {"functions":{"<target>":{"arrivalRate","serviceTime"}}}
      (then --window is not needed). --write updates the overlay's entries in the plan
      (default ${DEFAULT_PLAN_PATH}) and rewrites knative/overlays/<overlay>/capacity-<fn>.yaml.`;

function num(flag: string, value: string | undefined, check: (x: number) => boolean, what: string): number {
  if (value === undefined) throw new UsageError(`--${flag} is required`);
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || !check(x))
    throw new UsageError(`--${flag} must be ${what}, got "${value}"`);
  return x;
}

export async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (e) {
    process.stderr.write(`vigil capacity: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    if (values['from-metrics']?.length) return await fromMetrics(values);
    return sizeOne(values);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`vigil capacity: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`vigil capacity: ${(e as Error).message}\n`);
    return 1;
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      rate: { type: 'string' },
      'service-time': { type: 'string' },
      blocking: { type: 'string' },
      concurrency: { type: 'string' },
      json: { type: 'boolean' },
      'from-metrics': { type: 'string', multiple: true },
      window: { type: 'string' },
      overlay: { type: 'string' },
      write: { type: 'boolean' },
      plan: { type: 'string' },
      'overlays-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type Values = ReturnType<typeof parse>['values'];

function sizeOne(values: Values): number {
  const arrivalRate = num('rate', values.rate, (x) => x > 0, 'a number > 0 (events/s)');
  const serviceTime = num('service-time', values['service-time'], (x) => x > 0, 'a number > 0 (seconds)');
  const targetBlocking = num('blocking', values.blocking, (x) => x > 0 && x < 1, 'a probability in (0, 1)');
  const containerConcurrency =
    values.concurrency === undefined
      ? 1
      : num('concurrency', values.concurrency, (x) => Number.isInteger(x) && x >= 1, 'an integer >= 1');
  const s = size({ arrivalRate, serviceTime, targetBlocking, containerConcurrency });
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ arrivalRate, serviceTime, targetBlocking, containerConcurrency, ...s })}\n`,
    );
    return 0;
  }
  process.stdout.write(
    [
      `offered traffic A     ${fmt(s.offeredTraffic)} Erl  (λ ${arrivalRate}/s × Ts ${serviceTime} s)`,
      `servers m             ${s.servers}  (smallest m with P_B <= ${targetBlocking})`,
      `blocking P_B          ${fmt(s.blocking)}`,
      `Erlang C P(wait)      ${fmt(s.waitProbability)}`,
      `maxScale              ${s.maxScale}  (ceil(${s.servers} / ${containerConcurrency}))`,
      `target concurrency    ${s.target}  (ceil(${s.servers} / ${s.maxScale}))`,
      '',
    ].join('\n'),
  );
  return 0;
}

function fmt(x: number): string {
  return Number(x.toPrecision(6)).toString();
}

async function readSource(src: string): Promise<string> {
  if (/^https?:\/\//.test(src)) {
    const res = await fetch(src, { headers: { accept: 'text/plain;version=0.0.4' } });
    if (!res.ok) throw new Error(`${src}: HTTP ${res.status}`);
    return res.text();
  }
  try {
    return await readFile(src, 'utf8');
  } catch (e) {
    throw new UsageError(
      `--from-metrics ${src}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

async function fromMetrics(values: Values): Promise<number> {
  const sources = values['from-metrics']!;
  if (sources.length > 2) throw new UsageError('--from-metrics takes one or two sources');
  const texts = await Promise.all(sources.map(readSource));
  let measured: Map<string, Measured>;
  if (texts.length === 1 && texts[0]!.trimStart().startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(texts[0]!);
    } catch (e) {
      throw new UsageError(`--from-metrics ${sources[0]}: not JSON: ${(e as Error).message}`);
    }
    measured = parseBenchResult(json, sources[0]!);
  } else {
    const windowSeconds = num('window', values.window, (x) => x > 0, 'a number of seconds > 0');
    const totals = texts.map((t, i) => durationTotals(parseExposition(t, sources[i])));
    measured =
      totals.length === 2
        ? measure(totals[1]!, windowSeconds, totals[0])
        : measure(totals[0]!, windowSeconds);
  }
  const known = new Map<FunctionTarget, Measured>();
  for (const [fn, m] of measured) {
    if ((FUNCTION_TARGETS as readonly string[]).includes(fn)) known.set(fn as FunctionTarget, m);
    else process.stderr.write(`vigil capacity: ignoring unknown function "${fn}"\n`);
  }
  if (known.size === 0) throw new Error(`no ${DURATION_METRIC} series with a known function label found`);

  const overlay = values.overlay ?? 'prod';
  const planPath = values.plan ?? DEFAULT_PLAN_PATH;
  const plan = await loadPlan(planPath);
  const fns = plan.overlays[overlay];
  if (!fns) throw new UsageError(`--overlay ${overlay}: ${planPath} has no such overlay`);
  const basis = `measured: vigil capacity --from-metrics ${sources.join(' ')}${values.window ? ` --window ${values.window}` : ''} (${new Date().toISOString().slice(0, 10)})`;
  const rows = [];
  for (const [fn, m] of known) {
    const old = fns[fn]!;
    const next = planEntryFrom({
      arrivalRate: round(m.arrivalRate),
      serviceTime: round(m.serviceTime),
      targetBlocking: old.targetBlocking,
      containerConcurrency: old.containerConcurrency,
      minScale: old.minScale,
      basis,
    });
    fns[fn] = next;
    rows.push({ function: fn, ...next, previousMaxScale: old.maxScale });
  }
  if (values.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
  else
    for (const r of rows)
      process.stdout.write(
        `${r.function.padEnd(20)} λ ${fmt(r.arrivalRate)}/s  Ts ${fmt(r.serviceTime)} s  A ${fmt(r.offeredTraffic)} Erl  m ${r.servers}  maxScale ${r.previousMaxScale} -> ${r.maxScale}  target ${r.target}\n`,
      );
  if (values.write) {
    await savePlan(planPath, plan);
    const files = await writeOverlayPatches(plan, overlay, values['overlays-dir'] ?? 'knative/overlays');
    process.stdout.write(`wrote ${planPath}, ${files.join(', ')}\n`);
  }
  return 0;
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}
