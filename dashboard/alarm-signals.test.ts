// The ward's alarm signals in real Chromium against the embedded runtime: patients ordered by their most
// urgent alarm, the banner and the tab-title count, the Web Audio patterns (the AudioContext schedule is
// instrumented), acknowledging silencing that alarm, the 2-minute audio pause with its countdown, and a
// lost live stream shown as such without marking any device offline.
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../eventing/contract.ts';
import type { VigilEvent } from '../eventing/event.ts';
import { startTestRuntime, type TestRuntime } from '../runtime/testing.ts';
import { addPatient, touchDevices } from '../storage/patients-store.ts';
// @ts-expect-error: a plain browser ES module without types
import { PATTERNS as UNTYPED } from './static/alarm-audio.js';
import { addUser, alertEvent, CHROMIUM, PASSWORD } from './testing.ts';

const PATTERNS = UNTYPED as Record<'high' | 'medium' | 'low', { starts: number[]; repeatS: number | null }>;

interface Pulse {
  priority: string;
  at: number;
}

function raised(patientId: string, alertId: string, kind: string, priority: string): VigilEvent {
  return alertEvent(patientId, alertId, Date.now(), kind, {
    priority,
    severity: 'major',
    evidence: { deviceId: `${alertId}-device` },
  });
}

/** The first burst of `priority` in the schedule, as offsets (s) from its first pulse. */
function firstBurst(pulses: Pulse[], priority: string): number[] {
  const mine = pulses.filter((p) => p.priority === priority);
  const t0 = mine[0]?.at ?? 0;
  return mine.slice(0, PATTERNS[priority as 'high'].starts.length).map((p) => Number((p.at - t0).toFixed(3)));
}

