// Ward overview: every patient with latest heart rate, EEG/seizure status, open alerts and device
// liveness, rendered from storage and then kept live by ward.js over SSE.
import { html } from 'hono/html';
import type { WardPatient } from '../data/ward.ts';
import { severityBadge, timeEl } from './format.ts';

export function wardBody(patients: WardPatient[], now: number) {
  if (patients.length === 0)
    return html`<h1>Ward</h1><p class="empty card">No patients are enrolled yet. An admin can enrol patients and their devices on the <a href="/admin">Admin</a> page.</p>`;
  return html`<h1>Ward <span class="muted small">(${patients.length} patients)</span></h1>
<table class="ward" id="ward">
<thead><tr><th scope="col">Patient</th><th scope="col">Heart rate</th><th scope="col">EEG / seizure</th><th scope="col">Open alerts</th><th scope="col">Devices</th></tr></thead>
<tbody>
${patients.map(
  (p) => html`<tr data-patient="${p.id}">
  <th scope="row"><a href="/patients/${encodeURIComponent(p.id)}">${p.name}</a><div class="muted small">${p.id}</div></th>
  <td class="hr">${
    p.heartRate
      ? html`<span class="big" data-field="bpm">${Math.round(p.heartRate.bpm)}</span> <span class="unit">bpm</span><div class="small muted" data-field="hr-time">${timeEl(p.heartRate.time)}</div>`
      : html`<span class="big" data-field="bpm">—</span> <span class="unit">bpm</span><div class="small muted" data-field="hr-time">no heart-rate data yet</div>`
  }</td>
  <td class="eeg" data-field="eeg">${
    p.prediction
      ? html`<span class="${p.prediction.label === 'seizure' ? 'flag-bad' : 'flag-ok'}">${
          p.prediction.label === 'seizure' ? '⚠ Seizure' : '✓ No seizure'
        }</span> <span class="small">p = ${p.prediction.probability.toFixed(2)}</span><div class="small muted">${timeEl(p.prediction.windowStart)}</div>`
      : html`<span class="muted">${p.lastEegAt ? 'EEG received, no prediction yet' : 'no EEG data yet'}</span>`
  }</td>
  <td class="alerts" data-field="alerts">${
    p.openAlerts.length
      ? html`<ul class="plain">${p.openAlerts.map(
          (a) =>
            html`<li data-alert="${a.alertId}">${severityBadge(a.severity)} ${a.kind}${a.status === 'acknowledged' ? ' (ack.)' : ''}</li>`,
        )}</ul>`
      : html`<span class="muted">none</span>`
  }</td>
  <td class="devices">${
    p.devices.length
      ? p.devices.map(
          (d) =>
            html`<div data-device="${d.id}" data-last-seen="${d.lastSeenAt ?? ''}" class="device ${d.online ? 'online' : 'offline'}"><span class="dot" aria-hidden="true">${d.online ? '●' : '○'}</span> <span class="state">${d.online ? 'online' : 'offline'}</span> <span class="small muted">${d.kind}</span></div>`,
        )
      : html`<span class="muted">no device enrolled</span>`
  }</td>
</tr>`,
)}
</tbody></table>
<p class="small muted">Rendered ${timeEl(now)}; updates live. A device is offline after 30 s without data.</p>`;
}
