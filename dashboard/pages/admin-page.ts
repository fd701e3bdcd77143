// Admin: enrol a patient, enrol a device for a patient (its token is shown once, never again). The
// device list with retire/revoke is its own section (admin-devices.ts).
import { html } from 'hono/html';
import type { Patient } from '../../storage/patients-store.ts';
import type { Html } from './layout.ts';

export interface AdminResult {
  kind: 'ok' | 'error';
  message: string;
  token?: { deviceId: string; patientId: string; token: string };
}

export function adminBody(patients: Patient[], csrf: string, devicesSection: Html, result?: AdminResult) {
  return html`<h1>Admin</h1>
${
  result
    ? html`<div class="card ${result.kind === 'ok' ? 'notice' : 'error'}" role="${result.kind === 'ok' ? 'status' : 'alert'}">
  <p><span aria-hidden="true">${result.kind === 'ok' ? '✓' : '⚠'}</span> ${result.message}</p>
  ${
    result.token
      ? html`<p><strong>Device token for ${result.token.deviceId} (patient ${result.token.patientId}) — copy it now, it is shown only once:</strong></p>
  <pre class="token" id="device-token" tabindex="0">${result.token.token}</pre>
  <p class="small">Devices send CloudEvents to the ingest URL with <code>Authorization: Bearer &lt;token&gt;</code>, source <code>/devices/${result.token.deviceId}</code> and subject <code>${result.token.patientId}</code>.</p>`
      : ''
  }</div>`
    : ''
}
<div class="two">
<section class="card" aria-labelledby="ep-h"><h2 id="ep-h">Enrol a patient</h2>
<form method="post" action="/admin/patients">
  <input type="hidden" name="_csrf" value="${csrf}">
  <label>Patient id <input name="id" required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]*" maxlength="64" placeholder="e.g. bed-12"></label>
  <label>Name <input name="name" required maxlength="200"></label>
  <button type="submit">Enrol patient</button>
</form></section>
<section class="card" aria-labelledby="ed-h"><h2 id="ed-h">Enrol a device</h2>
${
  patients.length === 0
    ? html`<p class="empty">Enrol a patient first.</p>`
    : html`<form method="post" action="/admin/devices">
  <input type="hidden" name="_csrf" value="${csrf}">
  <label>Patient <select name="patientId" required>${patients.map((p) => html`<option value="${p.id}">${p.name} (${p.id})</option>`)}</select></label>
  <label>Kind <select name="kind"><option value="eeg">EEG headset / implant</option><option value="apple-watch">Apple Watch (Health Auto Export)</option><option value="simulator">Simulator</option><option value="generic">Other</option></select></label>
  <button type="submit">Enrol device</button>
</form>`
}</section>
</div>
${devicesSection}`;
}
