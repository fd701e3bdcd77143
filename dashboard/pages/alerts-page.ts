// Alert inbox (filters, acknowledge with a note, clear after confirming with a reason) and one alert's
// detail with its audit trail. Every row and action names the patient; below 700 px rows become cards.
import { html } from 'hono/html';
import type { AuditEntry } from '../../storage/alert-audit.ts';
import type { AlertPage } from '../../storage/alert-queries.ts';
import { ALERT_KINDS, SEVERITIES } from '../../storage/alert-vocabulary.ts';
import type { Alert } from '../../storage/alerts-store.ts';
import { priorityBadge, severityBadge, statusBadge, type WardClock } from './format.ts';

export interface InboxFilter {
  status: string;
  severity: string;
  kind: string;
  patient: string;
}

/** Patient names by id, for rows that name the patient. */
export type PatientNames = ReadonlyMap<string, string>;

function options(values: readonly string[], selected: string, allLabel: string) {
  return html`<option value="">${allLabel}</option>${values.map(
    (v) => html`<option value="${v}"${selected === v ? html` selected` : ''}>${v}</option>`,
  )}`;
}

const patientLabel = (a: Alert, names: PatientNames) => names.get(a.patientId) ?? a.patientId;

export function actionForms(a: Alert, csrf: string, back: string, names: PatientNames, clock: WardClock) {
  const who = patientLabel(a, names);
  const ack =
    a.status === 'raised'
      ? html`<form method="post" action="/alerts/${encodeURIComponent(a.alertId)}/ack" class="inline ack-form">
      <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="back" value="${back}">
      <label class="sr-only" for="note-${a.alertId}">Note for ${a.kind} alert of ${who}</label>
      <input id="note-${a.alertId}" name="note" placeholder="note (optional)" maxlength="2000">
      <button type="submit" class="ack" data-action="ack" aria-label="Acknowledge ${a.kind} alert of ${who}">Acknowledge</button></form>`
      : a.status === 'acknowledged'
        ? html`<span class="small ack-info">Acknowledged ${clock.el(a.acknowledgedAt)} by ${a.acknowledgedBy ?? '?'}${a.ackNote ? html`: “${a.ackNote}”` : ''}</span>`
        : '';
  if (a.status === 'cleared')
    return html`<span class="muted small">Cleared ${clock.el(a.clearedAt)}${a.clearedBy ? ` by ${a.clearedBy}` : ''}</span>`;
  return html`<div class="actions">${ack}
    <a class="button secondary" data-action="clear" href="/alerts/${encodeURIComponent(a.alertId)}/clear?back=${encodeURIComponent(back)}" aria-label="Clear ${a.kind} alert of ${who}…">Clear…</a></div>`;
}

export function alertRow(a: Alert, csrf: string, back: string, names: PatientNames, clock: WardClock) {
  return html`<tr data-alert="${a.alertId}" data-status="${a.status}" data-patient="${a.patientId}" tabindex="-1">
  <td data-label="Priority">${priorityBadge(a.priority)}</td>
  <td data-label="Alert">${a.kind}<div class="small muted">${a.category} · ${severityBadge(a.severity)}${a.mergedCount ? ` · ${a.mergedCount} repeat(s) merged` : ''}${a.conditionActive ? '' : html` · condition ended ${clock.el(a.conditionEndedAt)}`}${a.escalatedAt ? html` · <strong>escalated</strong>` : ''}</div></td>
  <td data-label="Patient" class="wide"><a href="/patients/${encodeURIComponent(a.patientId)}">${patientLabel(a, names)}</a><div class="small muted">${a.patientId}</div></td>
  <td data-label="Raised">${clock.el(a.raisedAt)}</td>
  <td data-label="Status">${statusBadge(a.status)}</td>
  <td data-label="Actions" class="wide">${actionForms(a, csrf, back, names, clock)} <a class="small" href="/alerts/${encodeURIComponent(a.alertId)}">audit trail</a></td>
</tr>`;
}

