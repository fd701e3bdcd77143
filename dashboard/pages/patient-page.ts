// Patient view. EEG review as clinical EEG software shows it (every channel of the montage in order,
// fixed sensitivity in µV/mm with a scale bar, a 10-s page with a 1-s grid, display filters, the
// detector's verdict per second in a strip under the trace), then trends over 15 min to 24 h.
// patient.js, eeg-view.js and trend-chart.js draw; this is the markup and the controls.
import { html } from 'hono/html';
import { DEFAULT_EPISODE_RULE } from '../../functions/seizure-detector/episode.ts';
import type { WardPatient } from '../data/ward.ts';
import { priorityBadge, statusBadge, type WardClock } from './format.ts';
import { deviceLine, eegStatus } from './ward-page.ts';

/** The sensitivities clinical EEG review offers, µV per mm; 7 is the usual adult default. */
export const SENSITIVITIES = [3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 200] as const;
export const TIMEBASES_S = [5, 10, 15, 20, 30] as const;
export const HIGH_PASS_HZ = [0.1, 0.3, 0.5, 1, 1.6, 5] as const;
export const LOW_PASS_HZ = [15, 30, 35, 40, 70] as const;

const opts = (values: readonly number[], selected: number, unit: string) =>
  values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${v} ${unit}</option>`);

export function patientBody(p: WardPatient, clock: WardClock) {
  return html`<nav class="crumbs small" aria-label="Breadcrumb"><a href="/">Ward</a> › ${p.name}</nav>
<h1>${p.name} <span class="muted small">${p.id}</span></h1>
<section class="summary card" aria-label="Current status">
  <div><div class="label">Heart rate</div><span class="big" id="cur-bpm">${p.heartRate ? Math.round(p.heartRate.bpm) : '—'}</span> <span class="unit">bpm</span>
    <div class="small muted" id="cur-bpm-time">${p.heartRate ? clock.el(p.heartRate.time) : 'no heart-rate data yet'}</div></div>
  <div><div class="label">Seizure detection</div><div id="cur-eeg">${eegStatus(p, clock)}</div></div>
  <div><div class="label">Open alerts</div><ul class="plain" id="open-alerts">${
    p.openAlerts.length
      ? p.openAlerts.map(
          (a) =>
            html`<li data-alert="${a.alertId}" data-priority="${a.priority}" data-kind="${a.kind}" data-acked="${a.status === 'acknowledged' ? '1' : '0'}" data-ended="${a.conditionActive ? '0' : '1'}" class="alarm alarm-${a.priority}${a.status === 'acknowledged' ? ' acked' : ''}">${priorityBadge(a.priority)} ${a.kind} ${statusBadge(a.status)}${a.conditionActive ? '' : ' (ended)'} <a class="small" href="/alerts/${encodeURIComponent(a.alertId)}">details</a></li>`,
        )
      : html`<li class="muted" data-empty>none</li>`
  }</ul>${p.openAlerts.some((a) => a.status === 'raised') ? html`<a class="small" href="/alerts?patient=${encodeURIComponent(p.id)}">Acknowledge in the inbox</a>` : ''}</div>
  <div><div class="label">Devices in service</div>${
    p.devices.length
      ? p.devices.map((d) => deviceLine(d, true))
      : html`<span class="muted">no device in service</span>`
  }</div>
</section>

