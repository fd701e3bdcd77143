// Trends on the patient page: heart rate (one line per device, with the patient's limits and alerts)
// and the seizure detector (share of analysed EEG it labelled seizure, per device) over 15 min, 1 h,
// 4 h or 24 h ending now (live), or a chosen range. Gaps are drawn as gaps, ticks sit on round steps
// of the ward's clock, and each chart is summed up in words below it.
import { fmtClock, fmtTime, oncePerFrame, WARD_ZONE } from './common.js';
import { gapThreshold, timeTicks, withGaps } from './time-axis.js';

/** Only heart-rate alarms mark the heart-rate trend: technical alarms are no physiological event. */
const HEART_RATE_KINDS = new Set(['tachycardia', 'bradycardia']);

const Chart = window.Chart;
const DEVICE_COLOURS = ['#1d4ed8', '#0f766e', '#9333ea', '#b45309', '#be123c'];
export const PRESETS = { '15m': 15 * 60_000, '1h': 3_600_000, '4h': 4 * 3_600_000, '24h': 24 * 3_600_000 };

const timeAxis = () => ({
  type: 'linear',
  afterBuildTicks: (axis) => {
    const maxTicks = Math.max(2, Math.floor(axis.width / 90));
    const { step, ticks } = timeTicks(axis.min, axis.max, WARD_ZONE, maxTicks);
    axis._vigilStep = step;
    axis.ticks = ticks.map((value) => ({ value }));
  },
  ticks: {
    maxRotation: 0,
    autoSkip: false,
    callback(v) {
      return fmtClock(v, (this._vigilStep ?? 60_000) < 60_000);
    },
  },
});

const base = {
  animation: false,
  responsive: true,
  maintainAspectRatio: false,
  parsing: false,
  normalized: true,
  spanGaps: false,
};

