// Ward overview: applies live events to the table rendered by the server.
import {
  connectStream,
  escapeHtml,
  keepAgesCurrent,
  markDeviceSeen,
  pageData,
  severityHtml,
  timeHtml,
  watchDeviceLiveness,
} from './common.js';

const data = pageData();
keepAgesCurrent();
watchDeviceLiveness();

const row = (patientId) => document.querySelector(`tr[data-patient="${CSS.escape(patientId ?? '')}"]`);

function onHeartRate(ev) {
  const tr = row(ev.patientId);
  if (ev.deviceId) markDeviceSeen(ev.deviceId);
  const last = ev.samples?.[ev.samples.length - 1];
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

function onAlert(ev) {
  const tr = row(ev.patientId);
  if (!tr) return;
  const cell = tr.querySelector('[data-field="alerts"]');
  let list = cell.querySelector('ul');
  const existing = cell.querySelector(`[data-alert="${CSS.escape(ev.alertId)}"]`);
  if (ev.action === 'cleared') {
    existing?.remove();
    if (list && list.children.length === 0) cell.innerHTML = '<span class="muted">none</span>';
    return;
  }
  if (ev.action === 'acknowledged') {
    if (existing && !existing.textContent.includes('(ack.)')) existing.append(' (ack.)');
    return;
  }
  if (existing) return;
  if (!list) {
    cell.innerHTML = '<ul class="plain"></ul>';
    list = cell.querySelector('ul');
  }
  const li = document.createElement('li');
  li.dataset.alert = ev.alertId;
  li.innerHTML = `${severityHtml(ev.severity)} ${escapeHtml(ev.kind)}`;
  list.prepend(li);
  tr.classList.add('flash');
  setTimeout(() => tr.classList.remove('flash'), 3000);
}

connectStream({
  after: data.head,
  names: data.names,
  handlers: { 'heart-rate': onHeartRate, prediction: onPrediction, eeg: onEeg, alert: onAlert },
});
