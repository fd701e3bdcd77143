// Patient view: live EEG trace, seizure probability and heart-rate trend (with limits and alerts),
// or history over a chosen range. Data: REST for the initial window/history, SSE for live points.
import {
  connectStream,
  escapeHtml,
  fmtClock,
  fmtTime,
  localizeTimes,
  markDeviceSeen,
  pageData,
  severityHtml,
  statusHtml,
  timeHtml,
  watchDeviceLiveness,
} from './common.js';

const { head, patientId, threshold } = pageData();
const Chart = window.Chart;
const LIVE_WINDOW_MS = 15 * 60_000;
const EEG_WINDOW_MS = 10_000;
const EEG_SPACING_UV = 150;
const api = (path) => `/api/patients/${encodeURIComponent(patientId)}${path}`;

localizeTimes();
watchDeviceLiveness();

const state = {
  live: true,
  range: null, // [from, to] in history mode
  hr: [], // {x, y}
  prob: [],
  alerts: [], // {x, y, alert}
  eeg: new Map(), // channel -> [{x, y}]
  channels: [],
  selected: new Set(),
  limits: null,
};

const timeAxis = (extra = {}) => ({
  type: 'linear',
  ticks: { callback: (v) => fmtClock(v), maxRotation: 0, autoSkipPadding: 16 },
  ...extra,
});
const base = {
  animation: false,
  responsive: true,
  maintainAspectRatio: false,
  parsing: false,
  normalized: true,
};

const hrChart = new Chart(document.getElementById('hr-chart'), {
  type: 'line',
  data: {
    datasets: [
      {
        label: 'Heart rate (bpm)',
        data: [],
        borderColor: '#1d4ed8',
        pointRadius: 1.5,
        borderWidth: 1.5,
      },
      {
        label: 'High limit (bpm)',
        data: [],
        borderColor: '#b91c1c',
        borderDash: [6, 4],
        pointRadius: 0,
        borderWidth: 1,
      },
      {
        label: 'Low limit (bpm)',
        data: [],
        borderColor: '#b45309',
        borderDash: [2, 3],
        pointRadius: 0,
        borderWidth: 1,
      },
      {
        label: 'Alerts (▲)',
        data: [],
        type: 'scatter',
        pointStyle: 'triangle',
        pointRadius: 8,
        borderColor: '#7f1d1d',
        backgroundColor: '#fca5a5',
      },
    ],
  },
  options: {
    ...base,
    scales: { x: timeAxis(), y: { title: { display: true, text: 'bpm' } } },
    plugins: {
      tooltip: {
        callbacks: {
          title: (items) => (items[0] ? fmtTime(items[0].parsed.x) : ''),
          label: (item) =>
            item.raw?.alert
              ? `${item.raw.alert.severity} ${item.raw.alert.kind} (${item.raw.alert.status})`
              : `${item.dataset.label}: ${Math.round(item.parsed.y)} bpm`,
        },
      },
    },
  },
});

const probChart = new Chart(document.getElementById('prob-chart'), {
  type: 'line',
  data: {
    datasets: [
      {
        label: 'Seizure probability',
        data: [],
        borderColor: '#7c3aed',
        pointRadius: 1.5,
        borderWidth: 1.5,
        stepped: true,
      },
      {
        label: threshold == null ? 'Threshold (no model)' : `Window threshold ${threshold}`,
        data: [],
        borderColor: '#b91c1c',
        borderDash: [6, 4],
        pointRadius: 0,
        borderWidth: 1,
      },
    ],
  },
  options: {
    ...base,
    scales: { x: timeAxis(), y: { min: 0, max: 1, title: { display: true, text: 'probability' } } },
  },
});

