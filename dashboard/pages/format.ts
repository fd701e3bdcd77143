// Shared bits of page markup: severity shown by icon and text (never colour alone) and rendered only
// here (the browser clones these badges from a <template>, so alarm priorities change in one place),
// times in the ward's time zone with their age, units next to every number.
import { html, raw } from 'hono/html';
import { PRIORITIES, SEVERITIES } from '../../storage/alert-vocabulary.ts';

export const SEVERITY_ICON: Record<string, string> = { critical: '✖', major: '▲', minor: '●', warning: '⚠' };

export function severityBadge(severity: string) {
  return html`<span class="sev sev-${severity}" data-severity="${severity}"><span aria-hidden="true">${SEVERITY_ICON[severity] ?? '•'}</span> ${
    severity.charAt(0).toUpperCase() + severity.slice(1)
  }</span>`;
}

/** IEC 60601-1-8 marks priority by the number of "!": three for high, two for medium, one for low. */
export const PRIORITY_MARK: Record<string, string> = { high: '!!!', medium: '!!', low: '!' };

export function priorityBadge(priority: string) {
  return html`<span class="prio prio-${priority}" data-priority="${priority}"><span aria-hidden="true">${PRIORITY_MARK[priority] ?? '!'}</span> ${
    priority.charAt(0).toUpperCase() + priority.slice(1)
  }</span>`;
}

export const STATUS_ICON: Record<string, string> = { raised: '◉', acknowledged: '✓', cleared: '✔' };

export function statusBadge(status: string) {
  return html`<span class="status status-${status}" data-status="${status}"><span aria-hidden="true">${STATUS_ICON[status] ?? '•'}</span> ${status}</span>`;
}

/** Every badge once, for common.js to clone when a live event adds an alert to the page. */
export function badgeTemplates() {
  return html`<template id="badge-templates">${SEVERITIES.map((s) => severityBadge(s))}${PRIORITIES.map((p) =>
    priorityBadge(p),
  )}${Object.keys(STATUS_ICON).map((s) => statusBadge(s))}</template>`;
}

/** "8 s ago", "3 min ago", "2 h ago", "4 d ago"; common.js has the same rule for live updates. */
export function ageText(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

export interface WardClock {
  zone: string;
  /** Short zone name as of now, e.g. CET. */
  zoneName: string;
  /** 24-hour time in the ward's zone; the date too when it is not today there. */
  text(ms: number): string;
  /** Full date, time and zone. */
  full(ms: number): string;
  /** A <time> with its age beside it (kept current by common.js). */
  el(ms: number | null | undefined): ReturnType<typeof html>;
}

export function wardClock(zone: string, now: number): WardClock {
  // The same formats as common.js in the browser.
  const zoned = (options: Intl.DateTimeFormatOptions, locale = 'en-GB') =>
    new Intl.DateTimeFormat(locale, { timeZone: zone, hourCycle: 'h23', ...options });
  const hms = { hour: '2-digit', minute: '2-digit', second: '2-digit' } as const;
  const day = zoned({ year: 'numeric', month: '2-digit', day: '2-digit' }, 'en-CA');
  const time = zoned(hms);
  const dateTime = zoned({ day: 'numeric', month: 'short', ...hms });
  const full = zoned({ dateStyle: 'medium', timeStyle: 'long' });
  const zoneName =
    new Intl.DateTimeFormat('en-GB', { timeZone: zone, timeZoneName: 'short' })
      .formatToParts(new Date(now))
      .find((p) => p.type === 'timeZoneName')?.value ?? zone;
  const today = day.format(new Date(now));
  const text = (ms: number) =>
    day.format(new Date(ms)) === today ? time.format(new Date(ms)) : dateTime.format(new Date(ms));
  return {
    zone,
    zoneName,
    text,
    full: (ms) => full.format(new Date(ms)),
    el: (ms) => {
      if (ms === null || ms === undefined) return html`<span class="muted">—</span>`;
      const iso = new Date(ms).toISOString();
      return html`<time datetime="${iso}" title="${full.format(new Date(ms))}">${text(ms)}</time> <span class="age" data-age-of="${iso}">${raw(ageText(ms, now))}</span>`;
    },
  };
}