export function inboxBody(
  page: AlertPage,
  f: InboxFilter,
  csrf: string,
  back: string,
  nextHref: string | null,
  names: PatientNames,
  clock: WardClock,
  error?: string,
) {
  return html`<h1>Alerts <span class="muted small" id="alerts-total">(${page.total} matching)</span></h1>
<form method="get" action="/alerts" class="row filters card" aria-label="Filter alerts">
  <label>Status <select name="status">${options(['open', 'raised', 'acknowledged', 'cleared'], f.status, 'any')}</select></label>
  <label>Severity <select name="severity">${options(SEVERITIES, f.severity, 'any')}</select></label>
  <label>Kind <select name="kind">${options(ALERT_KINDS, f.kind, 'any')}</select></label>
  <label>Patient id <input name="patient" value="${f.patient}" size="12" placeholder="e.g. sim-001"></label>
  <button type="submit">Filter</button>
</form>
${error ? html`<p class="error card" role="alert"><span aria-hidden="true">⚠</span> ${error}</p>` : ''}
<p id="new-alerts" class="notice" hidden></p>
<div id="alerts-list">
${
  page.items.length === 0
    ? html`<p class="empty card" id="alerts-empty">No alerts match these filters${f.status === 'open' ? ': nothing is waiting for acknowledgement' : ''}.</p>`
    : ''
}
<table class="alerts cards" id="alerts-table"${page.items.length === 0 ? html` hidden` : ''}>
<caption class="sr-only">Alerts, newest first</caption>
<thead><tr><th scope="col">Priority</th><th scope="col">Alert</th><th scope="col">Patient</th><th scope="col">Raised</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
<tbody>${page.items.map((a) => alertRow(a, csrf, back, names, clock))}</tbody>
</table>
${nextHref ? html`<p><a href="${nextHref}">Older alerts →</a></p>` : ''}
</div>`;
}

export function alertDetailBody(
  a: Alert,
  audit: AuditEntry[],
  csrf: string,
  names: PatientNames,
  clock: WardClock,
) {
  const back = `/alerts/${encodeURIComponent(a.alertId)}`;
  return html`<nav class="crumbs small" aria-label="Breadcrumb"><a href="/alerts">Alerts</a> › ${a.alertId}</nav>
<h1>${priorityBadge(a.priority)} ${a.kind} <span class="muted small">${a.alertId}</span></h1>
<section class="card" id="alert-detail" data-alert="${a.alertId}" data-status="${a.status}" aria-label="Alert"><dl class="grid">
  <dt>Patient</dt><dd><a href="/patients/${encodeURIComponent(a.patientId)}">${patientLabel(a, names)}</a> <span class="muted small">${a.patientId}</span></dd>
  <dt>Status</dt><dd>${statusBadge(a.status)}</dd>
  <dt>Raised</dt><dd>${clock.el(a.raisedAt)} by ${a.raisedBy}</dd>
  ${a.acknowledgedAt !== null ? html`<dt>Acknowledged</dt><dd>${clock.el(a.acknowledgedAt)} by ${a.acknowledgedBy ?? '?'}</dd>` : ''}
  <dt>Evidence</dt><dd><code class="evidence">${JSON.stringify(a.evidence)}</code></dd>
</dl>${actionForms(a, csrf, back, names, clock)}</section>
<section class="card" aria-labelledby="audit-h"><h2 id="audit-h">Audit trail</h2>
<div class="scroll"><table class="audit cards"><thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">By</th><th scope="col">Change</th><th scope="col">Note</th></tr></thead>
<tbody>${audit.map(
    (e) =>
      html`<tr><td data-label="When">${clock.el(e.at)}</td><td data-label="Action">${e.action}</td><td data-label="By">${e.actor}</td><td data-label="Change">${e.fromStatus ?? '—'} → ${e.toStatus ?? '—'}</td><td data-label="Note" class="wide">${e.note}</td></tr>`,
  )}</tbody></table></div></section>`;
}

/** Clearing ends an alert for everyone: it asks first, and wants the reason for the audit trail. */
export function clearConfirmBody(
  a: Alert,
  csrf: string,
  back: string,
  names: PatientNames,
  clock: WardClock,
) {
  return html`<nav class="crumbs small" aria-label="Breadcrumb"><a href="/alerts">Alerts</a> › Clear</nav>
<section class="card confirm" aria-labelledby="clear-h">
<h1 id="clear-h">Clear this alert?</h1>
<p>${severityBadge(a.severity)} <strong>${a.kind}</strong> for <strong>${patientLabel(a, names)}</strong> (${a.patientId}), raised ${clock.el(a.raisedAt)}, now ${statusBadge(a.status)}.</p>
<p>Clearing closes the alert for everyone on the ward. Say why; the reason goes into the audit trail.</p>
<form method="post" action="/alerts/${encodeURIComponent(a.alertId)}/clear">
  <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="back" value="${back}">
  <input type="hidden" name="confirmed" value="1">
  <label for="clear-reason">Reason (required)</label>
  <textarea id="clear-reason" name="reason" required minlength="3" maxlength="2000" rows="3" autofocus></textarea>
  <div class="row"><button type="submit" class="danger">Clear the alert</button> <a class="button secondary" href="${back}">Cancel, keep it open</a></div>
</form></section>`;
}
