// Shared bits of page markup: severity shown by icon and text (never colour alone), times that the
// browser rewrites into local time with its zone, units next to every number.
import { html } from 'hono/html';

export const SEVERITY_ICON: Record<string, string> = { critical: '✖', major: '▲', minor: '●', warning: '⚠' };

export function severityBadge(severity: string) {
  return html`<span class="sev sev-${severity}"><span aria-hidden="true">${SEVERITY_ICON[severity] ?? '•'}</span> ${
    severity.charAt(0).toUpperCase() + severity.slice(1)
  }</span>`;
}

export function statusBadge(status: string) {
  const icon = status === 'raised' ? '◉' : status === 'acknowledged' ? '✓' : '✔';
  return html`<span class="status status-${status}"><span aria-hidden="true">${icon}</span> ${status}</span>`;
}

/** UTC in the markup (correct without JS); common.js rewrites it to the viewer's local time and zone. */
export function timeEl(ms: number | null | undefined) {
  if (ms === null || ms === undefined) return html`<span class="muted">—</span>`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 19)} UTC</time>`;
}
