// Shared browser helpers: page data, local times with zone, the live SSE connection, device liveness.

/** JSON the server embedded for this page (<script type="application/json" id="page-data">). */
export function pageData() {
  const el = document.getElementById('page-data');
  return el ? JSON.parse(el.textContent || 'null') : {};
}

const timeFmt = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});
const clockFmt = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** A time in the viewer's local time zone, with the zone named. */
export function fmtTime(ms) {
  return timeFmt.format(new Date(ms));
}
export function fmtClock(ms) {
  return clockFmt.format(new Date(ms));
}

/** Rewrites every <time datetime> (rendered in UTC by the server) into local time with zone. */
export function localizeTimes(root = document) {
  for (const el of root.querySelectorAll('time[datetime]')) {
    const ms = Date.parse(el.getAttribute('datetime'));
    if (!Number.isNaN(ms)) {
      el.textContent = fmtTime(ms);
      el.title = new Date(ms).toISOString();
    }
  }
}

export function timeHtml(ms) {
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}" title="${iso}">${escapeHtml(fmtTime(ms))}</time>`;
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

export const SEVERITY_ICON = { critical: '✖', major: '▲', minor: '●', warning: '⚠' };
export function severityHtml(sev) {
  const s = escapeHtml(sev);
  return `<span class="sev sev-${s}"><span aria-hidden="true">${SEVERITY_ICON[sev] ?? '•'}</span> ${s.charAt(0).toUpperCase() + s.slice(1)}</span>`;
}
export function statusHtml(status) {
  const icon = status === 'raised' ? '◉' : status === 'acknowledged' ? '✓' : '✔';
  return `<span class="status status-${escapeHtml(status)}"><span aria-hidden="true">${icon}</span> ${escapeHtml(status)}</span>`;
}

function setLiveStatus(state) {
  const el = document.getElementById('live-status');
  if (!el) return;
  el.dataset.state = state;
  el.textContent = state === 'live' ? '● live' : state === 'connecting' ? '○ connecting…' : '⚠ reconnecting…';
}

/**
 * Opens the live stream (one EventSource; the browser resumes with Last-Event-ID after a drop).
 * `after` is the events.seq the page was rendered at, so nothing between render and connect is lost.
 */
export function connectStream({ after, patient, handlers }) {
  const params = new URLSearchParams();
  if (after !== undefined && after !== null) params.set('after', String(after));
  if (patient) params.set('patient', patient);
  const es = new EventSource(`/api/stream?${params}`);
  setLiveStatus('connecting');
  es.addEventListener('open', () => setLiveStatus('live'));
  es.addEventListener('hello', () => setLiveStatus('live'));
  es.addEventListener('error', () => setLiveStatus('down'));
  es.addEventListener('reset', () => location.reload());
  for (const [name, fn] of Object.entries(handlers)) {
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

export function watchDeviceLiveness() {
  setInterval(() => {
    for (const el of document.querySelectorAll('[data-device]')) {
      const seen = Number(el.dataset.lastSeen || 0);
      setDeviceState(el, seen > 0 && Date.now() - seen < DEVICE_OFFLINE_MS);
    }
  }, 5000);
}
