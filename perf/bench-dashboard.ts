// Device → dashboard latency: N patients each post one heart-rate sample per second to ingest of the
// embedded runtime (SQLite), C clients hold /api/stream open; we measure, per SSE delivery, the time
// from just before the device's POST to the moment the client parsed the event. Also ingest
// acknowledgement p99 without and with the C open dashboards.
// Run: npx tsx perf/bench-dashboard.ts [--patients 100] [--clients 50] [--seconds 10] [--direct]
// Everything (runtime, devices, clients) shares this one process and the machine's cores, so the
// figures are pessimistic compared with a dashboard on its own replica.
import { parseArgs } from 'node:util';
import { recordEvents } from '../functions/recorder/index.ts';
import { addPatient, enrollDevice } from '../storage/patients-store.ts';
import { createApiToken, createUser } from '../storage/users-store.ts';
import { startDashboardRuntime } from './dashboard-runtime.ts';
import { percentile } from './percentile.ts';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '100' },
    clients: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    /** Write through the recorder directly (no ingest/broker): isolates storage → screen. */
    direct: { type: 'boolean', default: false },
  },
});
const PATIENTS = Number(values.patients);
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);

const pct = (xs: number[], p: number) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    p,
  );

const { rt, secret, stop: stopRuntime } = await startDashboardRuntime('vigil-bench-dash-');
const user = await createUser(rt.db, secret, {
  username: 'bench',
  password: 'bench-password-1',
  role: 'clinician',
});
const { token } = await createApiToken(rt.db, secret, { userId: user.id, label: 'bench' });
const devices: Array<{ patientId: string; deviceId: string; token: string }> = [];
for (let i = 0; i < PATIENTS; i++) {
  const id = `bench-${i}`;
  await addPatient(rt.db, { id, name: `Bench ${i}` });
  devices.push(await enrollDevice(rt.db, { patientId: id, kind: 'bench' }));
}

/** Send times by event id, so a client can compute latency on receipt. */
const sentAt = new Map<string, number>();
const latencies: number[] = [];
let seqCounter = 0;

async function post(d: (typeof devices)[number], ackTimes: number[]): Promise<void> {
  const id = `hr-${d.deviceId}-${seqCounter++}`;
  const t = Date.now();
  sentAt.set(id, t);
  const event = {
    specversion: '1.0' as const,
    id,
    source: `/devices/${d.deviceId}`,
    type: 'org.vigil.heartrate.sample',
    subject: d.patientId,
    time: new Date(t).toISOString(),
    datacontenttype: 'application/json',
    data: {
      patientId: d.patientId,
      deviceId: d.deviceId,
      source: 'bench',
      samples: [{ time: new Date(t).toISOString(), bpm: 70 }],
    },
  };
  if (values.direct) {
    await recordEvents(rt.db, [event], Date.now());
    ackTimes.push(Date.now() - t);
    return;
  }
  const res = await fetch(rt.ingestUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${d.token}` },
    body: JSON.stringify(event),
  });
  await res.arrayBuffer();
  ackTimes.push(Date.now() - t);
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}`);
}

/** Each device posts once per second, spread evenly over the second. */
async function load(seconds: number): Promise<number[]> {
  const acks: number[] = [];
  const pending: Promise<void>[] = [];
  const start = Date.now();
  for (let s = 0; s < seconds; s++)
    for (let i = 0; i < devices.length; i++) {
      const due = start + s * 1000 + (i * 1000) / devices.length;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(post(devices[i]!, acks));
    }
  await Promise.all(pending);
  await rt.idle();
  return acks;
}

async function openClient(stop: AbortSignal): Promise<void> {
  const res = await fetch(`${rt.dashboardUrl}/api/stream`, {
    headers: { authorization: `Bearer ${token}` },
    signal: stop,
  });
  if (res.status !== 200) throw new Error(`stream answered ${res.status}`);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += dec.decode(value, { stream: true });
        let i = buf.indexOf('\n\n');
        while (i >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (frame.startsWith('event: heart-rate')) {
            const now = Date.now();
            const m = /"samples":\[\{"time":"([^"]+)"/.exec(frame);
            const idm = /hr-dev-[0-9a-f]+-\d+/.exec(frame);
            const t0 = idm ? sentAt.get(idm[0]) : undefined;
            if (t0 !== undefined) latencies.push(now - t0);
            else if (m) latencies.push(now - Date.parse(m[1]!));
          }
          i = buf.indexOf('\n\n');
        }
      }
    } catch {
      // aborted at the end of the run
    }
  })();
}

console.log(
  `patients=${PATIENTS} (1 heart-rate sample/s each, ${values.direct ? 'written by the recorder directly' : 'posted to ingest'}), clients=${CLIENTS}, seconds=${SECONDS}`,
);
const baseline = await load(SECONDS);
console.log(
  `${values.direct ? 'recorder write' : 'ingest ack'} without dashboards: n=${baseline.length} p50=${pct(baseline, 50)} ms p99=${pct(baseline, 99)} ms`,
);

const stop = new AbortController();
for (let c = 0; c < CLIENTS; c++) await openClient(stop.signal);
await new Promise((r) => setTimeout(r, 500));
const acks = await load(SECONDS);
await new Promise((r) => setTimeout(r, 1500)); // let the last events reach every client
stop.abort();
console.log(
  `${values.direct ? 'recorder write' : 'ingest ack'} with ${CLIENTS} dashboards: n=${acks.length} p50=${pct(acks, 50)} ms p99=${pct(acks, 99)} ms`,
);
const expected = acks.length * CLIENTS;
console.log(
  `device→SSE latency over ${latencies.length}/${expected} deliveries: p50=${pct(latencies, 50)} ms p99=${pct(latencies, 99)} ms max=${Math.max(...latencies)} ms`,
);
await stopRuntime();
process.exit(0);
