// The dashboard as a browser loads it (Debian Chromium, real network stack over loopback):
// (1) bytes transferred per view, first visit (empty cache) and second visit (same browser), split
//     into the page and its assets versus its data (REST JSON; the SSE stream is counted apart);
// (2) device → screen on the patient page: a heart-rate sample POSTed to ingest until the page's
//     current heart rate shows it, while the patient's 23-channel, 256-Hz EEG streams and is drawn.
// Run: npx tsx perf/bench-dashboard-page.ts [--samples 120] [--rate 4]   (take /tmp/vigil-heavy.lock)
import { parseArgs } from 'node:util';
import { type CDPSession, chromium, type Page } from 'playwright-core';
import { projectPath } from '../config/project-root.ts';
import { alertEvent, CHROMIUM, heartRateEvent } from '../dashboard/testing.ts';
import { loadEegFile } from '../simulator/recordings.ts';
import { EegChunker, eegChunkRequest } from '../simulator/requests.ts';
import { addPatient, enrollDevice } from '../storage/patients-store.ts';
import { createUser } from '../storage/users-store.ts';
import { startDashboardRuntime } from './dashboard-runtime.ts';
import { percentile } from './percentile.ts';

const { values } = parseArgs({
  options: { samples: { type: 'string', default: '120' }, rate: { type: 'string', default: '4' } },
});
const SAMPLES = Number(values.samples);
const RATE = Number(values.rate);

const pct = (xs: number[], p: number) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    p,
  );

const { rt, secret, stop } = await startDashboardRuntime('vigil-bench-page-');
const base = rt.dashboardUrl!;
await createUser(rt.db, secret, { username: 'bench', password: 'bench-password-1', role: 'admin' });
await addPatient(rt.db, { id: 'bench-1', name: 'Bench Patient' });
const watch = await enrollDevice(rt.db, { patientId: 'bench-1', kind: 'watch' });
const headset = await enrollDevice(rt.db, { patientId: 'bench-1', kind: 'eeg' });
// 15 min of heart rate and an open alert, so the views carry what a ward has.
const now = Date.now();
await rt.broker.accept([
  heartRateEvent(
    'bench-1',
    watch.deviceId,
    'hr-history',
    Array.from({ length: 900 }, (_, i) => [now - 900_000 + i * 1000, 70 + (i % 9)] as [number, number]),
  ),
  alertEvent('bench-1', 'bench-alert', now - 60_000),
]);
await rt.idle();

const edf = await loadEegFile(projectPath('data/demo/eeg/chb01_03_Seizure.edf'));
const chunker = new EegChunker(edf, 1);
let chunkNo = 0;
async function sendEeg(): Promise<void> {
  const k = chunkNo++ % chunker.chunkCount;
  const req = eegChunkRequest(
    chunker,
    k,
    { patientId: 'bench-1', deviceId: headset.deviceId },
    `eeg-${chunkNo}`,
    Date.now() - 1000,
    'binary',
  );
  const r = await fetch(rt.ingestUrl + req.path, {
    method: 'POST',
    headers: { ...req.headers, authorization: `Bearer ${headset.token}` },
    body: req.body as BodyInit,
  });
  await r.arrayBuffer();
  if (r.status !== 202) throw new Error(`EEG chunk: ingest answered ${r.status}`);
}

interface Weight {
  pageAndAssets: number;
  data: number;
  requests: number;
}

/** Bytes on the wire (headers and body, as encoded) per request of one navigation, via CDP. */
async function measure(page: Page, cdp: CDPSession, path: string): Promise<Weight> {
  const sizes = new Map<string, { url: string; bytes: number }>();
  const onResponse = (e: { requestId: string; response: { url: string } }) => {
    sizes.set(e.requestId, { url: e.response.url, bytes: 0 });
  };
  const onFinished = (e: { requestId: string; encodedDataLength: number }) => {
    const s = sizes.get(e.requestId);
    if (s) s.bytes = e.encodedDataLength;
  };
  cdp.on('Network.responseReceived', onResponse);
  cdp.on('Network.loadingFinished', onFinished);
  await page.goto(base + path, { waitUntil: 'load' });
  await page.waitForTimeout(1500);
  cdp.off('Network.responseReceived', onResponse);
  cdp.off('Network.loadingFinished', onFinished);
  const w: Weight = { pageAndAssets: 0, data: 0, requests: 0 };
  for (const s of sizes.values()) {
    const u = new URL(s.url);
    if (u.pathname === '/api/stream') continue; // a stream, not a load: counted by the latency part
    w.requests++;
    if (u.pathname.startsWith('/api/')) w.data += s.bytes;
    else w.pageAndAssets += s.bytes;
  }
  return w;
}

const browser = await chromium.launch(CHROMIUM);
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const page = await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send('Network.enable');
await page.goto(`${base}/login`);
await page.fill('input[name=username]', 'bench');
await page.fill('input[name=password]', 'bench-password-1');
await page.click('button[type=submit]');
await page.waitForURL(`${base}/`);
// Navigations within one session clear nothing but the memory cache: go via about:blank in between.
const views = ['/', '/patients/bench-1', '/alerts', '/capacity', '/admin'];
const kb = (b: number) => (b / 1024).toFixed(1);
console.log(
  'view                 first visit: page+assets / data (requests)   second visit: page+assets / data (requests)',
);
for (const v of views) {
  await cdp.send('Network.clearBrowserCache');
  const first = await measure(page, cdp, v);
  await page.goto('about:blank');
  const second = await measure(page, cdp, v);
  await page.goto('about:blank');
  console.log(
    `${v.padEnd(20)} ${kb(first.pageAndAssets).padStart(7)} KB / ${kb(first.data).padStart(6)} KB (${first.requests})         ${kb(second.pageAndAssets).padStart(7)} KB / ${kb(second.data).padStart(6)} KB (${second.requests})`,
  );
}

// Device → screen on the patient page while EEG streams at one chunk per second.
await page.goto(`${base}/patients/bench-1`);
await page.waitForSelector('#live-status[data-state="live"]');
let streaming = true;
const eegLoop = (async () => {
  while (streaming) {
    const t = Date.now();
    await sendEeg();
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t))));
  }
})();
await page.waitForTimeout(3000);
const latencies: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  const bpm = 100 + (i % 2 === 0 ? i % 60 : 60 + (i % 60));
  const sent = Date.now();
  const ev = heartRateEvent('bench-1', watch.deviceId, `hr-live-${i}`, [[sent, bpm]]);
  const res = await fetch(rt.ingestUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${watch.token}` },
    body: JSON.stringify(ev),
  });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}`);
  await page.waitForFunction(
    (want) => document.getElementById('cur-bpm')?.textContent === want,
    String(bpm),
    { timeout: 10_000, polling: 'raf' },
  );
  latencies.push(Date.now() - sent);
  await new Promise((r) => setTimeout(r, Math.max(0, 1000 / RATE - (Date.now() - sent))));
}
streaming = false;
await eegLoop;
console.log(
  `device → patient-page DOM (heart rate, EEG 23 ch × 256 Hz streaming and drawn): n=${latencies.length} p50=${pct(latencies, 50)} ms p99=${pct(latencies, 99)} ms max=${Math.max(...latencies)} ms`,
);
await browser.close();
await stop();
process.exit(0);
