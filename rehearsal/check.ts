// `npm run rehearse -- --check`: what the rehearsal must show about the cluster path, each check a
// real request through the topology rehearsal/start.ts started (a test fixture, never production):
//  1. the image's CLI enrols a patient, a device, a user and an API token in the rehearsal's database;
//  2. deploy/smoke.ts, unchanged, passes for every function through its Service address;
//  3. deploy/e2e.ts, unchanged, passes through the public doors (ingest, dashboard);
//  4. a real seizure recording (Bonn S046, data/demo) sent through ingest gets a seizure prediction
//     per chunk and exactly one seizure alert, a re-sent chunk included;
//  5. the PingSource's event reaches technical-alarms;
//  6. under load (sustained tachycardia and seizure EEG from several devices), one seizure-detector
//     pod and every recorder pod are SIGKILLed; once the kubelet has restarted them and the broker is
//     idle, every event ingest acknowledged (202) is stored exactly once, with its samples or chunk
//     once, and no alert is raised twice; no event was dead-lettered or lost.
// Returns the failures (empty = every check held).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { childEnv } from '../config/env.ts';
import { dashboardGet, eventually, heartRateEvent, request, structured } from '../deploy/checks.ts';
import { EVENT_TYPES } from '../eventing/contract.ts';
import { recordingChunks } from '../functions/seizure-detector/preprocess.ts';
import { FUNCTION_TARGETS } from '../functions/targets.ts';
import { BONN_SAMPLE_RATE_HZ, parseBonnText } from '../recordings/bonn.ts';
import type { Db } from '../storage/db.ts';
import { openDb } from '../storage/open.ts';
import type { Pod } from './cluster/kubelet.ts';
import { type Enrolment, enrolWithCli } from './enrol.ts';
import { type Rehearsal, ROOT } from './start.ts';

type Log = (line: string) => void;

class CheckFailed extends Error {}

function tool(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], {
      cwd: ROOT,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b));
    p.stderr.on('data', (b: Buffer) => (out += b));
    p.on('exit', (code) => resolve({ code, out: out.trim() }));
  });
}

const smokeEnv = (who: Enrolment) => ({
  VIGIL_SMOKE_PATIENT_ID: who.patientId,
  VIGIL_SMOKE_DEVICE_ID: who.deviceId,
  VIGIL_SMOKE_DEVICE_TOKEN: who.deviceToken,
  VIGIL_SMOKE_API_TOKEN: who.apiToken,
});

async function checkSmoke(r: Rehearsal, who: Enrolment, log: Log): Promise<void> {
  for (const target of FUNCTION_TARGETS) {
    const res = await tool(
      'deploy/smoke.ts',
      ['--target', target, '--url', r.urls[target]!, '--dashboard-url', r.urls.dashboard!],
      smokeEnv(who),
    );
    if (res.code !== 0)
      throw new CheckFailed(`deploy/smoke.ts --target ${target} exited ${res.code}: ${res.out}`);
    log(
      `ok   deploy/smoke.ts --target ${target}: ${res.out
        .split('\n')
        .at(-1)
        ?.replace(/^ok\s+/, '')}`,
    );
  }
}

/**
 * e2e runs as its own test patient: the heart-rate rule ignores samples older than the newest it has
 * seen for a device (functions/heart-rate-monitor/rule.ts), so e2e's ten minutes of tachycardia ending
 * now raise nothing right after smoke.ts sent that device normal samples ending now. A cluster whose
 * deploy-function.yml and e2e.yml share one VIGIL_SMOKE_* patient has the same interplay.
 */
async function checkE2e(r: Rehearsal, log: Log): Promise<void> {
  const who = await enrolWithCli(r.image, r.cliEnv, 'e2e');
  const res = await tool(
    'deploy/e2e.ts',
    ['--ingest-url', r.urls.ingest!, '--dashboard-url', r.urls.dashboard!],
    smokeEnv(who),
  );
  if (res.code !== 0) throw new CheckFailed(`deploy/e2e.ts exited ${res.code}: ${res.out}`);
  log(
    `ok   deploy/e2e.ts: ${res.out.split('\n').length} checks passed (${res.out
      .split('\n')
      .at(-1)
      ?.replace(/^ok\s+/, '')})`,
  );
}

