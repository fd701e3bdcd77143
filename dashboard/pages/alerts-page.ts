// Alert inbox (filters, acknowledge with a note, clear) and one alert's detail with its audit trail.
import { html } from 'hono/html';
import { ALERT_KINDS, SEVERITIES } from '../../storage/alert-vocabulary.ts';
import type { Alert, AlertPage, AuditEntry } from '../../storage/alerts-store.ts';
import { severityBadge, statusBadge, timeEl } from './format.ts';

export interface InboxFilter {
  status: string;
  severity: string;
  kind: string;
  patient: string;
}

function options(values: readonly string[], selected: string, allLabel: string) {
  return html`<option value="">${allLabel}</option>${values.map(
    (v) => html`<option value="${v}"${selected === v ? html` selected` : ''}>${v}</option>`,
  )}`;
}

export function actionForms(a: Alert, csrf: string, back: string) {
  if (a.status === 'cleared')
    return html`<span class="muted small">cleared${a.clearedBy ? ` by ${a.clearedBy}` : ''}</span>`;
  return html`<div class="actions">${
    a.status === 'raised'
      ? html`<form method="post" action="/alerts/${encodeURIComponent(a.alertId)}/ack" class="inline">
      <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="back" value="${back}">
      <label class="sr-only" for="note-${a.alertId}">Note</label>
      <input id="note-${a.alertId}" name="note" placeholder="note (optional)" maxlength="2000">
      <button type="submit" class="ack">Acknowledge</button></form>`
      : html`<span class="small">ack. by ${a.acknowledgedBy ?? '?'}${a.ackNote ? html`: “${a.ackNote}”` : ''}</span>`
  }
    <form method="post" action="/alerts/${encodeURIComponent(a.alertId)}/clear" class="inline">
      <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="back" value="${back}">
      <label class="sr-only" for="reason-${a.alertId}">Reason</label>
      <input id="reason-${a.alertId}" name="reason" placeholder="reason (optional)" maxlength="2000">
      <button type="submit" class="clear">Clear</button></form></div>`;
}

export function alertRow(a: Alert, csrf: string, back: string) {
  return html`<tr data-alert="${a.alertId}" data-status="${a.status}">
  <td>${severityBadge(a.severity)}</td>
  <td>${a.kind}<div class="small muted">${a.category}${a.mergedCount ? ` · ${a.mergedCount} repeat(s) merged` : ''}</div></td>
  <td><a href="/patients/${encodeURIComponent(a.patientId)}">${a.patientId}</a></td>
  <td>${timeEl(a.raisedAt)}</td>
  <td>${statusBadge(a.status)}</td>
  <td>${actionForms(a, csrf, back)} <a class="small" href="/alerts/${encodeURIComponent(a.alertId)}">audit trail</a></td>
</tr>`;
}

export function inboxBody(
  page: AlertPage,
  f: InboxFilter,
  csrf: string,
  back: string,
  nextHref: string | null,
  error?: string,
) {
  return html`<h1>Alerts <span class="muted small">(${page.total} matching)</span></h1>
<form method="get" action="/alerts" class="row filters card" aria-label="Filter alerts">
  <label>Status <select name="status">${options(['open', 'raised', 'acknowledged', 'cleared'], f.status, 'any')}</select></label>
  <label>Severity <select name="severity">${options(SEVERITIES, f.severity, 'any')}</select></label>
  <label>Kind <select name="kind">${options(ALERT_KINDS, f.kind, 'any')}</select></label>
  <label>Patient <input name="patient" value="${f.patient}" size="12" placeholder="patient id"></label>
  <button type="submit">Filter</button>
</form>
${error ? html`<p class="error card" role="alert"><span aria-hidden="true">⚠</span> ${error}</p>` : ''}
<p id="new-alerts" class="notice" hidden role="status"></p>
${
  page.items.length === 0
    ? html`<p class="empty card" id="alerts-empty">No alerts match these filters${f.status === 'open' ? ': nothing is waiting for acknowledgement' : ''}.</p>`
    : ''
}
<table class="alerts" id="alerts-table"${page.items.length === 0 ? html` hidden` : ''}>
<thead><tr><th scope="col">Severity</th><th scope="col">Kind</th><th scope="col">Patient</th><th scope="col">Raised</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
<tbody>${page.items.map((a) => alertRow(a, csrf, back))}</tbody>
</table>
${nextHref ? html`<p><a href="${nextHref}">Older alerts →</a></p>` : ''}`;
}

export function alertDetailBody(a: Alert, audit: AuditEntry[], csrf: string) {
  return html`<nav class="crumbs small"><a href="/alerts">Alerts</a> › ${a.alertId}</nav>
<h1>${severityBadge(a.severity)} ${a.kind} <span class="muted small">${a.alertId}</span></h1>
<section class="card"><dl class="grid">
  <dt>Patient</dt><dd><a href="/patients/${encodeURIComponent(a.patientId)}">${a.patientId}</a></dd>
  <dt>Status</dt><dd>${statusBadge(a.status)}</dd>
  <dt>Raised</dt><dd>${timeEl(a.raisedAt)} by ${a.raisedBy}</dd>
  <dt>Evidence</dt><dd><code class="evidence">${JSON.stringify(a.evidence)}</code></dd>
</dl>${actionForms(a, csrf, `/alerts/${encodeURIComponent(a.alertId)}`)}</section>
<section class="card"><h2>Audit trail</h2>
<table class="audit"><thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">By</th><th scope="col">Change</th><th scope="col">Note</th></tr></thead>
<tbody>${audit.map(
    (e) =>
      html`<tr><td>${timeEl(e.at)}</td><td>${e.action}</td><td>${e.actor}</td><td>${e.fromStatus ?? '—'} → ${e.toStatus ?? '—'}</td><td>${e.note}</td></tr>`,
  )}</tbody></table></section>`;
}
