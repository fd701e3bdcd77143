// `vigil simulate`: replays real EEG and heart-rate recordings as patients' devices against the
// ingest endpoint (the local runtime by default, or a cluster with --url and --token).

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/env.ts';
import { projectPath } from '../../config/project-root.ts';
import {
  type Credential,
  enrolSimulatedPatients,
  parseTokenFlag,
  readTokensFile,
} from '../../simulator/credentials.ts';
import {
  EEG_EXTENSIONS,
  type EegRecording,
  expandPaths,
  HR_EXTENSIONS,
  type HrRecording,
  loadEegFile,
  loadHrFile,
} from '../../simulator/recordings.ts';
import { runSimulation, type SimulationResult } from '../../simulator/simulate.ts';
import { type HeartRateLimits, limitsSchema } from '../../storage/limits-store.ts';
import { UsageError } from '../usage-error.ts';

export const DEMO_EEG_DIR = projectPath('data/demo/eeg');
export const DEMO_HR_DIR = projectPath('data/demo/heart-rate');
/** Played by patient 1 by default: the CHB-MIT excerpt with a seizure from second 1 on. */
/**
 * Played by patient 1 by default: a Bonn set-E (ictal) segment, which the model detects. The CHB-MIT
 * scalp seizure excerpt is not detected by the current model (models/seizure/model-card.md).
 */
const DEMO_EEG_FIRST = path.join('bonn', 'setE', 'S046.txt');
/** Played by patient 1 by default: the only BIDMC record above 130 bpm (t = 211-216 s). */
const DEMO_HR_FIRST = 'bidmc_25_Numerics.csv';
/**
 * No BIDMC record stays beyond the default 40/130 bpm limits for the monitor's sustain time
 * (bidmc_25 exceeds 130 for 6 s only), so with the default demo data the simulated patients are
 * enrolled with a clinician-style high limit of 120 bpm, which bidmc_25 exceeds from its first second.
 */
export const DEMO_LIMITS = { low: 40, high: 120 } as const;

const USAGE = `Usage: vigil simulate [options]

Replays real recordings as devices: EEG (Bonn .txt, EDF/EDF+ .edf) as org.vigil.eeg.chunk events,
heart rate (BIDMC numerics .csv) as org.vigil.heartrate.sample events, and Health Auto Export
.json bodies POSTed to /v1/health-auto-export in batches. Patient i plays EEG file i and heart-rate
file i (cycling through the lists).

Options:
  --patients N          simulated patients, one device token each (default 1, or the number of tokens)
  --speed X             recording seconds per wall second, or "max" (default 1 = real time)
  --duration SECONDS    stop after this wall time; recordings loop (default: play each recording once)
  --from SECONDS        start this far into every recording (default 0)
  --encoding json|binary  EEG chunk body: JSON or float32 LE octet-stream (default json)
  --chunk-seconds S     seconds of signal per EEG chunk / heart-rate event (default 1, at most 10)
  --eeg FILE|DIR        EEG recordings (repeatable; default data/demo/eeg, a Bonn seizure segment first)
  --hr FILE|DIR         heart-rate recordings (repeatable; default data/demo/heart-rate, bidmc_25 first)
  --no-eeg, --no-hr     leave that stream out
  --hae-batch N         Health Auto Export entries per request (default 100)
  --url URL             ingest URL of a cluster (default: the local runtime, VIGIL_INGEST_PORT)
  --token P:D:TOKEN     patientId:deviceId:token of one device (repeatable; with --url)
  --tokens-file FILE    JSON [{patientId, deviceId, token}] or one P:D:TOKEN per line
  --limits LOW:HIGH     heart-rate limits (bpm) set on the enrolled simulated patients
                        (default with the demo heart-rate data: 40:120, see data/demo/heart-rate/PROVENANCE.md)
  --json                print the final summary as JSON
  --help                this text

Without --url/--token the simulator enrols its patients (sim-001, sim-002, ...) and one simulator
device for each directly in local storage (VIGIL_DATA_DIR, DATABASE_URL), as \`vigil up\` uses them;
later runs reuse that device with a fresh token (the previous run's token stops working).
Exit code: 0 when every event was acknowledged, 1 on any error, 2 on bad flags or files.`;