const bonnSeizure = () =>
  recordingChunks(
    parseBonnText(readFileSync(path.join(ROOT, 'data/demo/eeg/bonn/setE/S046.txt'), 'latin1'), 'S046'),
    BONN_SAMPLE_RATE_HZ,
  );

function eegEvent(who: Enrolment, id: string, startMs: number, samples: Float64Array) {
  return {
    specversion: '1.0',
    id,
    source: `/devices/${who.deviceId}`,
    type: EVENT_TYPES.eegChunk,
    subject: who.patientId,
    time: new Date(startMs).toISOString(),
    datacontenttype: 'application/json',
    data: {
      patientId: who.patientId,
      deviceId: who.deviceId,
      startTime: new Date(startMs).toISOString(),
      sampleRateHz: BONN_SAMPLE_RATE_HZ,
      channels: ['T5'],
      unit: 'uV',
      samples: [Array.from(samples)],
    },
  };
}

/** POSTs one event to ingest as the device; the HTTP status (0 when the request itself failed). */
async function send(ingest: string, who: Enrolment, event: Record<string, unknown>): Promise<number> {
  const { headers, body } = structured(event);
  try {
    const res = await request(`${ingest}/`, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${who.deviceToken}` },
      body,
    });
    return res.status;
  } catch {
    return 0;
  }
}

interface Alert {
  alertId: string;
  kind: string;
  status: string;
}

async function alertsOf(r: Rehearsal, api: string, patientId: string, kind: string): Promise<Alert[]> {
  const page = (await dashboardGet(
    r.urls.dashboard!,
    `/api/alerts?patient=${encodeURIComponent(patientId)}&kind=${kind}&limit=50`,
    api,
  )) as { items: Alert[] };
  return page.items;
}

async function checkSeizure(r: Rehearsal, admin: Enrolment, log: Log): Promise<void> {
  const who = await enrolWithCli(r.image, r.cliEnv, 'seizure');
  const chunks = bonnSeizure();
  const t0 = Date.now() - 5 * 60_000;
  const ids = chunks.map((_, i) => `sz-${who.patientId}-${i}`);
  let offset = 0;
  for (const [i, c] of chunks.entries()) {
    const status = await send(r.urls.ingest!, who, eegEvent(who, ids[i]!, t0 + offset, c));
    if (status !== 202) throw new CheckFailed(`ingest answered ${status} to seizure chunk ${i}`);
    offset += (c.length / BONN_SAMPLE_RATE_HZ) * 1000;
  }
  // The device re-sends its first chunk (a lost acknowledgement): still one alert.
  await send(r.urls.ingest!, who, eegEvent(who, ids[0]!, t0, chunks[0]!));
  const predictions = await eventually(
    'a seizure prediction for every chunk',
    async () => {
      const page = (await dashboardGet(
        r.urls.dashboard!,
        `/api/patients/${encodeURIComponent(who.patientId)}/predictions?from=${t0 - 60_000}`,
        admin.apiToken,
      )) as { items: Array<{ chunkEventId: string; label: string }> };
      return ids.every((id) => page.items.some((p) => p.chunkEventId === id)) ? page.items : undefined;
    },
    60_000,
  );
  const labels = ids.map((id) => predictions.find((p) => p.chunkEventId === id)!.label);
  if (!labels.every((l) => l === 'seizure'))
    throw new CheckFailed(`seizure recording labelled ${labels.join(', ')}`);
  const alerts = await eventually('a seizure alert', async () => {
    const a = await alertsOf(r, admin.apiToken, who.patientId, 'seizure');
    return a.length ? a : undefined;
  });
  await r.broker.idle();
  const settled = await alertsOf(r, admin.apiToken, who.patientId, 'seizure');
  if (settled.length !== 1 || alerts.length !== 1)
    throw new CheckFailed(`the seizure recording raised ${settled.length} seizure alerts, expected 1`);
  log(
    `ok   seizure recording S046: ${labels.length} chunks predicted seizure, exactly one seizure alert (${settled[0]!.alertId})`,
  );
}

async function checkPing(r: Rehearsal, log: Log): Promise<void> {
  for (const p of r.pingSources) {
    if (!(await p.fire())) throw new CheckFailed(`PingSource ${p.spec.name}: its sink refused the ping`);
    log(`ok   PingSource ${p.spec.name} (${p.spec.schedule}): technical-alarms accepted its ping`);
  }
}

interface Load {
  acked: Map<string, { source: string; kind: 'hr' | 'eeg'; samples: number }>;
  sent: number;
  refused: number;
  stop(): Promise<void>;
}

/** Closed-loop senders: tachycardia (185 bpm) from `hr` devices, the seizure recording from `eeg` ones. */
function startLoad(r: Rehearsal, hr: Enrolment[], eeg: Enrolment[]): Load {
  const acked: Load['acked'] = new Map();
  let stopped = false;
  const load: Load = { acked, sent: 0, refused: 0, stop: async () => {} };
  // Closed loops stamp time faster than it passes; ingest refuses samples ahead of its clock (#14), so
  // the replayed time starts a week back, more than any load here can use up.
  const base = Date.now() - 7 * 86_400_000;
  const chunks = bonnSeizure();
  const hrLoop = async (who: Enrolment) => {
    for (let n = 0; !stopped; n++) {
      // Five samples 5 s apart per event, each event right after the previous one.
      const ev = heartRateEvent(who, 185, 5, base + (n + 1) * 25_000);
      load.sent++;
      if ((await send(r.urls.ingest!, who, ev)) === 202)
        acked.set(ev.id, { source: ev.source, kind: 'hr', samples: 5 });
      else load.refused++;
    }
  };
  const eegLoop = async (who: Enrolment) => {
    let t = base;
    for (let n = 0; !stopped; n++) {
      const c = chunks[n % chunks.length]!;
      const ev = eegEvent(who, `load-${who.deviceId}-${n}`, t, c);
      t += (c.length / BONN_SAMPLE_RATE_HZ) * 1000;
      load.sent++;
      if ((await send(r.urls.ingest!, who, ev)) === 202)
        acked.set(ev.id, { source: ev.source, kind: 'eeg', samples: 0 });
      else load.refused++;
    }
  };
  const loops = [...hr.map(hrLoop), ...eeg.map(eegLoop)];
  load.stop = async () => {
    stopped = true;
    await Promise.all(loops);
  };
  return load;
}

const retriesOf = (r: Rehearsal) => Object.values(r.broker.stats()).reduce((n, t) => n + t.retries, 0);

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new CheckFailed(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function checkKillMidLoad(r: Rehearsal, admin: Enrolment, log: Log): Promise<void> {
  const hr = [
    await enrolWithCli(r.image, r.cliEnv, 'load-hr'),
    await enrolWithCli(r.image, r.cliEnv, 'load-hr'),
  ];
  const eeg = [
    await enrolWithCli(r.image, r.cliEnv, 'load-eeg'),
    await enrolWithCli(r.image, r.cliEnv, 'load-eeg'),
  ];
  const load = startLoad(r, hr, eeg);
  const victims = [
    r.pods.find((p) => p.spec.name === 'seizure-detector-0')!,
    ...r.pods.filter((p) => p.spec.name.startsWith('recorder-')),
  ];
  const restartsBefore = victims.map((p) => p.restarts);
  let retriesBefore = 0;
  try {
    await waitFor('150 acknowledged events before the kill', () => load.acked.size >= 150, 60_000);
    // Mid-load means mid-request: wait until the detector pod and a recorder pod hold deliveries.
    const held = (p: Pod) =>
      r.proxies.get(p.spec.name.replace(/-\d+$/, ''))!.endpoints.get(p.spec.name)!.inFlight;
    await waitFor(
      'deliveries in flight to the pods to kill',
      () => held(victims[0]!) > 0 && victims.slice(1).some((p) => held(p) > 0),
      20_000,
    );
    const inFlight = victims.map(held);
    retriesBefore = retriesOf(r);
    for (const p of victims) p.kill('SIGKILL');
    log(
      `     SIGKILLed ${victims.map((p, i) => `${p.spec.name} (${inFlight[i]} in flight)`).join(', ')} after ${load.acked.size} acknowledged events`,
    );
    await waitFor(
      'the killed pods restarted and ready',
      () => victims.every((p, i) => p.restarts > restartsBefore[i]! && p.ready),
      60_000,
    );
    // Load goes on a little with everything back, then stops.
    const until = load.acked.size + 100;
    await waitFor('100 more acknowledged events after the restart', () => load.acked.size >= until, 60_000);
  } finally {
    await load.stop();
  }
  log(
    `     ${load.acked.size} of ${load.sent} events acknowledged (${load.refused} refused); waiting for the broker`,
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    r.broker.idle(),
    new Promise((_, rej) => {
      timer = setTimeout(() => rej(new CheckFailed('the broker did not drain within 120 s')), 120_000);
    }),
  ]).finally(() => clearTimeout(timer));
  // The deliveries the killed pods held failed (503 from their Service) and were delivered again.
  const retried = retriesOf(r) - retriesBefore;
  if (retried < 1) throw new CheckFailed('no delivery was retried after the kill: the kill hit no request');
  log(`     the broker retried ${retried} deliveries after the kill`);
  const db = await openDb({
    dataDir: '/nonexistent',
    databaseUrl: r.databaseUrl,
    migrate: false,
    poolSize: 2,
  });
  try {
    await verifyStored(db, load, [...hr, ...eeg], log);
    await verifyAlerts(r, admin, hr, eeg, db, log);
  } finally {
    await db.close();
  }
  log(
    `ok   kill mid-load: pods restarted (${victims.map((p) => `${p.spec.name} ×${p.restarts}`).join(', ')}), every acknowledged event stored once, no alert raised twice`,
  );
}

async function verifyStored(db: Db, load: Load, devices: Enrolment[], log: Log): Promise<void> {
  const sources = devices.map((d) => `/devices/${d.deviceId}`);
  const marks = sources.map(() => '?').join(',');
  const rows = await db.all<{ source: string; id: string; n: number }>(
    `SELECT source, id, COUNT(*) AS n FROM events WHERE source IN (${marks}) GROUP BY source, id`,
    sources,
  );
  const stored = new Map(rows.map((x) => [`${x.source} ${x.id}`, Number(x.n)]));
  const lost = [...load.acked].filter(([id, a]) => !stored.has(`${a.source} ${id}`));
  const twice = [...stored].filter(([, n]) => n !== 1);
  if (lost.length)
    throw new CheckFailed(`${lost.length} acknowledged events are not stored, e.g. ${lost[0]![0]}`);
  if (twice.length)
    throw new CheckFailed(`${twice.length} events are stored more than once, e.g. ${twice[0]![0]}`);
  const hrIds = [...load.acked].filter(([, a]) => a.kind === 'hr').map(([id]) => id);
  const eegIds = [...load.acked].filter(([, a]) => a.kind === 'eeg').map(([id]) => id);
  const count = async (sql: string, ids: string[]) => {
    let n = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      n += Number(
        (await db.get<{ n: number }>(sql.replace('(?)', `(${part.map(() => '?').join(',')})`), part))?.n ?? 0,
      );
    }
    return n;
  };
  const samples = await count('SELECT COUNT(*) AS n FROM heart_rate_samples WHERE event_id IN (?)', hrIds);
  const chunks = await count('SELECT COUNT(*) AS n FROM eeg_chunks WHERE event_id IN (?)', eegIds);
  const predictions = await count(
    'SELECT COUNT(*) AS n FROM predictions WHERE chunk_event_id IN (?)',
    eegIds,
  );
  if (samples !== hrIds.length * 5)
    throw new CheckFailed(`${samples} heart-rate samples stored for ${hrIds.length} events of 5`);
  if (chunks !== eegIds.length)
    throw new CheckFailed(`${chunks} EEG chunks stored for ${eegIds.length} events`);
  if (predictions !== eegIds.length)
    throw new CheckFailed(`${predictions} predictions stored for ${eegIds.length} EEG chunks`);
  const dead = Number((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM dead_letters'))?.n ?? 0);
  if (dead) throw new CheckFailed(`${dead} events were dead-lettered`);
  log(
    `     stored once each: ${load.acked.size} events, ${samples} heart-rate samples, ${chunks} EEG chunks, ${predictions} predictions; 0 dead letters`,
  );
}

async function verifyAlerts(
  r: Rehearsal,
  admin: Enrolment,
  hr: Enrolment[],
  eeg: Enrolment[],
  db: Db,
  log: Log,
): Promise<void> {
  const expect = [...hr.map((w) => [w, 'tachycardia'] as const), ...eeg.map((w) => [w, 'seizure'] as const)];
  for (const [who, kind] of expect) {
    const alerts = await alertsOf(r, admin.apiToken, who.patientId, kind);
    if (alerts.length !== 1)
      throw new CheckFailed(`${kind} patient ${who.patientId}: ${alerts.length} alerts, expected 1`);
    const raised = await db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM alert_audit WHERE alert_id = ? AND action LIKE 'raised%'",
      [alerts[0]!.alertId],
    );
    if (Number(raised?.n) !== 1)
      throw new CheckFailed(`alert ${alerts[0]!.alertId} was raised ${raised?.n} times`);
  }
  const events = await db.all<{ id: string; n: number }>(
    `SELECT id, COUNT(*) AS n FROM events WHERE type = ? GROUP BY id HAVING COUNT(*) > 1`,
    [EVENT_TYPES.alertRaised],
  );
  if (events.length)
    throw new CheckFailed(`alert.raised event ${events[0]!.id} stored ${events[0]!.n} times`);
  log(`     one alert each: ${hr.length} tachycardia, ${eeg.length} seizure; each raised once in the audit`);
}

export async function runChecks(r: Rehearsal, log: Log): Promise<string[]> {
  const failures: string[] = [];
  const step = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      const msg = `${name}: ${(e as Error).message}`;
      failures.push(msg);
      log(`FAIL ${msg}`);
    }
  };
  let admin: Enrolment | undefined;
  await step('enrolment', async () => {
    admin = await enrolWithCli(r.image, r.cliEnv, 'check');
    log(
      `ok   the image's CLI enrolled ${admin.patientId}, its device, user ${admin.username} and an API token`,
    );
  });
  if (!admin) return failures;
  const who = admin;
  await step('smoke', () => checkSmoke(r, who, log));
  await step('e2e', () => checkE2e(r, log));
  await step('seizure', () => checkSeizure(r, who, log));
  await step('pingsource', () => checkPing(r, log));
  await step('kill mid-load', () => checkKillMidLoad(r, who, log));
  const lost = r.broker.lost();
  const pingFailures = r.pingSources.reduce((n, p) => n + p.failed, 0);
  if (lost) failures.push(`broker: ${lost} events lost`);
  if (pingFailures) failures.push(`PingSource: ${pingFailures} pings refused`);
  log(`     broker: ${r.broker.accepted} events in, ${JSON.stringify(r.broker.stats())}`);
  return failures;
}
