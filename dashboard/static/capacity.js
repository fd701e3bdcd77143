// Capacity page: Erlang B curves P_B(A) for m = 1..N, from data computed server-side by perf/capacity/erlang.ts.
import { pageData } from './common.js';

const data = pageData();
const PALETTE = [
  '#1d4ed8',
  '#b91c1c',
  '#15803d',
  '#7c3aed',
  '#b45309',
  '#0f766e',
  '#be123c',
  '#4338ca',
  '#a16207',
  '#0369a1',
];
new window.Chart(document.getElementById('erlang-chart'), {
  type: 'line',
  data: {
    datasets: data.series.map((s, i) => ({
      label: `m = ${s.servers}`,
      data: s.a.map((a, k) => ({ x: a, y: s.pb[k] })),
      borderColor: PALETTE[i % PALETTE.length],
      borderDash: i >= PALETTE.length ? [5, 3] : [],
      borderWidth: 1.5,
      pointRadius: 0,
    })),
  },
  options: {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    parsing: false,
    scales: {
      x: {
        type: 'linear',
        min: 0,
        max: data.aMax,
        title: { display: true, text: 'Offered traffic A (Erlang)' },
      },
      y: { min: 0, max: 1, title: { display: true, text: 'Blocking probability P_B' } },
    },
    plugins: { legend: { position: window.innerWidth < 700 ? 'bottom' : 'right' } },
  },
});
