// EEG review on the patient page: keeps the recent chunks of each of the patient's EEG devices, builds
// the page the controls ask for (device, channels, sensitivity, page length, filters, live or paused
// at a time), draws it with eeg-view.js and describes it in words for screen readers.
import { fmtClock, fmtTime, oncePerFrame } from './common.js';
import { applyFilters, designFilters } from './eeg-filters.js';
import { drawEeg, drawStrip } from './eeg-view.js';

/** Live chunks kept per device: the longest page plus time for the filters to settle. */
const KEEP_MS = 45_000;
/** Filter settling time read before the page starts. */
const WARMUP_MS = 3000;
/** Highest rate requested from the history API (the live stream sends the same). */
const MAX_HZ = 512;

export class EegReview {
  constructor({ api, form, canvas, strip, montage, desc, stripDesc, deviceSelect, deviceLabel }) {
    this.api = api;
    this.form = form;
    this.canvas = canvas;
    this.stripCanvas = strip;
    this.montageEl = montage;
    this.descEl = desc;
    this.stripDescEl = stripDesc;
    this.deviceSelect = deviceSelect;
    this.deviceLabel = deviceLabel;
    /** deviceId -> chunks [{t0, hz, channels, samples: number[][], end}] sorted by t0 */
    this.chunks = new Map();
    /** deviceId -> windows [{start, seconds, seizureLike}] */
    this.windows = new Map();
    this.device = null;
    this.offset = 0;
    this.live = true;
    this.pageEnd = null;
    form.addEventListener('change', (e) => {
      if (e.target.name === 'count') this.offset = 0;
      if (e.target.name === 'device') {
        this.device = e.target.value;
        this.offset = 0;
      }
      this.draw();
    });
    document.getElementById('ch-prev').addEventListener('click', () => this.shiftChannels(-1));
    document.getElementById('ch-next').addEventListener('click', () => this.shiftChannels(1));
    document.getElementById('eeg-earlier').addEventListener('click', () => this.page(-1));
    document.getElementById('eeg-later').addEventListener('click', () => this.page(1));
    document.getElementById('eeg-live').addEventListener('click', () => this.goLive());
    window.addEventListener('resize', () => this.draw());
  }

  settings() {
    const f = new FormData(this.form);
    return {
      count: Number(f.get('count')),
      sensitivity: Number(f.get('sensitivity')),
      seconds: Number(f.get('timebase')),
      highPass: Number(f.get('highPass')),
      lowPass: Number(f.get('lowPass')),
      notch: Number(f.get('notch')),
    };
  }

  /** A chunk from the live stream or the history API. */
  addChunk(deviceId, t0, hz, channels, samples) {
    let list = this.chunks.get(deviceId);
    if (!list) {
      list = [];
      this.chunks.set(deviceId, list);
      this.updateDevices();
    }
    if (list.some((c) => c.t0 === t0)) return;
    const n = samples[0]?.length ?? 0;
    list.push({ t0, hz, channels, samples, end: t0 + (n * 1000) / hz });
    list.sort((a, b) => a.t0 - b.t0);
    if (this.live) {
      const newest = list[list.length - 1].end;
      while (list.length && list[0].end < newest - KEEP_MS) list.shift();
    }
    this.device ??= deviceId;
  }

  addWindows(deviceId, windows) {
    let list = this.windows.get(deviceId);
    if (!list) {
      list = [];
      this.windows.set(deviceId, list);
    }
    for (const w of windows) if (!list.some((x) => x.start === w.start)) list.push(w);
    list.sort((a, b) => a.start - b.start);
    if (this.live && list.length > 200) list.splice(0, list.length - 200);
  }

  updateDevices() {
    const ids = [...this.chunks.keys()];
    this.deviceLabel.hidden = ids.length < 2;
    this.deviceSelect.innerHTML = ids.map((id) => `<option value="${id}">${id}</option>`).join('');
    if (this.device) this.deviceSelect.value = this.device;
  }

  shiftChannels(dir) {
    const { count } = this.settings();
    const n = this.montage()?.length ?? 0;
    if (!count || !n) return;
    this.offset = Math.min(Math.max(0, this.offset + dir * count), Math.max(0, n - count));
    this.draw();
  }

  montage() {
    const list = this.chunks.get(this.device) ?? [];
    return list.length ? list[list.length - 1].channels : null;
  }

  async page(dir) {
    const { seconds } = this.settings();
    const list = this.chunks.get(this.device) ?? [];
    const end = this.pageEnd ?? (list.length ? list[list.length - 1].end : Date.now());
    this.setLive(false);
    this.pageEnd = end + dir * seconds * 1000;
    await this.load(this.pageEnd - seconds * 1000 - WARMUP_MS, this.pageEnd);
    this.draw();
  }

  /** Shows the page ending at `end` (history mode). */
  async showAt(end) {
    this.setLive(false);
    this.pageEnd = end;
    const { seconds } = this.settings();
    await this.load(end - seconds * 1000 - WARMUP_MS, end);
    this.draw();
  }

  goLive() {
    this.setLive(true);
    this.pageEnd = null;
    this.draw();
  }

  setLive(live) {
    this.live = live;
    const b = document.getElementById('eeg-live');
    b.setAttribute('aria-pressed', String(live));
    b.textContent = live ? 'Live' : 'Go live';
  }