const PALETTE = ['#0f766e', '#1d4ed8', '#9333ea', '#b45309', '#be123c', '#15803d', '#0369a1', '#6d28d9'];
const eegChart = new Chart(document.getElementById('eeg-chart'), {
  type: 'line',
  data: { datasets: [] },
  options: {
    ...base,
    plugins: { legend: { display: false }, tooltip: { enabled: false } },
    scales: {
      x: timeAxis(),
      y: {
        ticks: {
          stepSize: EEG_SPACING_UV,
          callback: (v) => {
            const sel = selectedChannels();
            const i = Math.round(-v / EEG_SPACING_UV);
            return v % EEG_SPACING_UV === 0 && sel[i] ? sel[i] : '';
          },
        },
        title: { display: true, text: `channels (${EEG_SPACING_UV} µV per division)` },
      },
    },
  },
});

function selectedChannels() {
  return state.channels.filter((c) => state.selected.has(c));
}

function setChannels(channels) {
  if (channels.join(',') === state.channels.join(',')) return;
  state.channels = channels;
  if (state.selected.size === 0) for (const c of channels.slice(0, 4)) state.selected.add(c);
  const box = document.getElementById('channels');
  box.querySelector('#channels-empty')?.remove();
  for (const el of box.querySelectorAll('label')) el.remove();
  for (const c of channels) {
    const label = document.createElement('label');
    label.className = 'chk';
    label.innerHTML = `<input type="checkbox" value="${escapeHtml(c)}"${state.selected.has(c) ? ' checked' : ''}> ${escapeHtml(c)}`;
    label.querySelector('input').addEventListener('change', (e) => {
      if (e.target.checked) state.selected.add(c);
      else state.selected.delete(c);
      redraw();
    });
    box.append(label);
  }
}

/** Appends a chunk's samples (µV) for each channel starting at t0 with rate hz. */
function addEegChunk(t0, hz, channels, samples) {
  setChannels(channels);
  channels.forEach((c, i) => {
    let arr = state.eeg.get(c);
    if (!arr) {
      arr = [];
      state.eeg.set(c, arr);
    }
    const row = samples[i] ?? [];
    for (let k = 0; k < row.length; k++) arr.push({ x: t0 + (k * 1000) / hz, y: row[k] });
  });
}

function trimLive() {
  if (!state.live) return;
  const now = Date.now();
  const cut = (arr, before) => {
    let n = 0;
    while (n < arr.length && arr[n].x < before) n++;
    if (n) arr.splice(0, n);
  };
  cut(state.hr, now - LIVE_WINDOW_MS);
  cut(state.prob, now - LIVE_WINDOW_MS);
  cut(state.alerts, now - LIVE_WINDOW_MS);
  let newest = 0;
  for (const arr of state.eeg.values()) if (arr.length) newest = Math.max(newest, arr[arr.length - 1].x);
  for (const arr of state.eeg.values()) cut(arr, newest - EEG_WINDOW_MS);
}

let pending = false;
function redraw() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    trimLive();
    // 20 s of headroom on the right so the newest point is not drawn on the border.
    const [lo, hi] = state.live ? [Date.now() - LIVE_WINDOW_MS, Date.now() + 20_000] : state.range;
    for (const ch of [hrChart, probChart]) {
      ch.options.scales.x.min = lo;
      ch.options.scales.x.max = hi;
    }
    let newest = 0;
    for (const arr of state.eeg.values()) if (arr.length) newest = Math.max(newest, arr[arr.length - 1].x);
    if (newest === 0) newest = state.live ? Date.now() : hi;
    eegChart.options.scales.x.min = newest - EEG_WINDOW_MS;
    eegChart.options.scales.x.max = newest;
    hrChart.data.datasets[1].data =
      state.limits?.high != null
        ? [
            { x: lo, y: state.limits.high },
            { x: hi, y: state.limits.high },
          ]
        : [];
    hrChart.data.datasets[2].data =
      state.limits?.low != null
        ? [
            { x: lo, y: state.limits.low },
            { x: hi, y: state.limits.low },
          ]
        : [];
    hrChart.data.datasets[0].data = state.hr.slice();
    hrChart.data.datasets[3].data = state.alerts.slice();
    hrChart.update('none');
    probChart.data.datasets[1].data =
      threshold == null
        ? []
        : [
            { x: lo, y: threshold },
            { x: hi, y: threshold },
          ];
    probChart.data.datasets[0].data = state.prob.slice();
    probChart.update('none');
    eegChart.data.datasets = selectedChannels().map((c, i) => ({
      label: c,
      data: (state.eeg.get(c) ?? []).map((p) => ({ x: p.x, y: p.y - i * EEG_SPACING_UV })),
      borderColor: PALETTE[i % PALETTE.length],
      borderWidth: 1,
      pointRadius: 0,
    }));
    eegChart.update('none');
    document.getElementById('hr-empty').hidden = state.hr.length > 0;
    document.getElementById('prob-empty').hidden = state.prob.length > 0;
  });
}

