// Erlang B / Erlang C for sizing Knative max-scale. Everything uses the numerically stable
// recurrence B(0) = 1, B(m) = A·B(m−1) / (m + A·B(m−1)): no factorials, no powers, so it stays
// exact to double precision for m in the tens of thousands.

function checkTraffic(offeredTraffic: number): void {
  if (!Number.isFinite(offeredTraffic) || offeredTraffic < 0)
    throw new RangeError(`offered traffic must be a finite number ≥ 0, got ${offeredTraffic}`);
}

function checkServers(servers: number): void {
  if (!Number.isInteger(servers) || servers < 0)
    throw new RangeError(`servers must be an integer ≥ 0, got ${servers}`);
}

/** Blocking probability P_B of an M/M/m/m system with offered traffic A (Erlang) and m servers. */
export function erlangB(offeredTraffic: number, servers: number): number {
  checkTraffic(offeredTraffic);
  checkServers(servers);
  let b = 1;
  for (let m = 1; m <= servers; m++) {
    const ab = offeredTraffic * b;
    b = ab / (m + ab);
  }
  return b;
}

/**
 * Smallest m with B(m) ≤ target blocking. One pass of the recurrence, so O(m).
 * `maxServers` bounds the search (for A = 10,000 Erl and 1 % blocking m is about 10,000).
 */
export function erlangBServers(
  offeredTraffic: number,
  targetBlocking: number,
  maxServers = 1_000_000,
): number {
  checkTraffic(offeredTraffic);
  if (!(targetBlocking > 0 && targetBlocking < 1))
    throw new RangeError(`target blocking must be in (0, 1), got ${targetBlocking}`);
  let b = 1;
  let m = 0;
  while (b > targetBlocking) {
    m++;
    if (m > maxServers)
      throw new RangeError(`more than ${maxServers} servers needed for A=${offeredTraffic}`);
    const ab = offeredTraffic * b;
    b = ab / (m + ab);
  }
  return m;
}

/**
 * Erlang C: probability that an arrival waits in an M/M/m queue, from B:
 * C = m·B / (m − A·(1 − B)). At or above saturation (A ≥ m) every arrival waits: 1.
 */
export function erlangC(offeredTraffic: number, servers: number): number {
  checkTraffic(offeredTraffic);
  checkServers(servers);
  if (servers === 0 || offeredTraffic >= servers) return 1;
  const b = erlangB(offeredTraffic, servers);
  return (servers * b) / (servers - offeredTraffic * (1 - b));
}

/** One curve of the dashboard's capacity chart: P_B against A for a fixed m. */
export interface BlockingSeries {
  servers: number;
  points: Array<{ offeredTraffic: number; blocking: number }>;
}

/**
 * P_B against A for m = 1..mMax, with A sampled at `steps` equal intervals in [0, aMax].
 * One recurrence pass per A yields B(1..mMax) at once: (steps+1)·mMax operations.
 */
export function blockingCurve(mMax: number, aMax: number, steps: number): BlockingSeries[] {
  if (!Number.isInteger(mMax) || mMax < 1) throw new RangeError(`mMax must be an integer ≥ 1, got ${mMax}`);
  checkTraffic(aMax);
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`steps must be an integer ≥ 1, got ${steps}`);
  const series: BlockingSeries[] = [];
  for (let m = 1; m <= mMax; m++) series.push({ servers: m, points: [] });
  for (let i = 0; i <= steps; i++) {
    const a = (aMax * i) / steps;
    let b = 1;
    for (let m = 1; m <= mMax; m++) {
      const ab = a * b;
      b = ab / (m + ab);
      series[m - 1]!.points.push({ offeredTraffic: a, blocking: b });
    }
  }
  return series;
}
