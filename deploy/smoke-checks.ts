// What the smoke test checks per function: a real event posted to the candidate revision and its
// effect (reply event, stored rows via the dashboard API). CLI: deploy/smoke.ts.
import { randomUUID } from 'node:crypto';
import { EVENT_TYPES, eegPredictionData } from '../eventing/contract.ts';
import type { FunctionTarget } from '../functions/targets.ts';
import {
  CheckFailed,
  type DeviceIdentity,
  dashboardGet,
  eegChunkEvent,
  eventually,
  expectStatus,
  heartRateEvent,
  type Response,
  request,
  storedHeartRate,
  structured,
} from './checks.ts';

export interface SmokeOptions {
  target: FunctionTarget;
  url: string;
  dashboardUrl?: string;
  connectTo?: string;
  who: DeviceIdentity;
  deviceToken?: string;
  apiToken?: string;
  log?: (line: string) => void;
}

/** The reply event of a CloudEvents HTTP response (binary or structured mode), if any. */
export function replyEvent(res: Response): { type: string; id: string; data: unknown } | undefined {
  const ceType = res.headers['ce-type'];
  if (typeof ceType === 'string')
    return {
      type: ceType,
      id: String(res.headers['ce-id'] ?? ''),
      data: res.body ? JSON.parse(res.body) : undefined,
    };
  if (String(res.headers['content-type'] ?? '').startsWith('application/cloudevents+json')) {
    const e = JSON.parse(res.body) as { type: string; id: string; data: unknown };
    return { type: e.type, id: e.id, data: e.data };
  }
  return undefined;
}

async function post(
  url: string,
  event: Record<string, unknown>,
  o: SmokeOptions,
  auth?: string,
): Promise<Response> {
  const { headers, body } = structured(event);
  return request(url, {
    method: 'POST',
    headers: auth ? { ...headers, authorization: `Bearer ${auth}` } : headers,
    body,
    connectTo: o.connectTo,
  });
}

export async function smoke(o: SmokeOptions): Promise<void> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const base = o.url.replace(/\/$/, '');
  const health = await request(`${base}/healthz`, { connectTo: o.connectTo });
  expectStatus(health, [200], `${o.target} GET /healthz`);
  log(`ok   ${o.target} /healthz 200`);
  const started = Date.now() - 60_000;

  switch (o.target) {
    case 'ingest': {
      if (!o.deviceToken) throw new CheckFailed('VIGIL_SMOKE_DEVICE_TOKEN is required for ingest');
      const ev = heartRateEvent(o.who, 72, 3);
      expectStatus(await post(`${base}/`, ev, o, o.deviceToken), [202], 'ingest POST heart-rate sample');
      log('ok   ingest accepted a heart-rate sample (202)');
      if (o.dashboardUrl && o.apiToken) {
        const times = ev.data.samples.map((s) => s.time);
        await eventually('heart-rate sample stored', () =>
          storedHeartRate(o.dashboardUrl!, o.apiToken!, o.who.patientId, times, started, o.connectTo),
        );
        log('ok   the sample reached storage (dashboard API)');
      }
      return;
    }
    case 'dashboard': {
      if (!o.apiToken) throw new CheckFailed('VIGIL_SMOKE_API_TOKEN is required for dashboard');
      const page = (await dashboardGet(
        base,
        `/api/patients/${encodeURIComponent(o.who.patientId)}/heart-rate`,
        o.apiToken,
        o.connectTo,
      )) as { items?: unknown };
      if (!Array.isArray(page.items)) throw new CheckFailed('dashboard heart-rate API: no items array');
      log(`ok   dashboard API answered with ${page.items.length} heart-rate points`);
      return;
    }
    case 'seizure-detector': {
      const ev = eegChunkEvent(o.who);
      const res = await post(`${base}/`, ev, o);
      expectStatus(res, [200], 'seizure-detector POST EEG chunk');
      const reply = replyEvent(res);
      if (reply?.type !== EVENT_TYPES.eegPrediction)
        throw new CheckFailed(
          `seizure-detector replied ${reply?.type ?? 'nothing'}, expected ${EVENT_TYPES.eegPrediction}`,
        );
      const data = eegPredictionData.safeParse(reply.data);
      if (!data.success) throw new CheckFailed(`prediction data invalid: ${data.error.issues[0]?.message}`);
      if (data.data.chunkEventId !== ev.id) throw new CheckFailed('prediction names another chunk');
      log(`ok   seizure-detector predicted ${data.data.label} (p=${data.data.chunkProbability.toFixed(3)})`);
      return;
    }
    case 'heart-rate-monitor': {
      const res = await post(`${base}/`, heartRateEvent(o.who, 72, 12), o);
      expectStatus(res, [200, 202, 204], 'heart-rate-monitor POST heart-rate sample');
      const reply = res.status === 200 ? replyEvent(res) : undefined;
      if (reply && reply.type === EVENT_TYPES.heartRateSample)
        throw new CheckFailed('heart-rate-monitor replied with its input type (the broker would loop)');
      if (reply?.type === EVENT_TYPES.alertRaised)
        throw new CheckFailed('heart-rate-monitor raised an alert for a steady 72 bpm');
      log(`ok   heart-rate-monitor handled a normal sample (${res.status}, no alert)`);
      return;
    }
    case 'recorder': {
      if (!o.dashboardUrl || !o.apiToken)
        throw new CheckFailed('recorder needs --dashboard-url and VIGIL_SMOKE_API_TOKEN to verify storage');
      const ev = heartRateEvent(o.who, 73, 3);
      expectStatus(await post(`${base}/`, ev, o), [200, 202, 204], 'recorder POST heart-rate sample');
      const times = ev.data.samples.map((s) => s.time);
      await eventually('recorded sample visible', () =>
        storedHeartRate(o.dashboardUrl!, o.apiToken!, o.who.patientId, times, started, o.connectTo),
      );
      log('ok   recorder stored the sample (dashboard API)');
      return;
    }
    case 'technical-alarms': {
      const ev = {
        specversion: '1.0',
        id: `smoke-${randomUUID()}`,
        source: '/deploy/smoke',
        type: EVENT_TYPES.technicalCheck,
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: {},
      };
      const res = await post(`${base}/`, ev, o);
      expectStatus(res, [200, 202, 204], 'technical-alarms POST technical check');
      const reply = res.status === 200 ? replyEvent(res) : undefined;
      if (reply?.type === EVENT_TYPES.technicalCheck)
        throw new CheckFailed('technical-alarms replied with its input type');
      log(`ok   technical-alarms ran a check (${res.status})`);
      return;
    }
  }
}
