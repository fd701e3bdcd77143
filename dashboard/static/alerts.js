// Alert inbox and detail: new alerts and changes made on any replica appear live.
import { connectStream, localizeTimes, pageData } from './common.js';

const data = pageData();
localizeTimes();

const notice = document.getElementById('new-alerts');
let pendingReload = false;

function matchesFilter(ev) {
  const f = data.filter;
  if (!f) return ev.alertId === data.alertId;
  if (f.patient && f.patient !== ev.patientId) return false;
  return true;
}

/** Re-renders from the server (the server owns the markup); keeps what the user is typing. */
async function refresh() {
  if (pendingReload) return;
  pendingReload = true;
  setTimeout(async () => {
    pendingReload = false;
    const typing =
      document.activeElement && document.activeElement.tagName === 'INPUT' && document.activeElement.value;
    if (typing) {
      notice.hidden = false;
      notice.textContent = 'Alerts changed. Reload the page to see the update.';
      return;
    }
    const r = await fetch(location.href, { headers: { accept: 'text/html' } });
    if (!r.ok) return;
    const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
    const fresh = doc.getElementById('main');
    if (fresh) {
      document.getElementById('main').replaceWith(fresh);
      localizeTimes();
    }
  }, 250);
}

connectStream({
  after: data.head,
  handlers: {
    alert: (ev) => {
      if (matchesFilter(ev)) refresh();
    },
  },
});
