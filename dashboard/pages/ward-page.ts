// Ward overview: every patient with latest heart rate, EEG/seizure status, open alerts and device
// liveness, rendered from storage and then kept live by ward.js over SSE. Below 700 px each patient is
// a card (style.css), so nothing scrolls sideways on a phone.
import { html } from 'hono/html';
import type { WardPatient } from '../data/ward.ts';
import { priorityBadge, type WardClock } from './format.ts';

const HEART_RATE_KINDS = new Set(['tachycardia', 'bradycardia']);

/** The priority of the patient's active heart-rate alarm, which colours the displayed rate. */
export function heartRateAlarm(p: Pick<WardPatient, 'openAlerts'>): string | undefined {
  return p.openAlerts.find((a) => HEART_RATE_KINDS.has(a.kind) && a.conditionActive)?.priority;
}

export function alarmItem(a: WardPatient['openAlerts'][number]) {
  const acked = a.status === 'acknowledged';
  return html`<li data-alert="${a.alertId}" data-priority="${a.priority}" data-kind="${a.kind}" data-category="${a.category}" data-acked="${acked ? '1' : '0'}" data-ended="${a.conditionActive ? '0' : '1'}" class="alarm alarm-${a.priority}${acked ? ' acked' : ''}">${priorityBadge(a.priority)} <span class="kind">${a.kind}</span><span class="state small">${acked ? ' (ack.)' : ''}${a.conditionActive ? '' : ' (ended)'}</span>${
    acked
      ? ''
      : html` <button type="button" class="ack-alarm small" data-ack="${a.alertId}">Acknowledge</button>`
  }</li>`;
}

/** Sound controls of the central station: enable, pause for 2 min (with its countdown), notifications. */
export function alarmControls() {
  return html`<div class="alarm-controls card" id="alarm-controls">
<button type="button" id="audio-enable">Enable alarm sound</button>
<button type="button" id="audio-pause" hidden>Pause audio for 2 min</button>
<span id="audio-state" class="small" role="status"></span>
<button type="button" id="notify-enable" class="small">Browser notifications</button>
</div>`;
}

export function eegStatus(p: Pick<WardPatient, 'prediction' | 'lastEegAt'>, clock: WardClock) {
  if (!p.prediction)
    return html`<span class="muted">${p.lastEegAt ? 'EEG received, not yet analysed' : 'no EEG data yet'}</span>`;
  const seizure = p.prediction.label === 'seizure';
  return html`<span class="${seizure ? 'flag-bad' : 'flag-ok'}">${seizure ? '⚠ Seizure-like activity' : '✓ No seizure activity'}</span><div class="small muted">${clock.el(p.prediction.windowStart)}</div>`;
}

export function deviceLine(d: WardPatient['devices'][number], withId: boolean) {
  return html`<div data-device="${d.id}" data-last-seen="${d.lastSeenAt ?? ''}" class="device ${d.online ? 'online' : 'offline'}"><span class="dot" aria-hidden="true">${d.online ? '●' : '○'}</span> <span class="state">${d.online ? 'online' : 'offline'}</span> <span class="small muted">${d.kind}${withId ? ` ${d.id}` : ''}</span></div>`;
}

export function wardBody(patients: WardPatient[], clock: WardClock, now: number) {
  if (patients.length === 0)
    return html`<h1>Ward</h1><p class="empty card">No patients are enrolled yet. An admin can enrol patients and their devices on the <a href="/admin">Admin</a> page.</p>`;
  return html`<h1>Ward <span class="muted small">(${patients.length} patients)</span></h1>
${alarmControls()}
<table class="ward" id="ward">
<caption class="sr-only">Patients on the ward with their latest readings, open alerts and devices</caption>
<thead><tr><th scope="col">Patient</th><th scope="col">Heart rate</th><th scope="col">EEG / seizure</th><th scope="col">Open alerts</th><th scope="col">Devices</th></tr></thead>
<tbody>
${patients.map(
  (
    p,
  ) => html`<tr data-patient="${p.id}" data-patient-name="${p.name}" data-priority="${p.highestPriority ?? ''}">
  <th scope="row"><a href="/patients/${encodeURIComponent(p.id)}">${p.name}</a><div class="muted small">${p.id}</div></th>
  <td class="hr"><span class="cell-label" aria-hidden="true">Heart rate</span>${
    p.heartRate
      ? html`<span class="big vital${heartRateAlarm(p) ? ` vital-${heartRateAlarm(p)}` : ''}" data-field="bpm">${Math.round(p.heartRate.bpm)}</span> <span class="unit">bpm</span><div class="small muted" data-field="hr-time">${clock.el(p.heartRate.time)}</div>`
      : html`<span class="big vital" data-field="bpm">—</span> <span class="unit">bpm</span><div class="small muted" data-field="hr-time">no heart-rate data yet</div>`
  }</td>
  <td class="eeg"><span class="cell-label" aria-hidden="true">EEG</span><div data-field="eeg">${eegStatus(p, clock)}</div></td>
  <td class="alerts"><span class="cell-label" aria-hidden="true">Open alerts</span><div data-field="alerts">${
    p.openAlerts.length
      ? html`<ul class="plain">${p.openAlerts.map(alarmItem)}</ul>`
      : html`<span class="muted">none</span>`
  }</div></td>
  <td class="devices"><span class="cell-label" aria-hidden="true">Devices</span>${
    p.devices.length
      ? p.devices.map((d) => deviceLine(d, false))
      : html`<span class="muted">no device in service</span>`
  }</td>
</tr>`,
)}
</tbody></table>
<p class="small muted">Rendered ${clock.el(now)}; updates live. A device is offline after 30 s without data. Times are in the ward's time zone, ${clock.zone}.</p>`;
}
