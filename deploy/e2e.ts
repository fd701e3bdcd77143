// Daily end-to-end check of the deployed system through its public doors only: a device posts EEG and
// a sustained tachycardia to ingest; the dashboard API must then show the stored samples, a prediction
// for the chunk and a tachycardia alert. Run by .github/workflows/e2e.yml.
//
//   npx tsx deploy/e2e.ts --ingest-url https://ingest.healthcare-cluster.com --dashboard-url https://healthcare-cluster.com [--connect-to IP]
//
// Environment: VIGIL_SMOKE_PATIENT_ID, VIGIL_SMOKE_DEVICE_ID, VIGIL_SMOKE_DEVICE_TOKEN, VIGIL_SMOKE_API_TOKEN.
// Exit code 0 = passed, 1 = a check failed, 2 = usage error.
import { parseArgs } from 'node:util';
import {
  dashboardGet,
  eegChunkEvent,
  env,
  eventually,
  expectStatus,
  heartRateEvent,
  request,
  storedHeartRate,
  structured,
} from './checks.ts';

export interface E2eOptions {
  ingestUrl: string;
  dashboardUrl: string;
  connectTo?: string;
  patientId: string;
  deviceId: string;
  deviceToken: string;
  apiToken: string;
  log?: (line: string) => void;
}

export async function e2e(o: E2eOptions): Promise<void> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const who = { patientId: o.patientId, deviceId: o.deviceId };
  const started = Date.now();
  const send = async (event: Record<string, unknown>, what: string) => {
    const { headers, body } = structured(event);
    const res = await request(`${o.ingestUrl.replace(/\/$/, '')}/`, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${o.deviceToken}` },
      body,
      connectTo: o.connectTo,
    });
    expectStatus(res, [202], `ingest ${what}`);
    log(`ok   ingest accepted ${what}`);
  };

  const chunk = eegChunkEvent(who, started);
  await send(chunk, 'an EEG chunk');
  // 10 minutes of 185 bpm: well past any sustained-tachycardia rule.
  const hr = heartRateEvent(who, 185, 120, started);
  await send(hr, 'a sustained tachycardia');

  const since = started - 11 * 60_000;
  const q = `/api/patients/${encodeURIComponent(o.patientId)}`;
  await eventually(
    'heart-rate samples stored',
    () =>
      storedHeartRate(
        o.dashboardUrl,
        o.apiToken,
        o.patientId,
        hr.data.samples.map((s) => s.time),
        since,
        o.connectTo,
      ),
    120_000,
  );
  log('ok   all 120 heart-rate samples are stored');

  await eventually(
    'prediction for the EEG chunk',
    async () => {
      const page = (await dashboardGet(
        o.dashboardUrl,
        `${q}/predictions?from=${since}`,
        o.apiToken,
        o.connectTo,
      )) as {
        items: Array<{ chunkEventId?: string; label?: string }>;
      };
      return page.items.find((p) => p.chunkEventId === chunk.id);
    },
    120_000,
  );
  log('ok   the EEG chunk has a stored prediction');

  await eventually(
    'tachycardia alert',
    async () => {
      const page = (await dashboardGet(
        o.dashboardUrl,
        `/api/alerts?patient=${encodeURIComponent(o.patientId)}&kind=tachycardia&limit=20`,
        o.apiToken,
        o.connectTo,
      )) as { items: Array<{ raisedAt: string | null; updatedAt?: string | null }> };
      return page.items.find((a) => Date.parse(a.updatedAt ?? a.raisedAt ?? '') >= started - 60_000);
    },
    120_000,
  );
  log('ok   a tachycardia alert was raised');
}

async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'ingest-url': { type: 'string' },
        'dashboard-url': { type: 'string' },
        'connect-to': { type: 'string' },
      },
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  if (!values['ingest-url'] || !values['dashboard-url']) {
    process.stderr.write('--ingest-url and --dashboard-url are required\n');
    return 2;
  }
  try {
    await e2e({
      ingestUrl: values['ingest-url'],
      dashboardUrl: values['dashboard-url'],
      connectTo: values['connect-to'],
      patientId: env('VIGIL_SMOKE_PATIENT_ID'),
      deviceId: env('VIGIL_SMOKE_DEVICE_ID'),
      deviceToken: env('VIGIL_SMOKE_DEVICE_TOKEN'),
      apiToken: env('VIGIL_SMOKE_API_TOKEN'),
    });
    return 0;
  } catch (e) {
    process.stderr.write(`FAIL e2e: ${(e as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1]?.endsWith('e2e.ts')) process.exitCode = await main(process.argv.slice(2));
