// The ward's alarm signals: which alarms are unacknowledged (from the alarm list the server rendered and
// the live alert events), the persistent banner and the tab-title count, the sound (alarm-audio.js) with
// its 2-minute "audio paused" state and countdown, optional browser notifications, and acknowledging.
import { AlarmAudio } from './alarm-audio.js';
import { announce, csrfToken, escapeHtml } from './common.js';

const RANK = { high: 0, medium: 1, low: 2 };
export const AUDIO_PAUSE_MS = 120_000;

export class AlarmPanel {
  constructor({ names = {} } = {}) {
    this.names = names;
    /** alertId -> { priority, kind, patientId, acked, ended } */
    this.alarms = new Map();
    this.audio = new AlarmAudio();
    this.pausedUntil = 0;
    this.baseTitle = document.title;
    for (const li of document.querySelectorAll('li[data-alert]')) {
      this.alarms.set(li.dataset.alert, {
        priority: li.dataset.priority,
        kind: li.dataset.kind,
        patientId: li.closest('tr')?.dataset.patient,
        acked: li.dataset.acked === '1',
        ended: li.dataset.ended === '1',
      });
    }
    this.wire();
    this.render();
    setInterval(() => this.tick(), 250);
  }

  wire() {
    const enable = document.getElementById('audio-enable');
    const pause = document.getElementById('audio-pause');
    enable?.addEventListener('click', async () => {
      if (await this.audio.enable()) {
        enable.hidden = true;
        pause.hidden = false;
        this.render();
      }
    });
    pause?.addEventListener('click', () => {
      this.pausedUntil = this.paused() ? 0 : Date.now() + AUDIO_PAUSE_MS;
      this.render();
    });
    document.getElementById('notify-enable')?.addEventListener('click', async () => {
      if ('Notification' in window) await Notification.requestPermission();
      this.render();
    });
    document.addEventListener('click', async (e) => {
      const btn = e.target.closest?.('button[data-ack]');
      if (!btn) return;
      btn.disabled = true;
      const res = await fetch(`/api/alerts/${encodeURIComponent(btn.dataset.ack)}/ack`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken() },
        body: '{}',
      });
      if (res.ok || res.status === 409) this.acknowledged(btn.dataset.ack);
      else btn.disabled = false;
    });
  }

  paused() {
    return Date.now() < this.pausedUntil;
  }

  /** Unacknowledged alarms, most urgent first. */
  unacknowledged() {
    return [...this.alarms.entries()]
      .filter(([, a]) => !a.acked)
      .sort(([, a], [, b]) => (RANK[a.priority] ?? 3) - (RANK[b.priority] ?? 3));
  }

  raised(ev) {
    if (this.alarms.has(ev.alertId)) return;
    this.alarms.set(ev.alertId, {
      priority: ev.priority,
      kind: ev.kind,
      patientId: ev.patientId,
      acked: false,
      ended: false,
    });
    if (ev.priority === 'low' && !this.paused()) this.audio.chime();
    this.notify(ev, 'New');
    this.render();
  }

  escalated(ev) {
    const a = this.alarms.get(ev.alertId);
    if (!a || a.acked) return;
    const who = this.names[a.patientId] ?? a.patientId;
    announce(`Escalated: ${a.priority} ${a.kind} alarm, patient ${who}, still unacknowledged.`);
    this.notify({ ...ev, patientId: a.patientId }, 'Escalated');
    // Pausing does not hold back an escalation: it is announced, and sounds, again.
    this.pausedUntil = 0;
    this.audio.playing = null;
    this.render();
  }

  acknowledged(alertId) {
    const a = this.alarms.get(alertId);
    if (!a) return;
    if (a.ended) this.alarms.delete(alertId);
    else a.acked = true;
    this.render();
  }

  conditionEnded(alertId) {
    const a = this.alarms.get(alertId);
    if (!a) return;
    if (a.acked) this.alarms.delete(alertId);
    else a.ended = true;
    this.render();
  }

  cleared(alertId) {
    this.alarms.delete(alertId);
    this.render();
  }

  notify(ev, what) {
    if (!('Notification' in window) || Notification.permission !== 'granted' || ev.priority === 'low') return;
    const who = this.names[ev.patientId] ?? ev.patientId;
    new Notification(`${what} ${ev.priority} alarm: ${ev.kind}`, { body: `Patient ${who}`, tag: ev.alertId });
  }

  tick() {
    const top = this.unacknowledged()[0]?.[1];
    this.audio.update(this.paused() ? null : (top?.priority ?? null));
    if (this.pausedUntil && !this.paused()) this.pausedUntil = 0;
    this.renderAudioState();
  }

  renderAudioState() {
    const el = document.getElementById('audio-state');
    const pause = document.getElementById('audio-pause');
    if (!el) return;
    if (this.paused()) {
      const s = Math.ceil((this.pausedUntil - Date.now()) / 1000);
      el.textContent = `Audio paused: resumes in ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
      el.dataset.state = 'paused';
      if (pause) pause.textContent = 'Resume audio';
    } else {
      el.textContent = this.audio.enabled ? 'Alarm sound on' : 'Alarm sound off: enable it for this station';
      el.dataset.state = this.audio.enabled ? 'on' : 'off';
      if (pause) pause.textContent = 'Pause audio for 2 min';
    }
  }

  render() {
    const open = this.unacknowledged();
    const banner = document.getElementById('alarm-banner');
    if (banner) {
      banner.hidden = open.length === 0;
      if (open.length) {
        const [, top] = open[0];
        const who = this.names[top.patientId] ?? top.patientId ?? '';
        banner.className = `alarm-banner alarm-${top.priority}`;
        banner.dataset.count = String(open.length);
        banner.innerHTML = `<strong>${open.length} unacknowledged alarm${open.length === 1 ? '' : 's'}</strong>: most urgent ${escapeHtml(top.priority)} ${escapeHtml(top.kind)}, ${escapeHtml(who)}`;
      }
    }
    document.title = open.length ? `(${open.length}) ${this.baseTitle}` : this.baseTitle;
    this.renderAudioState();
  }
}
