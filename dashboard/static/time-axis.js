// Time on the charts, in the ward's time zone: regular ticks on round steps (every 1, 2, 5, 10, 15,
// 30 s, 1 … 30 min, 1 … 12 h) aligned to the ward's clock, conversion of datetime-local input (wall
// time in the ward) to instants, and gaps: points further apart than the data's own rhythm are not
// joined by a line, so a dropout shows as a dropout. Pure functions, tested in time-axis.test.ts.

const S = 1000;
const M = 60 * S;
const H = 60 * M;
export const TICK_STEPS = [1, 2, 5, 10, 15, 30]
  .map((s) => s * S)
  .concat([1, 2, 5, 10, 15, 30].map((m) => m * M))
  .concat([1, 2, 3, 6, 12].map((h) => h * H));

const offsetFormats = new Map();
/** The zone's offset from UTC at instant `ms`, in ms (positive east of Greenwich). */
export function zoneOffsetMs(ms, zone) {
  let f = offsetFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormats.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const wall = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour) % 24,
    Number(p.minute),
    Number(p.second),
  );
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The smallest round step that gives at most `maxTicks` ticks over [min, max]. */
export function tickStep(min, max, maxTicks) {
  const span = Math.max(1, max - min);
  return TICK_STEPS.find((s) => span / s <= maxTicks) ?? TICK_STEPS[TICK_STEPS.length - 1];
}

/** Tick instants in [min, max], each on a multiple of the step of the ward's wall clock. */
export function timeTicks(min, max, zone, maxTicks) {
  const step = tickStep(min, max, maxTicks);
  const out = [];
  const off0 = zoneOffsetMs(min, zone);
  let k = Math.ceil((min + off0) / step);
  for (let guard = 0; guard < 10_000; guard++, k++) {
    const wall = k * step;
    let t = wall - zoneOffsetMs(wall - off0, zone);
    // Across a daylight-saving change the offset differs by the tick: settle it once more.
    t = wall - zoneOffsetMs(t, zone);
    if (t > max) break;
    if (t >= min && (out.length === 0 || t > out[out.length - 1])) out.push(t);
  }
  return { step, ticks: out };
}

/** Ward wall time ("2026-11-26T14:03:05", a datetime-local value) to epoch ms. */
export function wardWallToMs(value, zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value ?? '');
  if (!m) return Number.NaN;
  const wall = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6] ?? 0),
  );
  let t = wall - zoneOffsetMs(wall, zone);
  t = wall - zoneOffsetMs(t, zone);
  return t;
}

/** Epoch ms to a datetime-local value in the ward's wall time. */
export function msToWardWall(ms, zone) {
  return new Date(Math.floor(ms / 1000) * 1000 + zoneOffsetMs(ms, zone)).toISOString().slice(0, 19);
}

/** Gap threshold for a series: three times its median spacing, and never below `floorMs`. */
export function gapThreshold(xs, floorMs) {
  if (xs.length < 3) return floorMs;
  const d = [];
  for (let i = 1; i < xs.length; i++) d.push(xs[i] - xs[i - 1]);
  d.sort((a, b) => a - b);
  return Math.max(floorMs, 3 * d[Math.floor(d.length / 2)]);
}

/**
 * Points ({x, y}, sorted by x) with a {x, y: null} between any two further apart than `gapMs`, which
 * chart.js draws as a break in the line. Also returns the gaps, for the text alternative.
 */
export function withGaps(points, gapMs) {
  const out = [];
  const gaps = [];
  for (let i = 0; i < points.length; i++) {
    if (i > 0 && points[i].x - points[i - 1].x > gapMs) {
      out.push({ x: (points[i].x + points[i - 1].x) / 2, y: null });
      gaps.push({ from: points[i - 1].x, to: points[i].x });
    }
    out.push(points[i]);
  }
  return { points: out, gaps };
}