  async load(from, to) {
    const q = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
    const [eeg, preds] = await Promise.all([
      fetch(this.api(`/eeg?${q}&maxHz=${MAX_HZ}&limit=120`), {
        headers: { accept: 'application/json' },
      }).then((r) => (r.ok ? r.json() : { items: [] })),
      fetch(this.api(`/predictions?${q}&limit=1000`), { headers: { accept: 'application/json' } }).then(
        (r) => (r.ok ? r.json() : { items: [] }),
      ),
    ]);
    for (const c of eeg.items)
      this.addChunk(c.deviceId, Date.parse(c.time), c.sampleRateHz, c.channels, c.samples);
    for (const p of preds.items)
      this.addWindows(
        p.deviceId ?? this.device,
        p.windows.map((w) => ({ start: Date.parse(w.start), seconds: 1, seizureLike: w.seizureLike })),
      );
    this.recorded = eeg.items[0]?.sourceSampleRateHz;
  }

  /** Redraws at the next frame; any number of calls before it cost one render. */
  draw = oncePerFrame(() => this.render());

  render() {
    const s = this.settings();
    const list = this.chunks.get(this.device) ?? [];
    const montage = this.montage();
    if (!montage) return;
    const end = this.live ? list[list.length - 1].end : this.pageEnd;
    const page = { start: end - s.seconds * 1000, seconds: s.seconds };
    const shown = s.count ? montage.slice(this.offset, this.offset + s.count) : montage;
    const hz = list[list.length - 1].hz;
    const { sections, skipped } = designFilters(s, hz);
    let peak = { uv: 0, channel: '' };
    const rows = shown.map((label) => {
      const segments = [];
      let cur = null;
      for (const c of list) {
        if (c.end < page.start - WARMUP_MS || c.t0 > end) continue;
        const i = c.channels.indexOf(label);
        if (i < 0 || c.hz !== hz) {
          cur = null;
          continue;
        }
        // A chunk that does not follow on from the previous one starts a new segment: no line across a gap.
        if (!cur || Math.abs(c.t0 - cur.next) > 1500 / hz) {
          cur = { t0: c.t0, hz, parts: [], next: c.t0 };
          segments.push(cur);
        }
        cur.parts.push(c.samples[i]);
        cur.next = c.end;
      }
      const segs = segments.map((g) => {
        const raw = Float64Array.from(g.parts.flat());
        const values = applyFilters(raw, sections);
        const from = Math.max(0, Math.floor(((page.start - g.t0) * hz) / 1000));
        for (let k = from; k < values.length; k++)
          if (Math.abs(values[k]) > peak.uv) peak = { uv: Math.abs(values[k]), channel: label };
        return { t0: g.t0, hz, values };
      });
      return { label, segments: segs };
    });
    const geo = drawEeg(this.canvas, {
      rows,
      page,
      sensitivity: s.sensitivity,
      tickLabel: (t) => fmtClock(t),
    });
    const windows = (this.windows.get(this.device) ?? []).filter(
      (w) => w.start + w.seconds * 1000 > page.start && w.start < end,
    );
    drawStrip(this.stripCanvas, { windows, page, ...geo });

    const recorded = this.recorded && this.recorded !== hz ? ` (recorded at ${this.recorded} Hz)` : '';
    const perSecondPx = geo.plotW / s.seconds;
    const resolution =
      perSecondPx * (window.devicePixelRatio || 1) >= hz
        ? 'every sample drawn'
        : 'every sample drawn as a min–max envelope per screen pixel';
    this.montageEl.textContent = `${montage.length} channel${montage.length === 1 ? '' : 's'}, ${hz} Hz${recorded}, ${resolution}; device ${this.device}`;
    const filters = [
      s.highPass ? `high-pass ${s.highPass} Hz` : 'high-pass off',
      s.lowPass ? `low-pass ${s.lowPass} Hz` : 'low-pass off',
      s.notch ? `notch ${s.notch} Hz` : 'notch off',
    ].join(', ');
    const channelText = s.count
      ? `channels ${this.offset + 1}–${this.offset + shown.length} of ${montage.length} (${shown.join(', ')})`
      : montage.length === 1
        ? `the recording's one channel (${shown[0]})`
        : `all ${montage.length} channels in montage order (${shown.join(', ')})`;
    this.descEl.textContent =
      `${this.live ? 'Live' : 'Paused'} page ${fmtTime(page.start)} to ${fmtClock(end)}, ${s.seconds} s, ${channelText}; ` +
      `sensitivity ${s.sensitivity} µV/mm (scale bar ${s.sensitivity * 10} µV); ${filters}` +
      `${skipped.length ? ` (${skipped.join(', ')} not possible at ${hz} Hz)` : ''}. ` +
      `Largest deflection on this page: ${Math.round(peak.uv)} µV${peak.channel ? ` on ${peak.channel}` : ''}.`;
    const positive = windows.filter((w) => w.seizureLike).length;
    this.stripDescEl.textContent = windows.length
      ? `Detector on this page: ${positive} of ${windows.length} analysed seconds looked seizure-like.`
      : 'The detector has not analysed any second of this page.';
    this.canvas.setAttribute('aria-label', `EEG trace: ${montage.length} channels, ${s.seconds}-second page`);
  }
}
