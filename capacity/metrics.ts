// λ and Ts per function from Prometheus text exposition (format 0.0.4) or a bench result file.
//
// Format used (documented in perf/capacity/README.md): every function exports the histogram
//   http_request_duration_seconds{function="<target>", ...}
// whose `_count` is requests served and `_sum` the seconds spent serving them. Series that differ
// only in other labels (pod, instance, code) are added up. Then, over an observation window W:
//   λ = Δcount / W,  Ts = Δsum / Δcount
// with Δ taken between two scrapes, or from zero for one scrape of counters that started with the window.

export const DURATION_METRIC = 'http_request_duration_seconds';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class ExpositionError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    message: string,
  ) {
    super(`${source}:${line}: ${message}`);
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad sample value "${text}"`);
  return Number(text);
}

/** Parse the Prometheus text exposition format; comments (# HELP/# TYPE) are checked and skipped. */
export function parseExposition(text: string, source = '<metrics>'): Sample[] {
  const samples: Sample[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      samples.push(parseSampleLine(line));
    } catch (e) {
      throw new ExpositionError(source, i + 1, (e as Error).message);
    }
  });
  return samples;
}

function parseSampleLine(line: string): Sample {
  const name = NAME.exec(line)?.[0];
  if (!name) throw new Error('expected a metric name');
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    for (;;) {
      rest = rest.trimStart();
      if (rest.startsWith('}')) {
        rest = rest.slice(1);
        break;
      }
      const label = LABEL_NAME.exec(rest)?.[0];
      if (!label) throw new Error('expected a label name');
      rest = rest.slice(label.length).trimStart();
      if (!rest.startsWith('="')) throw new Error(`expected ="value" after label ${label}`);
      rest = rest.slice(2);
      let value = '';
      for (;;) {
        const ch = rest[0];
        if (ch === undefined) throw new Error(`unterminated value of label ${label}`);
        rest = rest.slice(1);
        if (ch === '"') break;
        if (ch === '\\') {
          const esc = rest[0];
          rest = rest.slice(1);
          if (esc === 'n') value += '\n';
          else if (esc === '\\' || esc === '"') value += esc;
          else throw new Error(`bad escape \\${esc ?? ''} in label ${label}`);
        } else value += ch;
      }
      labels[label] = value;
      rest = rest.trimStart();
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) throw new Error('expected , or } in label set');
    }
  }
  if (!/^[ \t]/.test(rest)) throw new Error('expected whitespace before the value');
  const fields = rest.trim().split(/[ \t]+/);
  if (fields.length < 1 || fields.length > 2) throw new Error('expected "value [timestamp]"');
  if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`bad timestamp "${fields[1]}"`);
  return { name, labels, value: parseValue(fields[0]!) };
}

export interface Totals {
  count: number;
  sum: number;
}

/** Per-function `_count` and `_sum` of the duration histogram, summed over all other labels. */
export function durationTotals(samples: Sample[]): Map<string, Totals> {
  const totals = new Map<string, Totals>();
  for (const s of samples) {
    const which =
      s.name === `${DURATION_METRIC}_count`
        ? 'count'
        : s.name === `${DURATION_METRIC}_sum`
          ? 'sum'
          : undefined;
    if (!which) continue;
    const fn = s.labels.function;
    if (!fn) continue;
    const t = totals.get(fn) ?? { count: 0, sum: 0 };
    t[which] += s.value;
    totals.set(fn, t);
  }
  return totals;
}

export interface Measured {
  arrivalRate: number;
  serviceTime: number;
  requests: number;
}

/** λ and Ts per function over a window of `windowSeconds`, from one scrape or the delta of two. */
export function measure(
  after: Map<string, Totals>,
  windowSeconds: number,
  before?: Map<string, Totals>,
): Map<string, Measured> {
  if (!(windowSeconds > 0)) throw new RangeError(`window must be > 0 seconds, got ${windowSeconds}`);
  const out = new Map<string, Measured>();
  for (const [fn, a] of after) {
    const b = before?.get(fn) ?? { count: 0, sum: 0 };
    const count = a.count - b.count;
    const sum = a.sum - b.sum;
    if (count < 0 || sum < 0)
      throw new Error(`${fn}: counters went backwards between scrapes (process restarted?)`);
    if (count === 0) continue;
    out.set(fn, { arrivalRate: count / windowSeconds, serviceTime: sum / count, requests: count });
  }
  return out;
}

/**
 * Bench result file: `{"functions": {"<target>": {"arrivalRate": <1/s>, "serviceTime": <s>}}}`
 * (what a benchmark that measured a function writes).
 */
export function parseBenchResult(json: unknown, source: string): Map<string, Measured> {
  const out = new Map<string, Measured>();
  const fns = (json as { functions?: unknown })?.functions;
  if (!fns || typeof fns !== 'object') throw new Error(`${source}: expected {"functions": {...}}`);
  for (const [fn, v] of Object.entries(fns as Record<string, unknown>)) {
    const { arrivalRate, serviceTime } = (v ?? {}) as Record<string, unknown>;
    if (typeof arrivalRate !== 'number' || !(arrivalRate > 0))
      throw new Error(`${source}: functions.${fn}.arrivalRate must be a number > 0`);
    if (typeof serviceTime !== 'number' || !(serviceTime > 0))
      throw new Error(`${source}: functions.${fn}.serviceTime must be a number > 0`);
    out.set(fn, { arrivalRate, serviceTime, requests: Number.NaN });
  }
  return out;
}
