// Shared browser helpers: page data, times in the ward's time zone with their age, the live SSE
// connection, device liveness, the live region that announces new alerts, and badges cloned from the
// server's <template> (so severity is rendered in one place, dashboard/pages/format.ts).

/** JSON the server embedded for this page (<script type="application/json" id="page-data">). */
export function pageData() {
  const el = document.getElementById('page-data');
  return el ? JSON.parse(el.textContent || 'null') : {};
}

/** The ward's IANA zone (VIGIL_WARD_TIMEZONE), not the viewer's device zone. */
export const WARD_ZONE =
  document.querySelector('meta[name="ward-timezone"]')?.getAttribute('content') || 'UTC';

/** The same formats as wardClock in dashboard/pages/format.ts (24-hour, in the ward's zone). */
const zoned = (options, locale = 'en-GB') =>
  new Intl.DateTimeFormat(locale, { timeZone: WARD_ZONE, hourCycle: 'h23', ...options });
const HMS = { hour: '2-digit', minute: '2-digit', second: '2-digit' };
const dayFmt = zoned({ year: 'numeric', month: '2-digit', day: '2-digit' }, 'en-CA');
const clockFmt = zoned(HMS);
const shortClockFmt = zoned({ hour: '2-digit', minute: '2-digit' });
const dateTimeFmt = zoned({ day: 'numeric', month: 'short', ...HMS });
const fullFmt = zoned({ dateStyle: 'medium', timeStyle: 'long' });

/** 24-hour time in the ward's zone, with the date when it is not today there. */
export function fmtTime(ms) {
  const d = new Date(ms);
  return dayFmt.format(d) === dayFmt.format(new Date()) ? clockFmt.format(d) : dateTimeFmt.format(d);
}
export function fmtFull(ms) {
  return fullFmt.format(new Date(ms));
}
export function fmtClock(ms, withSeconds = true) {
  return (withSeconds ? clockFmt : shortClockFmt).format(new Date(ms));
}

/** Wraps `fn` so that calls before the next animation frame run it once, at that frame. */
export function oncePerFrame(fn) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      fn();
    });
  };
}

/** The same rule as ageText in dashboard/pages/format.ts. */
export function ageText(ms, now = Date.now()) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** Brings every "… ago" on the page up to date. */
export function updateAges() {
  const now = Date.now();
  for (const el of document.querySelectorAll('[data-age-of]')) {
    const ms = Date.parse(el.getAttribute('data-age-of'));
    if (!Number.isNaN(ms)) el.textContent = ageText(ms, now);
  }
}

let agesTicking = false;
/** Keeps every "… ago" on the page current (one timer per page). */
export function keepAgesCurrent() {
  updateAges();
  if (agesTicking) return;
  agesTicking = true;
  setInterval(updateAges, 5000);
}

export function timeHtml(ms) {
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}" title="${escapeHtml(fmtFull(ms))}">${escapeHtml(fmtTime(ms))}</time> <span class="age" data-age-of="${iso}">${ageText(ms)}</span>`;
}

export function escapeHtml(s) {
  return String(s ?? '').replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch],
  );
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
}

/** A copy of the server-rendered badge (`sev` or `status`), or plain text when none matches. */
function badge(kind, value) {
  const tpl = document.getElementById('badge-templates');
  const el = tpl?.content.querySelector(`[data-${kind}="${CSS.escape(String(value))}"]`);
  return el ? el.outerHTML : `<span class="${kind}">${escapeHtml(value)}</span>`;
}
export const severityHtml = (severity) => badge('severity', severity);
export const priorityHtml = (priority) => badge('priority', priority);

/** The same range as the heart-rate monitor's (functions/heart-rate-monitor/rule.ts IMPLAUSIBLE). */
export const isPlausibleBpm = (bpm) => Number.isFinite(bpm) && bpm > 0 && bpm <= 300;
export const statusHtml = (status) => badge('status', status);

/** Says `text` through the page's assertive live region (screen readers announce it at once). */
export function announce(text) {
  const el = document.getElementById('announcer');
  if (!el) return;
  // Clearing first makes a repeated identical message be announced again.
  el.textContent = '';
  setTimeout(() => {
    el.textContent = text;
  }, 50);
}

