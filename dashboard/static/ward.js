// Ward overview: applies live events to the table rendered by the server, keeps patients ordered by
// their most urgent alarm, and drives the alarm signals (alarm-panel.js).
import { AlarmPanel } from './alarm-panel.js';
import {
  connectStream,
  escapeHtml,
  isPlausibleBpm,
  keepAgesCurrent,
  markDeviceSeen,
  pageData,
  priorityHtml,
  timeHtml,
  watchDeviceLiveness,
} from './common.js';

const data = pageData();
keepAgesCurrent();
watchDeviceLiveness();
const panel = new AlarmPanel({ names: data.names });

const RANK = { high: 0, medium: 1, low: 2 };
const HEART_RATE_KINDS = new Set(['tachycardia', 'bradycardia']);
const row = (patientId) => document.querySelector(`tr[data-patient="${CSS.escape(patientId ?? '')}"]`);

/** Colours the displayed rate by the patient's active heart-rate alarm, and orders the rows. */
function refreshRow(tr) {
  const items = [...tr.querySelectorAll('li[data-alert]')];
  const hr = items.find((li) => HEART_RATE_KINDS.has(li.dataset.kind) && li.dataset.ended !== '1');
  const bpm = tr.querySelector('[data-field="bpm"]');
  bpm.className = `big vital${hr ? ` vital-${hr.dataset.priority}` : ''}`;
  const top = items.map((li) => li.dataset.priority).sort((a, b) => RANK[a] - RANK[b])[0];
  tr.dataset.priority = top ?? '';
  const body = tr.parentElement;
  const rows = [...body.children];
  const rank = (r) => RANK[r.dataset.priority] ?? 3;
  const sorted = [...rows].sort((a, b) => rank(a) - rank(b));
  if (sorted.some((r, i) => r !== rows[i])) for (const r of sorted) body.append(r);
}

function onHeartRate(ev) {
  const tr = row(ev.patientId);
  if (ev.deviceId) markDeviceSeen(ev.deviceId);
  // A loose sensor's 320 bpm is a technical alarm, never the displayed vital.
  const last = (ev.samples ?? []).filter((s) => isPlausibleBpm(s.bpm)).at(-1);
  if (!tr || !last) return;
  tr.querySelector('[data-field="bpm"]').textContent = String(Math.round(last.bpm));
  tr.querySelector('[data-field="hr-time"]').innerHTML = timeHtml(Date.parse(last.time));
}

function onPrediction(ev) {
  const tr = row(ev.patientId);
  if (!tr) return;
  const seizure = ev.label === 'seizure';
  tr.querySelector('[data-field="eeg"]').innerHTML =
    `<span class="${seizure ? 'flag-bad' : 'flag-ok'}">${seizure ? '⚠ Seizure-like activity' : '✓ No seizure activity'}</span>` +
    `<div class="small muted">${timeHtml(Date.parse(ev.windowStart))}</div>`;
}

function onEeg(ev) {
  if (ev.deviceId) markDeviceSeen(ev.deviceId);
  const cell = row(ev.patientId)?.querySelector('[data-field="eeg"] .muted');
  if (cell && /no EEG/.test(cell.textContent)) cell.textContent = 'EEG received, not yet analysed';
}

function stateText(li) {
  return `${li.dataset.acked === '1' ? ' (ack.)' : ''}${li.dataset.ended === '1' ? ' (ended)' : ''}`;
}

function onAlert(ev) {
  const tr = row(ev.patientId);
  if (ev.action === 'acknowledged') panel.acknowledged(ev.alertId);
  else if (ev.action === 'condition-ended') panel.conditionEnded(ev.alertId);
  else if (ev.action === 'cleared') panel.cleared(ev.alertId);
  else if (ev.action === 'escalated') panel.escalated(ev);
  else if (ev.action === 'raised') panel.raised(ev);
  if (!tr) return;
  const cell = tr.querySelector('[data-field="alerts"]');
  let list = cell.querySelector('ul');
  const existing = cell.querySelector(`[data-alert="${CSS.escape(ev.alertId)}"]`);
  const remove = () => {
    existing?.remove();
    if (list && list.children.length === 0) cell.innerHTML = '<span class="muted">none</span>';
  };
  if (ev.action === 'cleared') remove();
  else if (existing && (ev.action === 'acknowledged' || ev.action === 'condition-ended')) {
    const other = ev.action === 'acknowledged' ? 'ended' : 'acked';
    if (existing.dataset[other] === '1') remove();
    else {
      existing.dataset[ev.action === 'acknowledged' ? 'acked' : 'ended'] = '1';
      existing.classList.toggle('acked', existing.dataset.acked === '1');
      if (ev.action === 'acknowledged') existing.querySelector('button[data-ack]')?.remove();
      existing.querySelector('.state').textContent = stateText(existing);
    }
  } else if (existing && ev.action === 'escalated') existing.classList.add('escalated');
  else if (!existing && ev.action === 'raised') {
    if (!list) {
      cell.innerHTML = '<ul class="plain"></ul>';
      list = cell.querySelector('ul');
    }
    const li = document.createElement('li');
    Object.assign(li.dataset, {
      alert: ev.alertId,
      priority: ev.priority,
      kind: ev.kind,
      category: ev.category,
      acked: '0',
      ended: '0',
    });
    li.className = `alarm alarm-${ev.priority}`;
    li.innerHTML = `${priorityHtml(ev.priority)} <span class="kind">${escapeHtml(ev.kind)}</span><span class="state small"></span> <button type="button" class="ack-alarm small" data-ack="${escapeHtml(ev.alertId)}">Acknowledge</button>`;
    const before = [...list.children].find((x) => RANK[x.dataset.priority] > RANK[ev.priority]);
    list.insertBefore(li, before ?? null);
  }
  refreshRow(tr);
}

connectStream({
  after: data.head,
  names: data.names,
  handlers: { 'heart-rate': onHeartRate, prediction: onPrediction, eeg: onEeg, alert: onAlert },
});
