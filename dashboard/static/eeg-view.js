// Draws an EEG page as review software does: channels stacked in montage order with their labels,
// a fixed sensitivity (µV per mm: the trace does not rescale to the data), a vertical line every
// second, a scale bar, and every sample (where a pixel column holds several, its min-max envelope is
// drawn, so no spike is lost). The detector strip below shares the same time axis.

/** CSS pixels per millimetre at the CSS reference size (96 px per inch). */
export const PX_PER_MM = 96 / 25.4;
export const GUTTER_PX = 78;
const TRACE = '#0f172a';
const GRID = '#cbd5e1';
const GRID_STRONG = '#94a3b8';
const LABEL = '#1e293b';

/** Sizes the canvas backing store to its CSS box at the screen's pixel density; returns a 2D context in CSS px. */
export function fitCanvas(canvas, cssHeight) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.parentElement.clientWidth;
  canvas.style.width = `${w}px`;
  canvas.style.height = `${cssHeight}px`;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(cssHeight * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, width: w, height: cssHeight, dpr };
}

/** Row height for `n` channels: 34 px each for a 23-channel montage, up to 160 px for one channel. */
export function rowHeight(n) {
  return Math.max(24, Math.min(160, Math.floor(800 / Math.max(1, n))));
}

/**
 * rows: [{ label, segments: [{ t0, hz, values: Float64Array }] }]; page: { start, seconds };
 * sensitivity: µV per mm; tickLabel(ms) names a grid second.
 */
export function drawEeg(canvas, { rows, page, sensitivity, tickLabel }) {
  const rh = rowHeight(rows.length);
  const axisH = 20;
  const { ctx, width, height, dpr } = fitCanvas(canvas, Math.max(120, rows.length * rh + axisH));
  const plotW = Math.max(10, width - GUTTER_PX - 8);
  const x0 = GUTTER_PX;
  const msPerPx = (page.seconds * 1000) / plotW;
  const xOf = (t) => x0 + (t - page.start) / msPerPx;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);

  // 1-s grid, stronger every 5 s, labelled below.
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  const firstSecond = Math.ceil(page.start / 1000) * 1000;
  const pxPerSecond = plotW / page.seconds;
  const labelEvery = pxPerSecond >= 70 ? 1 : pxPerSecond >= 30 ? 2 : 5;
  for (let t = firstSecond; t <= page.start + page.seconds * 1000; t += 1000) {
    const x = Math.round(xOf(t)) + 0.5;
    const strong = Math.round(t / 1000) % 5 === 0;
    ctx.strokeStyle = strong ? GRID_STRONG : GRID;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, height - axisH);
    ctx.stroke();
    if (Math.round(t / 1000) % labelEvery === 0) {
      ctx.fillStyle = LABEL;
      ctx.fillText(tickLabel(t), Math.min(x + 2, width - 50), height - axisH + 4);
    }
  }

  const pxPerUv = PX_PER_MM / sensitivity;
  ctx.save();
  ctx.beginPath();
  ctx.rect(x0, 0, plotW, height - axisH);
  ctx.clip();
  ctx.strokeStyle = TRACE;
  ctx.lineWidth = 0.8;
  rows.forEach((row, r) => {
    const mid = r * rh + rh / 2;
    for (const seg of row.segments) drawSegment(ctx, seg, xOf, mid, pxPerUv, msPerPx / dpr, x0, x0 + plotW);
  });
  ctx.restore();

  // Labels in the gutter, in montage order.
  ctx.textBaseline = 'middle';
  ctx.font = `${rh >= 22 ? 12 : 10}px system-ui, sans-serif`;
  ctx.fillStyle = LABEL;
  rows.forEach((row, r) => {
    ctx.fillText(row.label, 4, r * rh + rh / 2, GUTTER_PX - 8);
  });

  // Scale bar, bottom right: 10 mm of deflection and 1 s.
  const barUv = sensitivity * 10;
  const barPx = 10 * PX_PER_MM;
  const bx = x0 + plotW - Math.min(pxPerSecond, plotW / 3) - 8;
  const by = height - axisH - 6;
  ctx.fillStyle = 'rgba(255,255,255,0.85)';
  ctx.fillRect(bx - 62, by - barPx - 4, Math.min(pxPerSecond, plotW / 3) + 70, barPx + 10);
  ctx.strokeStyle = '#b91c1c';
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(bx, by - barPx);
  ctx.lineTo(bx, by);
  ctx.lineTo(bx + Math.min(pxPerSecond, plotW / 3), by);
  ctx.stroke();
  ctx.fillStyle = '#7f1d1d';
  ctx.textBaseline = 'middle';
  ctx.fillText(`${barUv} µV`, bx - 58, by - barPx / 2);
  ctx.textBaseline = 'bottom';
  ctx.fillText(
    pxPerSecond <= plotW / 3 ? '1 s' : `${((plotW / 3 / pxPerSecond) * 1000).toFixed(0)} ms`,
    bx + 4,
    by - 2,
  );
  return { plotX: x0, plotW, msPerPx };
}

/** One contiguous run of samples: a polyline, or per-device-pixel min-max when samples outnumber pixels. */
function drawSegment(ctx, seg, xOf, mid, pxPerUv, msPerDevicePx, xMin, xMax) {
  const { t0, hz, values } = seg;
  const n = values.length;
  if (n === 0) return;
  const dt = 1000 / hz;
  const perPx = msPerDevicePx / dt;
  ctx.beginPath();
  if (perPx <= 1.5) {
    let started = false;
    for (let i = 0; i < n; i++) {
      const x = xOf(t0 + i * dt);
      if (x < xMin - 2 || x > xMax + 2) continue;
      const y = mid - values[i] * pxPerUv;
      if (started) ctx.lineTo(x, y);
      else {
        ctx.moveTo(x, y);
        started = true;
      }
    }
  } else {
    const step = Math.max(1, Math.floor(perPx));
    for (let i = 0; i < n; i += step) {
      let lo = values[i];
      let hi = values[i];
      for (let k = i + 1; k < Math.min(n, i + step); k++) {
        if (values[k] < lo) lo = values[k];
        if (values[k] > hi) hi = values[k];
      }
      const x = xOf(t0 + i * dt);
      if (x < xMin - 2 || x > xMax + 2) continue;
      if (i === 0) ctx.moveTo(x, mid - values[0] * pxPerUv);
      ctx.lineTo(x, mid - hi * pxPerUv);
      ctx.lineTo(x, mid - lo * pxPerUv);
    }
  }
  ctx.stroke();
}

/** The detector strip: one cell per analysed second, on the same axis as the trace. */
export function drawStrip(canvas, { windows, page, plotX, plotW }) {
  const { ctx, width, height } = fitCanvas(canvas, 26);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = '#f1f5f9';
  ctx.fillRect(plotX, 2, plotW, height - 4);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = LABEL;
  ctx.textBaseline = 'middle';
  ctx.fillText('Detector', 4, height / 2, GUTTER_PX - 8);
  const msPerPx = (page.seconds * 1000) / plotW;
  for (const w of windows) {
    const x = plotX + (w.start - page.start) / msPerPx;
    const wpx = (w.seconds * 1000) / msPerPx;
    if (x + wpx < plotX || x > plotX + plotW) continue;
    const left = Math.max(plotX, x);
    const right = Math.min(plotX + plotW, x + wpx);
    ctx.fillStyle = w.seizureLike ? '#b91c1c' : '#64748b';
    ctx.fillRect(left + 0.5, 3, Math.max(1, right - left - 1), height - 6);
  }
}