<section class="card eeg-review" aria-labelledby="eeg-h">
  <div class="row between"><h2 id="eeg-h">EEG</h2><p class="small muted" id="eeg-montage" aria-live="off">waiting for EEG data…</p></div>
  <form class="eeg-controls" id="eeg-controls" aria-label="EEG display settings">
    <label id="eeg-device-label" hidden>Device <select name="device" id="eeg-device"></select></label>
    <label>Channels <select name="count"><option value="0" selected>all</option><option value="16">16</option><option value="8">8</option><option value="4">4</option></select></label>
    <span class="group" role="group" aria-label="Channel group"><button type="button" class="secondary" id="ch-prev" aria-label="Previous channels">▲</button><button type="button" class="secondary" id="ch-next" aria-label="Next channels">▼</button></span>
    <label>Sensitivity <select name="sensitivity">${opts(SENSITIVITIES, 7, 'µV/mm')}</select></label>
    <label>Page <select name="timebase">${opts(TIMEBASES_S, 10, 's')}</select></label>
    <label>High-pass <select name="highPass"><option value="0">off</option>${opts(HIGH_PASS_HZ, 0.5, 'Hz')}</select></label>
    <label>Low-pass <select name="lowPass"><option value="0">off</option>${opts(LOW_PASS_HZ, 70, 'Hz')}</select></label>
    <label>Notch <select name="notch"><option value="0" selected>off</option><option value="50">50 Hz</option><option value="60">60 Hz</option></select></label>
    <span class="group" role="group" aria-label="EEG paging"><button type="button" class="secondary" id="eeg-earlier">◀ Earlier</button><button type="button" class="secondary" id="eeg-later">Later ▶</button><button type="button" id="eeg-live" aria-pressed="true">Live</button></span>
  </form>
  <div class="eeg-wrap"><canvas id="eeg-canvas" role="img" aria-label="EEG trace" aria-describedby="eeg-desc"></canvas></div>
  <div class="strip-wrap"><canvas id="seizure-strip" role="img" aria-label="Seizure detector verdict per second" aria-describedby="strip-desc"></canvas></div>
  <p class="legend small"><span class="key key-seizure" aria-hidden="true"></span> seizure-like second <span class="key key-normal" aria-hidden="true"></span> no seizure activity <span class="key key-none" aria-hidden="true"></span> not analysed. The detector looks at each second of EEG; an alert is raised when ${DEFAULT_EPISODE_RULE.onsetPositives} of ${DEFAULT_EPISODE_RULE.onsetWindow} seconds in a row look seizure-like.</p>
  <p class="small muted" id="eeg-desc">No EEG on this page yet.</p>
  <p class="sr-only" id="strip-desc">No detector results on this page yet.</p>
  <p class="small muted">Filters change the display only; the stored signal and the detector are not filtered. Sensitivity is per millimetre at the CSS reference size (96 px per inch); the scale bar shows it on this screen.</p>
</section>

<section class="card" aria-labelledby="trend-h">
  <h2 id="trend-h">Trends</h2>
  <div class="row" role="group" aria-label="Time range">
    <span class="group" id="presets">${[
      ['15m', '15 min'],
      ['1h', '1 h'],
      ['4h', '4 h'],
      ['24h', '24 h'],
    ].map(
      ([v, l]) =>
        html`<button type="button" class="secondary" data-preset="${v}" aria-pressed="${v === '15m' ? 'true' : 'false'}">Last ${l}</button>`,
    )}</span>
    <form id="range" class="row">
      <label>From <span class="small muted">(${clock.zone})</span> <input type="datetime-local" name="from" step="1"></label>
      <label>To <span class="small muted">(${clock.zone})</span> <input type="datetime-local" name="to" step="1"></label>
      <button type="submit">Show range</button>
    </form>
  </div>
  <p class="small muted" id="range-status" role="status">Live: the last 15 min. Times in ${clock.zone}.</p>
  <h3 id="hr-h">Heart rate <span class="unit">(bpm)</span></h3>
  <p class="small" id="limits">Limits: <span class="muted">loading…</span></p>
  <div class="chart"><canvas id="hr-chart" role="img" aria-label="Heart-rate trend" aria-describedby="hr-desc"></canvas></div>
  <p class="small muted" id="hr-desc">No heart-rate samples in this time range.</p>
  <h3 id="det-h">Seizure detector <span class="unit">(share of analysed EEG it labelled seizure; one-second chunks make these seconds)</span></h3>
  <div class="chart short"><canvas id="det-chart" role="img" aria-label="Seizure detector trend" aria-describedby="det-desc"></canvas></div>
  <p class="small muted" id="det-desc">No detector results in this time range.</p>
</section>`;
}
