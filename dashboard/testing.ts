// Test helpers: users with known passwords, signing in through the real login form, events stored
// through the real recorder.
import { EVENT_TYPES } from '../eventing/contract.ts';
import type { VigilEvent } from '../eventing/event.ts';
import { recordEvents } from '../functions/recorder/index.ts';
import type { Db } from '../storage/db.ts';
import { createApiToken, createUser, type Role, resolveSecret } from '../storage/users-store.ts';

export const PASSWORD = 'correct-horse-battery';

/** Debian's Chromium as the browser tests and the screenshot script start it (playwright-core). */
export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
};

export interface Fetcher {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
}

export interface Login {
  cookie: string;
  csrf: string;
}

export async function addUser(db: Db, username: string, role: Role): Promise<{ token: string }> {
  const secret = await resolveSecret(db);
  const u = await createUser(db, secret, { username, password: PASSWORD, role });
  return createApiToken(db, secret, { userId: u.id, label: 'test', scope: 'read-write' });
}

/** Signs in through GET+POST /login like a browser; returns the session cookie and CSRF token. */
export async function login(app: Fetcher, username: string, password = PASSWORD): Promise<Login> {
  const form = await app.request('/login', { headers: { accept: 'text/html' } });
  const pre = (form.headers.get('set-cookie') ?? '').split(';')[0]!;
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const res = await app.request('/login', {
    method: 'POST',
    headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password, _csrf: token, next: '/' }).toString(),
  });
  if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const page = await app.request('/', { headers: { cookie, accept: 'text/html' } });
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  return { cookie, csrf };
}

export function heartRateEvent(
  patientId: string,
  deviceId: string,
  id: string,
  samples: Array<[number, number]>,
): VigilEvent {
  return {
    specversion: '1.0',
    id,
    source: `/devices/${deviceId}`,
    type: EVENT_TYPES.heartRateSample,
    subject: patientId,
    time: new Date(samples[0]![0]).toISOString(),
    datacontenttype: 'application/json',
    data: {
      patientId,
      deviceId,
      source: 'test',
      samples: samples.map(([t, bpm]) => ({ time: new Date(t).toISOString(), bpm })),
    },
  };
}

/** An alert.raised as the function that owns `kind` would send it; device-* kinds are technical alarms. */
export function alertEvent(
  patientId: string,
  alertId: string,
  at: number,
  kind = 'seizure',
  opts: { priority?: string; severity?: string; evidence?: Record<string, unknown> } = {},
): VigilEvent {
  const technical = kind.startsWith('device-');
  const owner = technical
    ? 'technical-alarms'
    : kind === 'seizure'
      ? 'seizure-detector'
      : 'heart-rate-monitor';
  return {
    specversion: '1.0',
    id: `${alertId}.raised`,
    source: `/functions/${owner}`,
    type: EVENT_TYPES.alertRaised,
    subject: patientId,
    time: new Date(at).toISOString(),
    datacontenttype: 'application/json',
    data: {
      alertId,
      patientId,
      kind,
      category: technical ? 'technical' : 'patient',
      severity: opts.severity ?? 'critical',
      ...(opts.priority ? { priority: opts.priority } : {}),
      evidence: opts.evidence ?? { probability: 0.97 },
      raisedAt: new Date(at).toISOString(),
    },
  };
}

export function eegEvent(
  patientId: string,
  deviceId: string,
  id: string,
  start: number,
  channels: string[],
  hz: number,
): VigilEvent {
  return {
    specversion: '1.0',
    id,
    source: `/devices/${deviceId}`,
    type: EVENT_TYPES.eegChunk,
    subject: patientId,
    time: new Date(start).toISOString(),
    datacontenttype: 'application/json',
    data: {
      patientId,
      deviceId,
      startTime: new Date(start).toISOString(),
      sampleRateHz: hz,
      channels,
      unit: 'uV',
      samples: channels.map((_, c) =>
        Array.from({ length: hz }, (_, i) => Math.round(50 * Math.sin((2 * Math.PI * (c + 1) * i) / hz))),
      ),
    },
  };
}

export async function store(db: Db, events: VigilEvent[], now = Date.now()): Promise<void> {
  await recordEvents(db, events, now);
}
