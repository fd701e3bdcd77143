// Capacity page: Erlang B blocking probability P_B against offered traffic A for m = 1..N servers
// (plotted by capacity.js with chart.js), and the committed plan (capacity/plan.json) as a table.

import { html } from 'hono/html';
import { blockingCurve } from '../../capacity/erlang.ts';
import { type CapacityPlan, loadPlan } from '../../capacity/plan.ts';
import { projectPath } from '../../config/project-root.ts';

export const PLAN_FILE = projectPath('capacity/plan.json');

export interface CapacityData {
  mMax: number;
  aMax: number;
  series: Array<{ servers: number; a: number[]; pb: number[] }>;
}

export function capacityData(mMax: number, aMax: number, steps: number): CapacityData {
  return {
    mMax,
    aMax,
    series: blockingCurve(mMax, aMax, steps).map((s) => ({
      servers: s.servers,
      a: s.points.map((p) => Math.round(p.offeredTraffic * 1e4) / 1e4),
      pb: s.points.map((p) => Math.round(p.blocking * 1e6) / 1e6),
    })),
  };
}

export async function readPlan(): Promise<{ plan: CapacityPlan } | { error: string }> {
  try {
    return { plan: await loadPlan(PLAN_FILE) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return {
      error:
        e.code === 'ENOENT' ? 'No capacity plan has been committed yet (capacity/plan.json).' : e.message,
    };
  }
}

/** Four significant digits: plan inputs can be long fractions such as 1/60. */
const sig = (x: number) => Number(x.toPrecision(4)).toString();
const fmt = (x: number, digits = 3) =>
  Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(digits);

export function capacityBody(mMax: number, aMax: number, planResult: Awaited<ReturnType<typeof readPlan>>) {
  return html`<h1>Capacity</h1>
<section class="card" aria-labelledby="eb-h">
  <h2 id="eb-h">Erlang B: blocking probability P<sub>B</sub> vs offered traffic A</h2>
  <form method="get" action="/capacity" class="row">
    <label>Servers m = 1 … <input type="number" name="m" min="1" max="50" value="${mMax}"></label>
    <label>A up to <input type="number" name="a" min="1" max="100" step="1" value="${aMax}"> <span class="unit">Erlang</span></label>
    <button type="submit">Redraw</button>
  </form>
  <div class="chart tall"><canvas id="erlang-chart" role="img" aria-label="Erlang B curves: blocking probability against offered traffic, one curve per number of servers from 1 to ${mMax}" aria-describedby="erlang-desc"></canvas></div>
  <p class="small muted" id="erlang-desc">A = λ · T<sub>s</sub> (arrival rate × mean service time), in Erlang. Each curve is one value of m (concurrent slots); P<sub>B</sub> is the probability that an arrival finds all m busy.</p>
</section>
<section class="card" aria-labelledby="plan-h">
  <h2 id="plan-h">Committed plan</h2>
  ${
    'error' in planResult
      ? html`<p class="empty">${planResult.error}</p>`
      : html`<p class="small muted">Namespace ${planResult.plan.namespace}. Source: capacity/plan.json.</p>
  ${Object.entries(planResult.plan.overlays).map(
    ([overlay, fns]) => html`<h3>Overlay ${overlay}</h3>
  <div class="scroll"><table class="plan cards"><thead><tr><th scope="col">Function</th><th scope="col">λ <span class="unit">(events/s)</span></th><th scope="col">T<sub>s</sub> <span class="unit">(s)</span></th><th scope="col">A <span class="unit">(Erl)</span></th><th scope="col">Target P<sub>B</sub></th><th scope="col">m <span class="unit">(slots)</span></th><th scope="col">P<sub>B</sub> at m</th><th scope="col">C</th><th scope="col">min / max scale <span class="unit">(pods)</span></th><th scope="col">Basis</th></tr></thead>
  <tbody>${Object.entries(fns).map(
    ([fn, e]) =>
      html`<tr><th scope="row" class="wide">${fn}</th><td data-label="λ (events/s)">${sig(e.arrivalRate)}</td><td data-label="Ts (s)">${sig(e.serviceTime)}</td><td data-label="A (Erl)">${fmt(e.offeredTraffic)}</td><td data-label="Target PB">${e.targetBlocking}</td><td data-label="m (slots)">${e.servers}</td><td data-label="PB at m">${fmt(e.blocking, 4)}</td><td data-label="C">${e.containerConcurrency}</td><td data-label="min / max scale (pods)">${e.minScale} / ${e.maxScale}</td><td class="small wide" data-label="Basis">${e.basis}</td></tr>`,
  )}</tbody></table></div>`,
  )}`
  }
</section>`;
}
