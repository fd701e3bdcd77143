// Patient view: the current status, EEG review (eeg-review.js) and trends (trends.js), fed by REST for
// what is already stored and by the live stream for what arrives.
import {
  connectStream,
  escapeHtml,
  isPlausibleBpm,
  keepAgesCurrent,
  markDeviceSeen,
  pageData,
  priorityHtml,
  statusHtml,
  timeHtml,
  WARD_ZONE,
  watchDeviceLiveness,
} from './common.js';
import { EegReview } from './eeg-review.js';
import { msToWardWall, wardWallToMs } from './time-axis.js';
import { PRESETS, Trends } from './trends.js';

const { head, patientId, names } = pageData();
const api = (path) => `/api/patients/${encodeURIComponent(patientId)}${path}`;
const $ = (id) => document.getElementById(id);

keepAgesCurrent();
watchDeviceLiveness();

const eeg = new EegReview({
  api,
  form: $('eeg-controls'),
  canvas: $('eeg-canvas'),
  strip: $('seizure-strip'),
  montage: $('eeg-montage'),
  desc: $('eeg-desc'),
  stripDesc: $('strip-desc'),
  deviceSelect: $('eeg-device'),
  deviceLabel: $('eeg-device-label'),
});
const trends = new Trends({
  api,
  hrCanvas: $('hr-chart'),
  detCanvas: $('det-chart'),
  hrDesc: $('hr-desc'),
  detDesc: $('det-desc'),
});

async function getJson(url) {
  const r = await fetch(url, { headers: { accept: 'application/json' } });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return r.json();
}

async function loadLimits() {
  const el = $('limits');
  try {
    const j = await getJson(api('/limits'));
    const l = j.limits ?? j;
    const low = l.lowBpm ?? l.low ?? l.low_bpm;
    const high = l.highBpm ?? l.high ?? l.high_bpm;
    trends.setLimits({ low, high });
    el.innerHTML = `Limits: low <strong>${escapeHtml(low)}</strong> bpm, high <strong>${escapeHtml(high)}</strong> bpm${
      j.updatedBy ? ` <span class="muted">(set by ${escapeHtml(j.updatedBy)})</span>` : ''
    }`;
  } catch {
    el.innerHTML =
      '<span class="muted">Limits: not available (defaults of the heart-rate monitor apply).</span>';
  }
}

let alerts = [];
async function loadAlerts() {
  try {
    const j = await getJson(`/api/alerts?patient=${encodeURIComponent(patientId)}&limit=200`);
    alerts = j.items.map((a) => ({ ...a, x: Date.parse(a.raisedAt) }));
    trends.setAlerts(alerts);
  } catch {
    // The trend still shows without markers.
  }
}

const status = $('range-status');
const presetButtons = [...document.querySelectorAll('[data-preset]')];
async function showTrends(opts, label) {
  for (const b of presetButtons) b.setAttribute('aria-pressed', String(opts.preset === b.dataset.preset));
  try {
    await trends.show(opts);
    status.textContent = label;
  } catch (err) {
    status.textContent = `Could not load the trends: ${err.message}. Check the connection and try again.`;
  }
}
for (const b of presetButtons)
  b.addEventListener('click', () =>
    showTrends(
      { preset: b.dataset.preset, span: PRESETS[b.dataset.preset] },
      `Live: the last ${b.textContent.replace('Last ', '')}. Times in ${WARD_ZONE}.`,
    ),
  );

const form = $('range');
form.from.value = msToWardWall(Date.now() - 3_600_000, WARD_ZONE);
form.to.value = msToWardWall(Date.now(), WARD_ZONE);
form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const from = wardWallToMs(form.from.value, WARD_ZONE);
  const to = wardWallToMs(form.to.value, WARD_ZONE);
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to) {
    status.textContent = 'Choose a start time before the end time.';
    return;
  }
  if (to - from > 31 * 24 * 3_600_000) {
    status.textContent = 'Choose a range of at most 31 days.';
    return;
  }
  await showTrends(
    { range: [from, to] },
    `History from ${form.from.value.replace('T', ' ')} to ${form.to.value.replace('T', ' ')} (${WARD_ZONE}); live updates paused for the trends. The EEG shows the end of the range.`,
  );
  await eeg.showAt(to);
});

