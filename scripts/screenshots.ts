// The README's pictures, taken from a real run so they stay true: the embedded runtime (every function,
// SQLite), the simulator replaying the demo recordings as three patients' devices at real time, and
// the dashboard in Debian's Chromium. Patient 1 plays a Bonn seizure segment (the detector raises a
// seizure alert), patient 2 the 23-channel CHB-MIT seizure excerpt, patient 3 a normal Bonn segment;
// heart rate from BIDMC records with the demo limits 40/120 bpm (bidmc_25 breaches them).
// Run: npx tsx scripts/screenshots.ts [--out docs/screenshots] [--seconds 45]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { projectPath } from '../config/project-root.ts';
import { startDashboard } from '../dashboard/server.ts';
import { CHROMIUM } from '../dashboard/testing.ts';
import { startRuntime } from '../runtime/embedded.ts';
import { simulatorDevice } from '../simulator/credentials.ts';
import { loadEegFile, loadHrFile } from '../simulator/recordings.ts';
import { runSimulation } from '../simulator/simulate.ts';
import { listAlerts } from '../storage/alert-queries.ts';
import { setLimits } from '../storage/limits-store.ts';
import { addPatient } from '../storage/patients-store.ts';
import { createUser, resolveSecret } from '../storage/users-store.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: projectPath('docs/screenshots') },
    seconds: { type: 'string', default: '45' },
    zone: { type: 'string', default: 'Europe/Rome' },
  },
});
const OUT = values.out!;
const SECONDS = Number(values.seconds);
const PASSWORD = 'screenshot-password';

mkdirSync(OUT, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'vigil-shots-'));
const rt = await startRuntime({ dataDir, ingestPort: 0, dashboard: false, technicalCheckSeconds: 0 });
const dash = await startDashboard({ db: rt.db, port: 0, wardTimeZone: values.zone! });
const secret = await resolveSecret(rt.db);
await createUser(rt.db, secret, { username: 'nurse.rossi', password: PASSWORD, role: 'admin' });

const demo = (p: string) => projectPath(join('data/demo', p));
const patients = [
  {
    id: 'sim-001',
    name: 'Simulated patient 1',
    eeg: 'eeg/bonn/setE/S046.txt',
    hr: 'heart-rate/bidmc_25_Numerics.csv',
  },
  {
    id: 'sim-002',
    name: 'Simulated patient 2',
    eeg: 'eeg/chb01_03_Seizure.edf',
    hr: 'heart-rate/bidmc_01_Numerics.csv',
  },
  {
    id: 'sim-003',
    name: 'Simulated patient 3',
    eeg: 'eeg/bonn/setA/Z004.txt',
    hr: 'heart-rate/bidmc_27_Numerics.csv',
  },
];
const credentials = [];
for (const p of patients) {
  await addPatient(rt.db, { id: p.id, name: p.name });
  await setLimits(rt.db, p.id, { low: 40, high: 120 }, 'vigil-simulate');
  credentials.push(await simulatorDevice(rt.db, p.id));
}
const eeg = await Promise.all(patients.map((p) => loadEegFile(demo(p.eeg))));
const hr = await Promise.all(patients.map((p) => loadHrFile(demo(p.hr))));
// The heart-rate records' first 8 minutes, sent now as fast as ingest acknowledges them but stamped
// over the 8 minutes just past, so the trends have history (as a watch syncing its backlog would).
const backfillStart = Date.now() - 480_000;
await runSimulation({
  url: rt.ingestUrl,
  credentials,
  eeg: [],
  hr,
  speed: Number.POSITIVE_INFINITY,
  chunkSeconds: 10,
  encoding: 'binary',
  wallNow: () => backfillStart,
});
await rt.idle();
console.log(`dashboard ${dash.url}; simulating ${patients.length} patients for ${SECONDS} s`);
const simulation = runSimulation({
  url: rt.ingestUrl,
  credentials,
  eeg,
  hr,
  speed: 1,
  durationS: SECONDS + 15,
  chunkSeconds: 1,
  encoding: 'binary',
});

const browser = await chromium.launch(CHROMIUM);
try {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    timezoneId: 'America/New_York',
  });
  const page = await context.newPage();
  await page.goto(`${dash.url}/login`);
  await page.fill('input[name=username]', 'nurse.rossi');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${dash.url}/`);
  // Watch patient 1 while the recording plays, so the page holds a live page of EEG.
  await page.goto(`${dash.url}/patients/sim-001`);
  const deadline = Date.now() + SECONDS * 1000;
  while (Date.now() < deadline) {
    const open = await listAlerts(rt.db, { status: 'open', kind: 'seizure', limit: 1 });
    if (open.total > 0 && Date.now() > deadline - 15_000) break;
    await page.waitForTimeout(1000);
  }
  const seizures = await listAlerts(rt.db, { kind: 'seizure', limit: 5 });
  console.log(`seizure alerts: ${seizures.total}`);
  // Bonn set E is intracranial (hundreds of µV): read at 100 µV/mm, as a reviewer would set it.
  await page.selectOption('#eeg-controls select[name=sensitivity]', '100');
  await page.waitForTimeout(1200);
  await page.screenshot({ path: join(OUT, 'patient-seizure.png'), fullPage: true });

  const montage = await context.newPage();
  await montage.goto(`${dash.url}/patients/sim-002`);
  await montage.selectOption('#eeg-controls select[name=sensitivity]', '20');
  await montage.waitForTimeout(6000);
  await montage.locator('.eeg-review').screenshot({ path: join(OUT, 'patient-montage.png') });

  await page.goto(`${dash.url}/`);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(OUT, 'ward.png'), fullPage: true });
  await page.goto(`${dash.url}/alerts`);
  // One alert acknowledged with a note, so the inbox shows who acknowledged it and when.
  const tachy = page.locator('tr[data-alert][data-status="raised"]', { hasText: 'tachycardia' }).first();
  if ((await tachy.count()) > 0) {
    await tachy.locator('input[name=note]').fill('at the bedside, patient anxious');
    await tachy.locator('button.ack').click();
    await page.waitForURL(/\/alerts/);
  }
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(OUT, 'alerts.png'), fullPage: true });

  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const p2 = await phone.newPage();
  await p2.context().addCookies(await context.cookies());
  await p2.goto(`${dash.url}/alerts`);
  await p2.waitForTimeout(800);
  await p2.screenshot({ path: join(OUT, 'alerts-phone.png'), fullPage: true });
  await phone.close();
  await context.close();
} finally {
  await browser.close();
  await simulation.catch(() => undefined);
  await dash.close();
  await rt.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(`screenshots in ${OUT}`);