/** After this long without the live stream the page says that monitoring is lost. */
export const LIVE_LOST_MS = 5000;
const live = { up: false, downSince: Date.now(), upSince: 0, timer: 0 };

/** Whether this page's own live stream is up (and since when): its outage is not the devices'. */
export function liveStream() {
  return { up: live.up, upSince: live.upSince };
}

function showLiveLost(lost) {
  const el = document.getElementById('live-lost');
  document.body.classList.toggle('live-lost', lost);
  if (!el) return;
  el.hidden = !lost;
  if (lost)
    el.innerHTML = `⚠ Live data lost since ${escapeHtml(fmtClock(live.downSince))}: the values shown are from before then (see their age); alarms raised meanwhile are not shown. Reconnecting…`;
}

function setLiveStatus(state) {
  const el = document.getElementById('live-status');
  if (state === 'live') {
    clearTimeout(live.timer);
    if (!live.up) live.upSince = Date.now();
    live.up = true;
    showLiveLost(false);
  } else if (live.up || !live.timer) {
    if (live.up) live.downSince = Date.now();
    live.up = false;
    clearTimeout(live.timer);
    live.timer = setTimeout(() => {
      if (!live.up) showLiveLost(true);
    }, LIVE_LOST_MS);
  }
  if (!el) return;
  el.dataset.state = state;
  el.textContent = state === 'live' ? '● live' : state === 'connecting' ? '○ connecting…' : '⚠ reconnecting…';
}

/**
 * Opens the live stream (one EventSource; the browser resumes with Last-Event-ID after a drop).
 * `after` is the events.seq the page was rendered at, so nothing between render and connect is lost.
 * Every page announces newly raised alerts; `names` maps patient ids to names for that.
 */
export function connectStream({ after, patient, handlers, names = {} }) {
  const params = new URLSearchParams();
  if (after !== undefined && after !== null) params.set('after', String(after));
  if (patient) params.set('patient', patient);
  const es = new EventSource(`/api/stream?${params}`);
  setLiveStatus('connecting');
  es.addEventListener('open', () => setLiveStatus('live'));
  es.addEventListener('hello', () => setLiveStatus('live'));
  es.addEventListener('error', () => setLiveStatus('down'));
  es.addEventListener('reset', () => location.reload());
  const all = { ...handlers };
  const pageAlert = all.alert;
  all.alert = (ev) => {
    if (ev.action === 'raised') {
      const who = names[ev.patientId] ? `${names[ev.patientId]} (${ev.patientId})` : ev.patientId;
      announce(`New ${ev.priority ?? ev.severity} priority alarm: ${ev.kind}, patient ${who}.`);
    }
    pageAlert?.(ev);
  };
  for (const [name, fn] of Object.entries(all)) {
    es.addEventListener(name, (ev) => {
      let data;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      fn(data);
      window.__vigilLastEvent = { name, seq: Number(ev.lastEventId), at: Date.now() };
    });
  }
  return es;
}

export const DEVICE_OFFLINE_MS = 30_000;

/** Marks a device element online now; a timer turns it offline after 30 s without data. */
export function markDeviceSeen(deviceId, atMs = Date.now()) {
  for (const el of document.querySelectorAll(`[data-device="${CSS.escape(deviceId)}"]`)) {
    el.dataset.lastSeen = String(atMs);
    setDeviceState(el, true);
  }
}

function setDeviceState(el, online) {
  el.classList.toggle('online', online);
  el.classList.toggle('offline', !online);
  const dot = el.querySelector('.dot');
  if (dot) dot.textContent = online ? '●' : '○';
  const st = el.querySelector('.state');
  if (st) st.textContent = online ? 'online' : 'offline';
}

/**
 * Turns devices offline after 30 s without data, but only while this page's own stream has been up for
 * that long: while it is down (or just back, replaying what it missed) silence says nothing about them.
 */
export function watchDeviceLiveness() {
  setInterval(() => {
    if (!live.up || Date.now() - live.upSince < DEVICE_OFFLINE_MS) return;
    for (const el of document.querySelectorAll('[data-device]')) {
      const seen = Number(el.dataset.lastSeen || 0);
      setDeviceState(el, seen > 0 && Date.now() - seen < DEVICE_OFFLINE_MS);
    }
  }, 5000);
}