/** Lets `--eeg a.edf b.txt` and `--hr a.csv b.csv` take several values: repeats the flag for each. */
export function expandMultiValueFlags(args: string[], flags: string[]): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const a of args) {
    if (a.startsWith('-')) {
      current = flags.includes(a) ? a : undefined;
      out.push(a);
      continue;
    }
    if (current && out[out.length - 1] !== current) out.push(current);
    out.push(a);
  }
  return out;
}

function positiveNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag}: expected a positive number, got ${JSON.stringify(value)}`);
  return n;
}

async function defaultFiles(dir: string, first: string, extensions: string[]): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true }))
      .filter((f) => extensions.includes(path.extname(f).toLowerCase()))
      .sort();
  } catch {
    throw new UsageError(`${dir}: demo recordings not found; pass files with --eeg / --hr`);
  }
  const ordered = names.includes(first) ? [first, ...names.filter((n) => n !== first)] : names;
  return ordered.map((n) => path.join(dir, n));
}

function parseLimits(value: string): HeartRateLimits {
  const m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(value);
  if (!m)
    throw new UsageError(`--limits: expected LOW:HIGH in bpm, e.g. 40:130, got ${JSON.stringify(value)}`);
  const limits = { low: Number(m[1]), high: Number(m[2]) };
  const checked = limitsSchema.safeParse(limits);
  if (!checked.success) throw new UsageError(`--limits: ${checked.error.issues[0]!.message}`);
  return limits;
}

function printSummary(r: SimulationResult, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const lines = [
    `patients ${r.patients}, streams ${r.streams}, ${r.elapsedS} s`,
    `events sent ${r.sent}, acknowledged ${r.acknowledged}, errors ${r.errors}, 503 retries ${r.retries503}`,
    `samples sent ${r.samplesSent}, ${r.eventsPerS} acknowledged events/s`,
    `ack latency ms: p50 ${r.latencyMs.p50}  p90 ${r.latencyMs.p90}  p99 ${r.latencyMs.p99}  max ${r.latencyMs.max}`,
    ...Object.entries(r.errorKinds).map(([k, n]) => `error ×${n}: ${k}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  const parse = (a: string[]) =>
    parseArgs({
      args: a,
      allowPositionals: false,
      options: {
        patients: { type: 'string' },
        speed: { type: 'string' },
        duration: { type: 'string' },
        from: { type: 'string' },
        encoding: { type: 'string' },
        'chunk-seconds': { type: 'string' },
        eeg: { type: 'string', multiple: true },
        hr: { type: 'string', multiple: true },
        'no-eeg': { type: 'boolean' },
        'no-hr': { type: 'boolean' },
        'hae-batch': { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string', multiple: true },
        'tokens-file': { type: 'string' },
        limits: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  try {
    parsed = parse(expandMultiValueFlags(args, ['--eeg', '--hr', '--token']));
  } catch (err) {
    process.stderr.write(`vigil simulate: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  let credentials: Credential[];
  let url: string;
  let eeg: EegRecording[] = [];
  let hr: HrRecording[] = [];
  let speed: number;
  let durationS: number | undefined;
  let chunkSeconds: number;
  let fromS: number;
  let haeBatch: number;
  const encoding = v.encoding ?? 'json';
  try {
    if (encoding !== 'json' && encoding !== 'binary')
      throw new UsageError(`--encoding: expected json or binary, got ${JSON.stringify(encoding)}`);
    speed = v.speed === 'max' ? Infinity : positiveNumber('--speed', v.speed, 1);
    durationS = v.duration === undefined ? undefined : positiveNumber('--duration', v.duration, 0);
    chunkSeconds = positiveNumber('--chunk-seconds', v['chunk-seconds'], 1);
    if (chunkSeconds > 10)
      throw new UsageError(`--chunk-seconds: at most 10 (the contract's chunk limit), got ${chunkSeconds}`);
    fromS = v.from === undefined ? 0 : Number(v.from);
    if (!Number.isFinite(fromS) || fromS < 0)
      throw new UsageError(`--from: expected seconds >= 0, got ${JSON.stringify(v.from)}`);
    haeBatch = positiveNumber('--hae-batch', v['hae-batch'], 100);
    if (!Number.isInteger(haeBatch))
      throw new UsageError(`--hae-batch: expected an integer, got ${v['hae-batch']}`);
    if (v.patients !== undefined && !/^[1-9]\d*$/.test(v.patients))
      throw new UsageError(`--patients: expected a positive integer, got ${JSON.stringify(v.patients)}`);
    if (v['no-eeg'] && v['no-hr'])
      throw new UsageError('--no-eeg and --no-hr together leave nothing to send');

    if (!v['no-eeg']) {
      const files = v.eeg
        ? await expandPaths(v.eeg, EEG_EXTENSIONS)
        : await defaultFiles(DEMO_EEG_DIR, DEMO_EEG_FIRST, EEG_EXTENSIONS);
      eeg = await Promise.all(files.map(loadEegFile));
    }
    if (!v['no-hr']) {
      const files = v.hr
        ? await expandPaths(v.hr, HR_EXTENSIONS)
        : await defaultFiles(DEMO_HR_DIR, DEMO_HR_FIRST, HR_EXTENSIONS);
      hr = await Promise.all(files.map(loadHrFile));
    }

    const given = [
      ...(v.token ?? []).map((t) => parseTokenFlag(t)),
      ...(v['tokens-file'] ? await readTokensFile(v['tokens-file']) : []),
    ];
    const patients = v.patients === undefined ? Math.max(1, given.length) : Number(v.patients);
    if (given.length > 0) {
      if (given.length < patients)
        throw new UsageError(
          `--patients ${patients} needs ${patients} tokens, got ${given.length} (--token/--tokens-file)`,
        );
      credentials = given.slice(0, patients);
      if (!v.url)
        throw new UsageError(
          '--token/--tokens-file need --url (without them the simulator enrols its own devices)',
        );
      if (v.limits)
        throw new UsageError('--limits applies to enrolled simulated patients only, not with --token');
      url = v.url;
    } else {
      if (v.url)
        throw new UsageError(
          '--url needs device tokens (--token or --tokens-file): the simulator enrols only in local storage',
        );
      // The same configuration `vigil up` reads, so the devices land in the runtime's storage.
      const cfg = loadConfig();
      if (cfg.VIGIL_INGEST_PORT === 0)
        throw new UsageError('VIGIL_INGEST_PORT is 0 (random); pass --url and --token');
      const host = !cfg.VIGIL_HOST || cfg.VIGIL_HOST === '0.0.0.0' ? '127.0.0.1' : cfg.VIGIL_HOST;
      url = `http://${host.includes(':') ? `[${host}]` : host}:${cfg.VIGIL_INGEST_PORT}`;
      const limits = v.limits ? parseLimits(v.limits) : !v.hr && !v['no-hr'] ? DEMO_LIMITS : undefined;
      if (limits && !v.limits)
        process.stderr.write(
          `vigil simulate: demo data: simulated patients get heart-rate limits ${limits.low}/${limits.high} bpm (--limits to change)\n`,
        );
      credentials = await enrolSimulatedPatients({
        dataDir: cfg.dataDir,
        databaseUrl: cfg.DATABASE_URL,
        count: patients,
        limits,
      });
    }
    new URL(url);
  } catch (err) {
    const msg =
      err instanceof TypeError && /Invalid URL/.test(err.message)
        ? `--url: not a URL`
        : (err as Error).message;
    process.stderr.write(`vigil simulate: ${msg}\n`);
    return 2;
  }

  for (const r of eeg)
    if (r.dropped.length > 0)
      process.stderr.write(
        `vigil simulate: ${r.file}: left out signals at another rate: ${r.dropped.join(', ')}\n`,
      );

  const tty = process.stderr.isTTY === true;
  let lastPrinted = 0;
  const result = await runSimulation({
    url,
    credentials,
    eeg,
    hr,
    speed,
    durationS,
    chunkSeconds,
    encoding,
    fromS,
    haeBatch,
    onProgress: (stats, elapsedS) => {
      if (tty) process.stderr.write(`\r\x1b[2K${stats.progressLine(elapsedS)}`);
      else if (elapsedS - lastPrinted >= 5) {
        lastPrinted = elapsedS;
        process.stderr.write(`${stats.progressLine(elapsedS)}\n`);
      }
    },
  });
  if (tty) process.stderr.write('\n');
  printSummary(result, v.json === true);
  return result.errors > 0 || result.acknowledged < result.sent ? 1 : 0;
}
