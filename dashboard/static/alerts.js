// Alert inbox and detail: new alerts and changes made on any replica appear live. The server owns the
// markup: on a change the page is fetched again and only rows that differ are swapped, so keyboard
// focus (say, on an Acknowledge button) stays where it is; if the focused row itself changed, focus
// moves to the same control in its new version, or to the row when that control is gone.
import { connectStream, keepAgesCurrent, pageData, updateAges } from './common.js';

const data = pageData();
keepAgesCurrent();

const notice = document.getElementById('new-alerts');
let pending = false;

function matchesFilter(ev) {
  const f = data.filter;
  if (!f) return ev.alertId === data.alertId;
  if (f.patient && f.patient !== ev.patientId) return false;
  return true;
}

/** Where focus is, as something that survives re-rendering: the row's alert id and the control. */
function focusKey() {
  const el = document.activeElement;
  const holder = el?.closest?.('[data-alert]');
  if (!holder) return null;
  return {
    alertId: holder.getAttribute('data-alert'),
    control: el.getAttribute('data-action') ?? (el.name ? `[name="${el.name}"]` : null),
    value: el.tagName === 'INPUT' ? el.value : undefined,
  };
}

function restoreFocus(key) {
  if (!key) return;
  const holder = document.querySelector(`[data-alert="${CSS.escape(key.alertId)}"]`);
  if (!holder) return;
  const target = key.control
    ? (holder.querySelector(`[data-action="${key.control}"]`) ?? holder.querySelector(key.control))
    : null;
  if (target) {
    if (key.value !== undefined && target.tagName === 'INPUT') target.value = key.value;
    target.focus();
  } else holder.focus();
}

/** Swaps children of `cur` by their data-alert key where the markup differs; keeps the rest. */
function patchRows(cur, fresh) {
  const key = focusKey();
  const old = new Map([...cur.children].map((el) => [el.getAttribute('data-alert'), el]));
  const next = [...fresh.children];
  let focusedRowChanged = false;
  next.forEach((el, i) => {
    const id = el.getAttribute('data-alert');
    const mine = old.get(id);
    let node = el;
    if (mine && mine.outerHTML === el.outerHTML) node = mine;
    else if (mine && key?.alertId === id) focusedRowChanged = true;
    if (cur.children[i] !== node) cur.insertBefore(node, cur.children[i] ?? null);
  });
  while (cur.children.length > next.length) cur.lastElementChild.remove();
  if (focusedRowChanged || (key && !document.activeElement?.closest?.('[data-alert]'))) restoreFocus(key);
}

async function refresh() {
  if (pending) return;
  pending = true;
  setTimeout(async () => {
    pending = false;
    const r = await fetch(location.href, { headers: { accept: 'text/html' } });
    if (!r.ok) return;
    const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
    const tbody = document.querySelector('#alerts-table tbody');
    const freshBody = doc.querySelector('#alerts-table tbody');
    if (tbody && freshBody) {
      // Counted first: patching moves the fresh rows into the page.
      const rows = freshBody.children.length;
      patchRows(tbody, freshBody);
      document.getElementById('alerts-table').hidden = rows === 0;
      const empty = document.getElementById('alerts-empty');
      const freshEmpty = doc.getElementById('alerts-empty');
      if (empty && !freshEmpty) empty.remove();
      else if (!empty && freshEmpty) document.getElementById('alerts-list').prepend(freshEmpty);
      const total = doc.getElementById('alerts-total');
      if (total) document.getElementById('alerts-total').textContent = total.textContent;
    }
    const detail = document.getElementById('alert-detail');
    const freshDetail = doc.getElementById('alert-detail');
    if (detail && freshDetail && detail.outerHTML !== freshDetail.outerHTML) {
      const key = focusKey();
      detail.replaceWith(freshDetail);
      restoreFocus(key);
      const audit = doc.querySelector('table.audit tbody');
      if (audit) document.querySelector('table.audit tbody').replaceWith(audit);
    }
    updateAges();
  }, 250);
}

connectStream({
  after: data.head,
  names: data.names ?? {},
  handlers: {
    alert: (ev) => {
      if (!matchesFilter(ev)) return;
      if (ev.action === 'raised' && notice) {
        notice.hidden = false;
        notice.textContent = 'New alerts arrived and are listed below.';
      }
      refresh();
    },
  },
});