function hrAt(x) {
  let best = null;
  for (const p of state.hr) if (!best || Math.abs(p.x - x) < Math.abs(best.x - x)) best = p;
  return best ? best.y : (state.limits?.high ?? 100);
}

function addAlertMarker(alert) {
  const x = Date.parse(alert.raisedAt);
  if (Number.isNaN(x) || state.alerts.some((a) => a.alert.alertId === alert.alertId)) return;
  state.alerts.push({ x, y: hrAt(x), alert });
  state.alerts.sort((a, b) => a.x - b.x);
}

async function getJson(url) {
  const r = await fetch(url, { headers: { accept: 'application/json' } });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

/** Follows nextCursor up to `maxPages` pages. */
async function getAll(url, maxPages = 20) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < maxPages; i++) {
    const page = await getJson(cursor ? `${url}&cursor=${encodeURIComponent(cursor)}` : url);
    items.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return items;
}

async function loadLimits() {
  const el = document.getElementById('limits');
  try {
    const r = await fetch(api('/limits'), { headers: { accept: 'application/json' } });
    if (!r.ok) throw new Error(String(r.status));
    const j = await r.json();
    const l = j.limits ?? j;
    const low = l.lowBpm ?? l.low ?? l.low_bpm;
    const high = l.highBpm ?? l.high ?? l.high_bpm;
    state.limits = { low, high };
    el.innerHTML = `Limits: low <strong>${escapeHtml(low)}</strong> bpm, high <strong>${escapeHtml(high)}</strong> bpm${
      j.updatedBy ? ` <span class="muted">(set by ${escapeHtml(j.updatedBy)})</span>` : ''
    }`;
  } catch {
    el.innerHTML =
      '<span class="muted">Limits: not available (defaults of the heart-rate monitor apply).</span>';
  }
}

async function loadRange(from, to) {
  const q = `?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=10000`;
  const status = document.getElementById('range-status');
  try {
    const [hr, prob, alerts] = await Promise.all([
      getAll(api(`/heart-rate${q}`)),
      getAll(api(`/predictions${q}`)),
      getJson(`/api/alerts?patient=${encodeURIComponent(patientId)}&limit=200`),
    ]);
    state.hr.splice(0, state.hr.length, ...hr.map((s) => ({ x: Date.parse(s.time), y: s.bpm })));
    state.prob.splice(
      0,
      state.prob.length,
      ...prob.map((p) => ({ x: Date.parse(p.time), y: p.probability })),
    );
    state.alerts.splice(0);
    for (const a of alerts.items) {
      const x = Date.parse(a.raisedAt);
      if (x >= from && x <= to) addAlertMarker(a);
    }
    if (!state.live) {
      const eegFrom = Math.max(from, to - 60_000);
      const chunks = await getAll(
        api(
          `/eeg?from=${new Date(eegFrom).toISOString()}&to=${new Date(to).toISOString()}&maxHz=64&limit=60`,
        ),
        2,
      );
      state.eeg.clear();
      for (const ch of chunks) addEegChunk(Date.parse(ch.time), ch.sampleRateHz, ch.channels, ch.samples);
      status.textContent = `Showing history from ${fmtTime(from)} to ${fmtTime(to)} (EEG: the last minute of the range). Live updates paused.`;
    }
    redraw();
  } catch (err) {
    status.textContent = `Could not load data: ${err.message}. Check the connection and try again.`;
  }
}

function toLocalInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}

const form = document.getElementById('range');
form.from.value = toLocalInput(Date.now() - 60 * 60_000);
form.to.value = toLocalInput(Date.now());
form.addEventListener('submit', (e) => {
  e.preventDefault();
  const from = new Date(form.from.value).getTime();
  const to = new Date(form.to.value).getTime();
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to) {
    document.getElementById('range-status').textContent = 'Choose a start time before the end time.';
    return;
  }
  state.live = false;
  state.range = [from, to];
  loadRange(from, to);
});
document.getElementById('live-btn').addEventListener('click', () => {
  state.live = true;
  state.eeg.clear();
  document.getElementById('range-status').textContent =
    'Showing live data (last 15 min). Times are in your local time zone.';
  loadRange(Date.now() - LIVE_WINDOW_MS, Date.now());
});

function renderOpenAlert(ev) {
  const ul = document.getElementById('open-alerts');
  ul.querySelector('[data-empty]')?.remove();
  let li = ul.querySelector(`[data-alert="${CSS.escape(ev.alertId)}"]`);
  if (ev.action === 'cleared') {
    li?.remove();
    if (!ul.children.length) ul.innerHTML = '<li class="muted" data-empty>none</li>';
    return;
  }
  if (!li) {
    if (ev.action !== 'raised') return;
    li = document.createElement('li');
    li.dataset.alert = ev.alertId;
    ul.prepend(li);
    li.dataset.kind = ev.kind;
    li.dataset.severity = ev.severity;
  }
  li.innerHTML = `${severityHtml(li.dataset.severity)} ${escapeHtml(li.dataset.kind)} ${statusHtml(ev.action)} <a class="small" href="/alerts/${encodeURIComponent(ev.alertId)}">details</a>`;
}

await loadLimits();
await loadRange(Date.now() - LIVE_WINDOW_MS, Date.now());

connectStream({
  after: head,
  patient: patientId,
  handlers: {
    'heart-rate': (ev) => {
      if (ev.deviceId) markDeviceSeen(ev.deviceId);
      const last = ev.samples[ev.samples.length - 1];
      if (last) {
        document.getElementById('cur-bpm').textContent = String(Math.round(last.bpm));
        document.getElementById('cur-bpm-time').innerHTML = timeHtml(Date.parse(last.time));
      }
      if (!state.live) return;
      for (const s of ev.samples) state.hr.push({ x: Date.parse(s.time), y: s.bpm });
      state.hr.sort((a, b) => a.x - b.x);
      redraw();
    },
    eeg: (ev) => {
      if (ev.deviceId) markDeviceSeen(ev.deviceId);
      if (!state.live || !ev.trace) return;
      addEegChunk(Date.parse(ev.startTime), ev.trace.hz, ev.trace.channels, ev.trace.samples);
      redraw();
    },
    prediction: (ev) => {
      const seizure = ev.label === 'seizure';
      document.getElementById('cur-eeg').innerHTML =
        `${seizure ? '⚠ Seizure' : '✓ No seizure'} <span class="small">p = ${Number(ev.chunkProbability).toFixed(2)}</span>`;
      if (!state.live) return;
      state.prob.push({ x: Date.parse(ev.windowStart), y: ev.chunkProbability });
      redraw();
    },
    alert: (ev) => {
      renderOpenAlert(ev);
      if (ev.action === 'raised' && state.live) {
        addAlertMarker({ ...ev, status: 'raised' });
        redraw();
      }
    },
  },
});
