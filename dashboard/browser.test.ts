// The dashboard in real Chromium against the embedded runtime: sign in, watch a heart-rate sample
// posted to ingest appear live, see a seizure alert appear and acknowledge it. Screenshots of every
// page go to test-output/screenshots/ (git-ignored) for a human to look at.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../runtime/testing.ts';
import { addUser, alertEvent, CHROMIUM, PASSWORD } from './testing.ts';

/** Waits (up to 5 s) until the element's text contains `text`. */
async function expectText(locator: Locator, text: string): Promise<void> {
  const deadline = Date.now() + 5000;
  let last = '';
  while (Date.now() < deadline) {
    last =
      (await locator
        .first()
        .textContent()
        .catch(() => null)) ?? '';
    if (last.includes(text)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(last).toContain(text);
}

const SHOTS = join(import.meta.dirname, '..', 'test-output', 'screenshots');

describe('dashboard in Chromium', () => {
  let rt: TestRuntime;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    rt = await startTestRuntime('sqlite', { dashboard: true, dashboardPort: 0 });
    base = rt.dashboardUrl!;
    await addUser(rt.db, 'nurse', 'clinician');
    await addUser(rt.db, 'admin', 'admin');
    browser = await chromium.launch(CHROMIUM);
    page = await browser.newPage({ viewport: { width: 1366, height: 768 }, timezoneId: 'Europe/Rome' });
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.stop();
  });

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  async function signIn(username: string) {
    await page.goto(`${base}/`);
    expect(page.url()).toContain('/login');
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/`);
  }

  it('signs in, shows a heart-rate sample from ingest live, and an alert that can be acknowledged', async () => {
    await page.goto(`${base}/login`);
    await shot('login');
    await signIn('nurse');
    await page.waitForSelector('#live-status[data-state="live"]');
    await shot('ward');

    await page.goto(`${base}/patients/patient-1`);
    await page.waitForSelector('#live-status[data-state="live"]');
    const sentAt = Date.now();
    const res = await fetch(rt.ingestUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${rt.device.token}` },
      body: JSON.stringify({
        specversion: '1.0',
        id: 'hr-browser-1',
        source: `/devices/${rt.device.deviceId}`,
        type: 'org.vigil.heartrate.sample',
        subject: 'patient-1',
        time: new Date(sentAt).toISOString(),
        datacontenttype: 'application/json',
        data: {
          patientId: 'patient-1',
          deviceId: rt.device.deviceId,
          source: 'apple-watch',
          samples: [{ time: new Date(sentAt).toISOString(), bpm: 123 }],
        },
      }),
    });
    expect(res.status).toBe(202);
    await page.waitForFunction(() => document.getElementById('cur-bpm')?.textContent === '123', undefined, {
      timeout: 5000,
    });
    const latencyMs = Date.now() - sentAt;
    expect(latencyMs).toBeLessThan(3000);
    await expectText(page.locator('.device .state').first(), 'online');

    // The seizure detector's alert, as the broker delivers it to the recorder.
    await rt.broker.accept([alertEvent('patient-1', 'seizure-browser-1', Date.now())]);
    await page.waitForSelector('#open-alerts [data-alert="seizure-browser-1"]', { timeout: 5000 });
    await expectText(page.locator('#open-alerts [data-alert="seizure-browser-1"]'), 'High');
    await page.waitForTimeout(300); // let chart.js finish its frame
    await shot('patient');

    await page.goto(`${base}/alerts`);
    const row = page.locator('tr[data-alert="seizure-browser-1"]');
    await expectText(row, 'seizure');
    await expectText(row, 'raised');
    await shot('alerts');
    await row.locator('input[name=note]').fill('patient checked, neurologist called');
    await row.locator('button.ack').click();
    await page.waitForURL(/\/alerts/);
    await expectText(page.locator('tr[data-alert="seizure-browser-1"]'), 'acknowledged');
    await page.goto(`${base}/alerts/seizure-browser-1`);
    await expectText(page.locator('table.audit'), 'patient checked, neurologist called');
    await expectText(page.locator('table.audit'), 'nurse');
    await shot('alert-detail');

    await page.goto(`${base}/capacity`);
    await page.waitForTimeout(300);
    await shot('capacity');
  });

  it('lets an admin enrol a device and shows its token once', async () => {
    await page.context().clearCookies();
    await signIn('admin');
    await page.goto(`${base}/admin`);
    await page.selectOption('select[name=kind]', 'apple-watch');
    await page.click('form[action="/admin/devices"] button');
    await expectText(page.locator('#device-token'), 'vgl_dev_');
    await shot('admin');
    await page.goto(`${base}/admin`);
    expect(await page.locator('#device-token').count()).toBe(0);
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.goto(`${base}/`);
    await shot('ward-tablet');
  });
});