/** Latching: an alarm leaves the list once its condition has ended and it has been acknowledged. */
function renderOpenAlert(ev) {
  const ul = $('open-alerts');
  ul.querySelector('[data-empty]')?.remove();
  let li = ul.querySelector(`[data-alert="${CSS.escape(ev.alertId)}"]`);
  const remove = () => {
    li?.remove();
    if (!ul.children.length) ul.innerHTML = '<li class="muted" data-empty>none</li>';
  };
  if (ev.action === 'cleared') return remove();
  if (!li) {
    if (ev.action !== 'raised') return;
    li = document.createElement('li');
    Object.assign(li.dataset, {
      alert: ev.alertId,
      kind: ev.kind,
      priority: ev.priority,
      acked: '0',
      ended: '0',
    });
    ul.prepend(li);
  }
  if (ev.action === 'acknowledged') li.dataset.acked = '1';
  if (ev.action === 'condition-ended') li.dataset.ended = '1';
  if (li.dataset.acked === '1' && li.dataset.ended === '1') return remove();
  li.className = `alarm alarm-${li.dataset.priority}${li.dataset.acked === '1' ? ' acked' : ''}`;
  const status = li.dataset.acked === '1' ? 'acknowledged' : 'raised';
  li.innerHTML = `${priorityHtml(li.dataset.priority)} ${escapeHtml(li.dataset.kind)} ${statusHtml(status)}${li.dataset.ended === '1' ? ' (ended)' : ''}${ev.action === 'escalated' ? ' <strong>escalated</strong>' : ''} <a class="small" href="/alerts/${encodeURIComponent(ev.alertId)}">details</a>`;
}

await Promise.all([loadLimits(), loadAlerts()]);
await showTrends({ preset: '15m', span: PRESETS['15m'] }, `Live: the last 15 min. Times in ${WARD_ZONE}.`);
await eeg.load(Date.now() - 15_000, Date.now());
eeg.draw();

connectStream({
  after: head,
  patient: patientId,
  names,
  handlers: {
    'heart-rate': (ev) => {
      if (ev.deviceId) markDeviceSeen(ev.deviceId);
      // A loose sensor's 320 bpm is a technical alarm, never the displayed vital.
      const last = ev.samples.filter((s) => isPlausibleBpm(s.bpm)).at(-1);
      if (last) {
        $('cur-bpm').textContent = String(Math.round(last.bpm));
        $('cur-bpm-time').innerHTML = timeHtml(Date.parse(last.time));
      }
      trends.addHeartRate(ev.deviceId, ev.samples);
    },
    eeg: (ev) => {
      if (ev.deviceId) markDeviceSeen(ev.deviceId);
      if (!ev.trace) return;
      eeg.addChunk(ev.deviceId, Date.parse(ev.startTime), ev.trace.hz, ev.trace.channels, ev.trace.samples);
      if (eeg.live) eeg.draw();
    },
    prediction: (ev) => {
      const seizure = ev.label === 'seizure';
      $('cur-eeg').innerHTML =
        `<span class="${seizure ? 'flag-bad' : 'flag-ok'}">${seizure ? '⚠ Seizure-like activity' : '✓ No seizure activity'}</span><div class="small muted">${timeHtml(Date.parse(ev.windowStart))}</div>`;
      const windows = (ev.windows ?? []).map((w) => ({
        start: Date.parse(w.start),
        seconds: 1,
        seizureLike: w.seizureLike,
      }));
      eeg.addWindows(ev.deviceId, windows);
      if (eeg.live) eeg.draw();
      trends.addPrediction(ev.deviceId, ev.windowStart, ev.label);
    },
    alert: (ev) => {
      renderOpenAlert(ev);
      if (ev.action === 'raised') {
        alerts.push({ ...ev, x: Date.parse(ev.raisedAt) });
        trends.setAlerts(alerts);
      }
    },
  },
});