describe('alarm signals in Chromium', () => {
  let rt: TestRuntime;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    rt = await startTestRuntime('sqlite', { dashboard: true, dashboardPort: 0 });
    base = rt.dashboardUrl!;
    await addUser(rt.db, 'nurse', 'clinician');
    for (const [id, name] of [
      ['p-calm', 'Calm Carla'],
      ['p-silent', 'Silent Sam'],
      ['p-fit', 'Fitting Fred'],
    ])
      await addPatient(rt.db, { id: id!, name: name! });
    await touchDevices(rt.db, new Map([[rt.device.deviceId, Date.now()]]));
    await rt.broker.accept([
      raised('p-silent', 'silent-1', 'device-silent', 'medium'),
      raised('p-fit', 'seizure-1', 'seizure', 'high'),
    ]);
    await rt.idle();
    browser = await chromium.launch({
      ...CHROMIUM,
      args: [...CHROMIUM.args, '--autoplay-policy=no-user-gesture-required'],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.clock.install();
    await page.goto(`${base}/login`);
    await page.fill('input[name=username]', 'nurse');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/`);
    await page.waitForSelector('#live-status[data-state="live"]');
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.stop();
  });

  const pulses = () => page.evaluate(() => (window as unknown as { __vigilAudio: Pulse[] }).__vigilAudio);

  it('orders the ward by the most urgent alarm and shows a banner and a tab-title count', async () => {
    const order = await page.$$eval('#ward tbody tr', (rows) =>
      rows.map((r) => r.getAttribute('data-patient')),
    );
    expect(order.slice(0, 2)).toEqual(['p-fit', 'p-silent']);
    expect(await page.textContent('#alarm-banner')).toContain('2 unacknowledged alarms');
    expect(await page.getAttribute('#alarm-banner', 'class')).toContain('alarm-high');
    expect(await page.title()).toMatch(/^\(2\) Ward/);
    // a new alarm arrives live: it joins the count and moves its patient up
    await rt.broker.accept([raised('p-calm', 'tachy-1', 'tachycardia', 'medium')]);
    await page.waitForFunction(() => document.title.startsWith('(3)'), undefined, { timeout: 5000 });
    const after = await page.$$eval('#ward tbody tr', (rows) =>
      rows.map((r) => r.getAttribute('data-patient')),
    );
    expect(after[0]).toBe('p-fit');
    expect(after.slice(1, 3).sort()).toEqual(['p-calm', 'p-silent']);
    // colours: high red, medium yellow, each with at least 3:1 contrast
    // the steady colours: a flashing badge is read with its animation off, then the animation is put back
    const colours = await page.$$eval('#ward li[data-alert] .prio', (els) =>
      els.map((e) => {
        const el = e as HTMLElement;
        el.style.animation = 'none';
        const c = [el.textContent?.trim(), getComputedStyle(el).backgroundColor, getComputedStyle(el).color];
        el.style.animation = '';
        return c;
      }),
    );
    expect(colours).toContainEqual(['!!! High', 'rgb(185, 28, 28)', 'rgb(255, 255, 255)']);
    expect(colours).toContainEqual(['!! Medium', 'rgb(250, 204, 21)', 'rgb(0, 0, 0)']);
    const flash = await page.$eval(
      'li[data-alert="seizure-1"] .prio',
      (e) => getComputedStyle(e).animationDuration,
    );
    expect(flash).toBe('0.5s'); // 2 Hz
    // and the flash's other phase (half a period in, paused) keeps its text readable too
    for (const [id, steady] of [
      ['seizure-1', 'rgb(185, 28, 28)'],
      ['tachy-1', 'rgb(250, 204, 21)'],
    ] as const) {
      const [bg, fg] = await page.$eval(`li[data-alert="${id}"] .prio`, (e) => {
        const el = e as HTMLElement;
        const half = Number.parseFloat(getComputedStyle(el).animationDuration) / 2;
        el.style.animationDelay = `-${half}s`;
        el.style.animationPlayState = 'paused';
        const c = [getComputedStyle(el).backgroundColor, getComputedStyle(el).color];
        el.style.animationDelay = '';
        el.style.animationPlayState = '';
        return c;
      });
      expect(bg).not.toBe(steady);
      expect(contrast(bg!, fg!)).toBeGreaterThanOrEqual(3);
    }
  });

  it('sounds the 10-pulse high-priority burst, then only the medium one once the high alarm is acknowledged', async () => {
    await page.click('#audio-enable');
    await page.waitForFunction(
      () => (window as unknown as { __vigilAudio: unknown[] }).__vigilAudio.length >= 10,
      undefined,
      { timeout: 5000 },
    );
    const high = firstBurst(await pulses(), 'high');
    expect(high).toEqual(PATTERNS.high.starts);
    expect(high).toHaveLength(10);
    expect((await pulses()).every((p) => p.priority === 'high')).toBe(true);
    await page.click('li[data-alert="seizure-1"] button[data-ack]');
    await page.waitForFunction(
      () =>
        (window as unknown as { __vigilAudio: Pulse[] }).__vigilAudio.some((p) => p.priority === 'medium'),
      undefined,
      { timeout: 5000 },
    );
    const all = await pulses();
    expect(firstBurst(all, 'medium')).toEqual(PATTERNS.medium.starts);
    const firstMedium = all.findIndex((p) => p.priority === 'medium');
    expect(all.slice(firstMedium).every((p) => p.priority === 'medium')).toBe(true);
    expect(await page.title()).toMatch(/^\(2\) Ward/);
  });

  it('pauses audio for 2 minutes with a countdown, then sounds again', async () => {
    await page.click('#audio-pause');
    await page.waitForFunction(() => document.getElementById('audio-state')?.dataset.state === 'paused');
    expect(await page.textContent('#audio-state')).toMatch(/resumes in (2:00|1:59)/);
    const before = (await pulses()).length;
    await page.clock.fastForward(60_000);
    await page.waitForFunction(() =>
      /resumes in 1:0\d|resumes in 0:59/.test(document.getElementById('audio-state')?.textContent ?? ''),
    );
    await page.waitForTimeout(600);
    const during = await pulses();
    // nothing new scheduled while paused (a burst already under way may finish)
    expect(during.length - before).toBeLessThanOrEqual(PATTERNS.medium.starts.length);
    await page.clock.fastForward(61_000);
    await page.waitForFunction(
      () => document.getElementById('audio-state')?.dataset.state === 'on',
      undefined,
      {
        timeout: 5000,
      },
    );
    await page.waitForFunction(
      (n) => (window as unknown as { __vigilAudio: unknown[] }).__vigilAudio.length > n,
      during.length,
      { timeout: 5000 },
    );
  });

  it('shows "live data lost" after 5 s without the stream, greys the values, and marks no device offline', async () => {
    expect(await page.isVisible('#live-lost')).toBe(false);
    await page.route('**/api/stream**', (route) => route.abort());
    await page.reload();
    await page.waitForSelector('#live-status[data-state="down"]', { timeout: 5000 });
    expect(await page.isVisible('#live-lost')).toBe(false);
    await page.clock.fastForward(6_000);
    await page.waitForSelector('#live-lost', { state: 'visible', timeout: 5000 });
    expect(await page.textContent('#live-lost')).toContain('Live data lost');
    expect(await page.evaluate(() => document.body.classList.contains('live-lost'))).toBe(true);
    const online = await page.$$eval('.device', (els) => els.map((e) => e.classList.contains('online')));
    expect(online).toContain(true);
    await page.clock.fastForward(40_000);
    await page.waitForTimeout(300);
    expect(await page.$$eval('.device', (els) => els.map((e) => e.classList.contains('online')))).toEqual(
      online,
    );
    await page.unroute('**/api/stream**');
    await page.reload();
    await page.waitForSelector('#live-status[data-state="live"]', { timeout: 10_000 });
    expect(await page.isVisible('#live-lost')).toBe(false);
  });

  it('announces an escalated alarm again', async () => {
    await rt.broker.accept([raised('p-calm', 'seizure-2', 'seizure', 'high')]);
    await page.waitForSelector('li[data-alert="seizure-2"]', { timeout: 5000 });
    const now = new Date().toISOString();
    await rt.broker.accept([
      {
        specversion: '1.0',
        id: 'seizure-2.escalated',
        source: '/functions/technical-alarms',
        type: EVENT_TYPES.alertEscalated,
        subject: 'p-calm',
        time: now,
        datacontenttype: 'application/json',
        data: {
          alertId: 'seizure-2',
          patientId: 'p-calm',
          kind: 'seizure',
          priority: 'high',
          raisedAt: now,
          escalatedAt: now,
          unacknowledgedSeconds: 120,
        },
      },
    ]);
    await page.waitForSelector('li[data-alert="seizure-2"].escalated', { timeout: 5000 });
    await page.waitForFunction(
      () =>
        /Escalated: high seizure alarm, patient Calm Carla/.test(
          document.getElementById('announcer')?.textContent ?? '',
        ),
      undefined,
      { timeout: 5000 },
    );
  });
});

/** WCAG 2 contrast ratio of two computed `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const lum = (css: string) => {
    const [r, g, bl] = (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}