export class Trends {
  constructor({ api, hrCanvas, detCanvas, hrDesc, detDesc }) {
    this.api = api;
    this.hrDesc = hrDesc;
    this.detDesc = detDesc;
    this.span = PRESETS['15m'];
    this.range = null; // [from, to] when not live
    this.bucketMs = 1000;
    /** deviceId -> Map(bucketStart -> {sum, n}) */
    this.hr = new Map();
    /** deviceId -> Map(bucketStart -> {analysed, seizureLike}) */
    this.det = new Map();
    this.alerts = [];
    this.limits = null;
    this.hrChart = new Chart(hrCanvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        ...base,
        scales: { x: timeAxis(), y: { title: { display: true, text: 'bpm' } } },
        plugins: {
          legend: { labels: { boxHeight: 2 } },
          tooltip: {
            callbacks: {
              title: (items) => (items[0] ? fmtTime(items[0].parsed.x) : ''),
              label: (item) =>
                item.raw?.alert
                  ? `${item.raw.alert.priority ?? item.raw.alert.severity} priority ${item.raw.alert.kind}`
                  : `${item.dataset.label}: ${Math.round(item.parsed.y)} bpm`,
            },
          },
        },
      },
    });
    this.detChart = new Chart(detCanvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        ...base,
        scales: {
          x: timeAxis(),
          y: { min: 0, max: 100, ticks: { stepSize: 50, callback: (v) => `${v} %` } },
        },
        plugins: { legend: { labels: { boxHeight: 2 } } },
      },
    });
  }

  get live() {
    return this.range === null;
  }

  window() {
    if (this.range) return this.range;
    const now = Date.now();
    return [now - this.span, now];
  }

  async show({ span, range }) {
    this.span = span ?? this.span;
    this.range = range ?? null;
    const [from, to] = this.window();
    const r = await fetch(
      this.api(`/trend?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`),
      {
        headers: { accept: 'application/json' },
      },
    );
    if (!r.ok) throw new Error(`trend: HTTP ${r.status}`);
    const j = await r.json();
    this.bucketMs = j.bucketSeconds * 1000;
    this.hr.clear();
    this.det.clear();
    for (const b of j.heartRate)
      this.bucket(this.hr, b.deviceId, Date.parse(b.time)).set(b.bpm * b.samples, b.samples);
    for (const b of j.detector) {
      const cell = this.bucket(this.det, b.deviceId, Date.parse(b.time));
      cell.analysed = b.analysed;
      cell.seizureLike = b.seizureLike;
    }
    this.draw();
  }

  bucket(map, deviceId, t) {
    let dev = map.get(deviceId);
    if (!dev) {
      dev = new Map();
      map.set(deviceId, dev);
    }
    const b = Math.floor(t / this.bucketMs) * this.bucketMs;
    let cell = dev.get(b);
    if (!cell) {
      cell = {
        sum: 0,
        n: 0,
        analysed: 0,
        seizureLike: 0,
        set(sum, n) {
          this.sum = sum;
          this.n = n;
        },
      };
      dev.set(b, cell);
    }
    return cell;
  }

  addHeartRate(deviceId, samples) {
    if (!this.live) return;
    for (const s of samples) {
      const cell = this.bucket(this.hr, deviceId ?? 'unknown', Date.parse(s.time));
      cell.sum += s.bpm;
      cell.n += 1;
    }
    this.draw();
  }

  /** A live prediction: one analysed chunk, labelled seizure or not (as the trend API counts them). */
  addPrediction(deviceId, windowStart, label) {
    if (!this.live) return;
    const cell = this.bucket(this.det, deviceId ?? 'unknown', Date.parse(windowStart));
    cell.analysed += 1;
    if (label === 'seizure') cell.seizureLike += 1;
    this.draw();
  }

  setLimits(limits) {
    this.limits = limits;
    this.draw();
  }

  setAlerts(alerts) {
    this.alerts = alerts;
    this.draw();
  }

  /** Redraws at the next frame; any number of calls before it cost one render. */
  draw = oncePerFrame(() => this.render());

  series(map, value) {
    const [from, to] = this.window();
    const out = [];
    for (const [deviceId, cells] of map) {
      for (const t of [...cells.keys()]) if (this.live && t < from - this.bucketMs) cells.delete(t);
      const pts = [...cells.entries()]
        .filter(([t]) => t >= from - this.bucketMs && t <= to)
        .sort((a, b) => a[0] - b[0])
        .map(([t, c]) => ({ x: t + this.bucketMs / 2, y: value(c) }))
        .filter((p) => p.y !== null);
      const gap = gapThreshold(
        pts.map((p) => p.x),
        2.5 * this.bucketMs,
      );
      out.push({ deviceId, ...withGaps(pts, gap) });
    }
    return out;
  }

  render() {
    const [from, to] = this.window();
    const hr = this.series(this.hr, (c) => (c.n ? c.sum / c.n : null));
    const det = this.series(this.det, (c) => (c.analysed ? (100 * c.seizureLike) / c.analysed : null));
    const markers = this.alerts
      .filter((a) => HEART_RATE_KINDS.has(a.kind) && a.x >= from && a.x <= to)
      .map((a) => ({ x: a.x, y: this.limits?.high ?? 100, alert: a }));
    const limitLine = (y, label, color, dash) => ({
      label,
      data: [
        { x: from, y },
        { x: to, y },
      ],
      borderColor: color,
      borderDash: dash,
      pointRadius: 0,
      borderWidth: 1,
    });
    this.hrChart.data.datasets = [
      ...hr.map((s, i) => ({
        label: hr.length > 1 ? `Heart rate, ${s.deviceId}` : 'Heart rate',
        data: s.points,
        borderColor: DEVICE_COLOURS[i % DEVICE_COLOURS.length],
        pointRadius: s.points.length < 120 ? 1.5 : 0,
        borderWidth: 1.5,
      })),
      ...(this.limits?.high != null
        ? [limitLine(this.limits.high, `High limit ${this.limits.high}`, '#b91c1c', [6, 4])]
        : []),
      ...(this.limits?.low != null
        ? [limitLine(this.limits.low, `Low limit ${this.limits.low}`, '#92400e', [2, 3])]
        : []),
      ...(markers.length
        ? [
            {
              label: 'Heart-rate alert',
              type: 'scatter',
              data: markers,
              pointStyle: 'triangle',
              pointRadius: 7,
              borderColor: '#7f1d1d',
              backgroundColor: '#fca5a5',
            },
          ]
        : []),
    ];
    this.detChart.data.datasets = det.map((s, i) => ({
      label: det.length > 1 ? `Labelled seizure, ${s.deviceId}` : 'Labelled seizure',
      data: s.points,
      borderColor: '#b91c1c',
      backgroundColor: 'rgba(185, 28, 28, 0.15)',
      fill: 'origin',
      stepped: true,
      pointRadius: 0,
      borderWidth: 1.5 + i,
    }));
    for (const ch of [this.hrChart, this.detChart]) {
      ch.options.scales.x.min = from;
      ch.options.scales.x.max = to;
      ch.update('none');
    }
    this.describe(hr, det, from, to);
  }

  describe(hr, det, from, to) {
    const span = `${fmtTime(from)} to ${fmtTime(to)}`;
    const gapText = (gaps) => {
      if (!gaps.length) return 'no gaps';
      const longest = Math.max(...gaps.map((g) => g.to - g.from));
      return `${gaps.length} gap${gaps.length > 1 ? 's' : ''} in the data (longest ${Math.round(longest / 1000)} s)`;
    };
    const hrParts = hr
      .filter((s) => s.points.some((p) => p.y !== null))
      .map((s) => {
        const ys = s.points.filter((p) => p.y !== null).map((p) => p.y);
        const last = ys[ys.length - 1];
        return `${hr.length > 1 ? `device ${s.deviceId}: ` : ''}latest ${Math.round(last)} bpm, lowest ${Math.round(Math.min(...ys))}, highest ${Math.round(Math.max(...ys))}, ${gapText(s.gaps)}`;
      });
    const limits = this.limits ? ` Limits ${this.limits.low}–${this.limits.high} bpm.` : '';
    this.hrDesc.textContent = hrParts.length
      ? `Heart rate ${span}: ${hrParts.join('; ')}.${limits}`
      : `No heart-rate samples from ${span}.`;
    const detParts = det
      .filter((s) => s.points.some((p) => p.y !== null))
      .map((s) => {
        const ys = s.points.filter((p) => p.y !== null).map((p) => p.y);
        const flagged = ys.filter((y) => y > 0).length;
        return `${det.length > 1 ? `device ${s.deviceId}: ` : ''}seizure-like activity in ${flagged} of ${ys.length} intervals, ${gapText(s.gaps)}`;
      });
    this.detDesc.textContent = detParts.length
      ? `Seizure detector ${span}: ${detParts.join('; ')}.`
      : `No detector results from ${span}.`;
  }
}
