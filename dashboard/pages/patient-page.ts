// Patient view: live EEG trace (selectable channels), seizure probability, heart-rate trend with the
// patient's limits and alerts, and history over a chosen time range. patient.js draws the charts.
import { html } from 'hono/html';
import type { WardPatient } from '../data/ward.ts';
import { severityBadge, statusBadge, timeEl } from './format.ts';

export function patientBody(p: WardPatient, threshold: number | null) {
  return html`<nav class="crumbs small"><a href="/">Ward</a> › ${p.name}</nav>
<h1>${p.name} <span class="muted small">${p.id}</span></h1>
<section class="summary card" aria-label="Current status">
  <div><div class="label">Heart rate</div><span class="big" id="cur-bpm">${p.heartRate ? Math.round(p.heartRate.bpm) : '—'}</span> <span class="unit">bpm</span>
    <div class="small muted" id="cur-bpm-time">${p.heartRate ? timeEl(p.heartRate.time) : 'no heart-rate data yet'}</div></div>
  <div><div class="label">Seizure detection</div><span id="cur-eeg">${
    p.prediction
      ? html`${p.prediction.label === 'seizure' ? '⚠ Seizure' : '✓ No seizure'} <span class="small">p = ${p.prediction.probability.toFixed(2)}</span>`
      : html`<span class="muted">no prediction yet</span>`
  }</span></div>
  <div><div class="label">Open alerts</div><ul class="plain" id="open-alerts">${
    p.openAlerts.length
      ? p.openAlerts.map(
          (a) =>
            html`<li data-alert="${a.alertId}">${severityBadge(a.severity)} ${a.kind} ${statusBadge(a.status)} <a class="small" href="/alerts/${encodeURIComponent(a.alertId)}">details</a></li>`,
        )
      : html`<li class="muted" data-empty>none</li>`
  }</ul></div>
  <div><div class="label">Devices</div>${
    p.devices.length
      ? p.devices.map(
          (d) =>
            html`<div class="device ${d.online ? 'online' : 'offline'}" data-device="${d.id}" data-last-seen="${d.lastSeenAt ?? ''}"><span class="dot" aria-hidden="true">${d.online ? '●' : '○'}</span> <span class="state">${d.online ? 'online' : 'offline'}</span> <span class="small muted">${d.kind} ${d.id}</span></div>`,
        )
      : html`<span class="muted">no device enrolled</span>`
  }</div>
</section>

<section class="card" aria-labelledby="eeg-h">
  <div class="row"><h2 id="eeg-h">EEG <span class="unit">(µV, last 10 s)</span></h2>
  <fieldset class="channels" id="channels"><legend class="small">Channels</legend><span class="muted small" id="channels-empty">waiting for EEG data…</span></fieldset></div>
  <div class="chart tall"><canvas id="eeg-chart" aria-label="EEG trace"></canvas></div>
</section>

<section class="card" aria-labelledby="prob-h">
  <h2 id="prob-h">Seizure probability <span class="unit">(0–1, highest window of each chunk; ${threshold === null ? 'no model installed' : `a window counts as seizure at ≥ ${threshold}; an alert needs 3 of 4 such windows`})</span></h2>
  <div class="chart"><canvas id="prob-chart" aria-label="Seizure probability"></canvas></div>
  <p class="small muted" id="prob-empty">No predictions in this time range.</p>
</section>

<section class="card" aria-labelledby="hr-h">
  <h2 id="hr-h">Heart rate <span class="unit">(bpm)</span></h2>
  <p class="small" id="limits">Limits: <span class="muted">loading…</span></p>
  <div class="chart"><canvas id="hr-chart" aria-label="Heart-rate trend"></canvas></div>
  <p class="small muted" id="hr-empty">No heart-rate samples in this time range.</p>
</section>

<section class="card" aria-labelledby="hist-h">
  <h2 id="hist-h">Time range</h2>
  <form id="range" class="row">
    <label>From <input type="datetime-local" name="from" step="1"></label>
    <label>To <input type="datetime-local" name="to" step="1"></label>
    <button type="submit">Show history</button>
    <button type="button" id="live-btn">Back to live (last 15 min)</button>
  </form>
  <p class="small muted" id="range-status">Showing live data (last 15 min). Times are in your local time zone.</p>
</section>`;
}
