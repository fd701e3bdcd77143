// Rows/s of the storage layer alone (no HTTP, no broker), in this process, on a fresh SQLite database in a
// temp dir and/or a throw-away MariaDB database (storage/testing.ts):
//  a. the recorder's recordEvents() with batches of real 23 × 256 EEG chunks → chunks/s;
//  b. recordEvents() with heart-rate events of 100 samples → samples/s;
//  c. raw insertRows() of heart-rate rows, 1000-row statements vs one INSERT per row, each statement in
//     autocommit (DESIGN.md §6 says ~30k vs ~3k rows/s on MariaDB).
// recordEvents runs inside a durable transaction, as it does in the runtime (the broker's accepting
// transaction, tx({durable: true})). Each part runs for --seconds (default 5). Exit code 1 if a threshold fails.
// Usage: npx tsx perf/bench-storage.ts [--backend sqlite|mysql|both] [--seconds S]
import { parseArgs } from 'node:util';
import { EVENT_TYPES } from '../eventing/contract.ts';
import type { VigilEvent } from '../eventing/event.ts';
import { recordEvents } from '../functions/recorder/index.ts';
import { loadEegFile } from '../simulator/recordings.ts';
import type { Db, SqlValue } from '../storage/db.ts';
import { insertRows, insertSql } from '../storage/sql.ts';
import { HR_COLS } from '../storage/telemetry-store.ts';
import { testBackends } from '../storage/testing.ts';
import { DEMO_EDF } from './payloads.ts';
import { allPassed, type BenchReport, printReport } from './report.ts';
import { checkThresholds } from './scenario.ts';

export type StorageBackend = 'sqlite' | 'mysql';

const EEG_BATCH = 64;
const HR_SAMPLES_PER_EVENT = 100;
const HR_EVENTS_PER_BATCH = 10;
const MULTI_ROWS = 1000;
const T0 = Date.now() - 30 * 86_400_000;

/** Calls `step` (which returns rows written) until `seconds` have passed; rows per second. */
async function timed(
  seconds: number,
  step: (i: number) => Promise<number>,
): Promise<{ rows: number; perS: number }> {
  const start = performance.now();
  let rows = 0;
  for (let i = 0; performance.now() - start < seconds * 1000; i++) rows += await step(i);
  return { rows, perS: rows / ((performance.now() - start) / 1000) };
}

async function eegEvents(): Promise<(n: number) => VigilEvent> {
  const rec = await loadEegFile(DEMO_EDF);
  const n = Math.round(rec.sampleRateHz);
  // Chunk 5 of the demo excerpt, as the number[][] the contract parses a JSON chunk into.
  const samples = rec.samples.map((ch) => Array.from(ch.subarray(5 * n, 6 * n)));
  return (i) => ({
    specversion: '1.0',
    id: `eeg-${i}`,
    source: '/devices/dev-eeg',
    type: EVENT_TYPES.eegChunk,
    subject: 'bench-1',
    time: new Date(T0 + i * 1000).toISOString(),
    datacontenttype: 'application/json',
    data: {
      patientId: 'bench-1',
      deviceId: 'dev-eeg',
      startTime: new Date(T0 + i * 1000).toISOString(),
      sampleRateHz: rec.sampleRateHz,
      channels: rec.channels,
      unit: 'uV',
      samples,
    },
  });
}

function hrEvent(i: number): VigilEvent {
  const t0 = T0 + i * HR_SAMPLES_PER_EVENT * 1000;
  return {
    specversion: '1.0',
    id: `hr-${i}`,
    source: '/devices/dev-hr',
    type: EVENT_TYPES.heartRateSample,
    subject: 'bench-1',
    time: new Date(t0).toISOString(),
    datacontenttype: 'application/json',
    data: {
      patientId: 'bench-1',
      deviceId: 'dev-hr',
      source: 'bench',
      samples: Array.from({ length: HR_SAMPLES_PER_EVENT }, (_, k) => ({
        time: new Date(t0 + k * 1000).toISOString(),
        bpm: 70 + (k % 10),
      })),
    },
  };
}

function hrRow(deviceId: string, i: number): SqlValue[] {
  return [
    'bench-1',
    deviceId,
    T0 + i * 1000,
    70 + (i % 10),
    null,
    null,
    'bench',
    `/devices/${deviceId}`,
    `e-${i}`,
    0,
  ];
}

export async function benchStorageOn(backend: StorageBackend, seconds = 5): Promise<BenchReport> {
  const db: Db = await testBackends.find((b) => b.name === backend)!.open();
  try {
    const eeg = await eegEvents();
    const durable = (events: VigilEvent[]) =>
      db.tx((tx) => recordEvents(tx, events, Date.now()), { durable: true });

    const a = await timed(seconds, async (i) => {
      const batch = Array.from({ length: EEG_BATCH }, (_, k) => eeg(i * EEG_BATCH + k));
      await durable(batch);
      return EEG_BATCH;
    });
    const b = await timed(seconds, async (i) => {
      await durable(
        Array.from({ length: HR_EVENTS_PER_BATCH }, (_, k) => hrEvent(i * HR_EVENTS_PER_BATCH + k)),
      );
      return HR_EVENTS_PER_BATCH * HR_SAMPLES_PER_EVENT;
    });
    const multi = await timed(seconds, async (i) => {
      const rows = Array.from({ length: MULTI_ROWS }, (_, k) => hrRow('dev-multi', i * MULTI_ROWS + k));
      return insertRows(db, 'heart_rate_samples', HR_COLS, rows, { ignoreDuplicates: false });
    });
    const one = insertSql('heart_rate_samples', HR_COLS, 1);
    const single = await timed(seconds, async (i) => (await db.run(one, hrRow('dev-single', i))).changes);

    const stored = async (sql: string) => Number((await db.get<{ n: number | string }>(sql))?.n ?? 0);
    const eegRows = await stored('SELECT COUNT(*) AS n FROM eeg_chunks');
    const hrRows = await stored("SELECT COUNT(*) AS n FROM heart_rate_samples WHERE device_id = 'dev-hr'");
    return {
      bench: `storage (${backend}): storage layer alone, no HTTP, ${seconds} s per part`,
      figures: {
        [`recorder: EEG chunks/s (23 × 256, ${EEG_BATCH} per durable transaction)`]: a.perS,
        [`recorder: heart-rate samples/s (${HR_EVENTS_PER_BATCH} events × ${HR_SAMPLES_PER_EVENT} samples per durable transaction)`]:
          b.perS,
        [`insertRows: heart-rate rows/s, ${MULTI_ROWS}-row statements, autocommit`]: multi.perS,
        'one INSERT per heart-rate row, autocommit: rows/s': single.perS,
        'multi-row / one-per-row': multi.perS / single.perS,
        'rows checked in storage (eeg_chunks, heart_rate_samples of b)': `${eegRows} of ${a.rows}, ${hrRows} of ${b.rows}`,
      },
      // The storage layer alone must at least carry DESIGN.md §5's end-to-end ingest bars.
      thresholds: checkThresholds(
        { eeg_chunks_per_s: ['value>=2000'], hr_samples_per_s: ['value>=20000'], rows_lost: ['count==0'] },
        {
          eeg_chunks_per_s: { value: a.perS },
          hr_samples_per_s: { value: b.perS },
          rows_lost: { count: a.rows - eegRows + (b.rows - hrRows) },
        },
      ),
    };
  } finally {
    await db.close();
  }
}

export async function benchStorage(backends: StorageBackend[], seconds = 5): Promise<BenchReport[]> {
  const out: BenchReport[] = [];
  for (const b of backends) out.push(await benchStorageOn(b, seconds));
  return out;
}

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { backend: { type: 'string', default: 'both' }, seconds: { type: 'string', default: '5' } },
  });
  const backends: StorageBackend[] =
    values.backend === 'both' ? ['sqlite', 'mysql'] : [values.backend as StorageBackend];
  if (!backends.every((b) => b === 'sqlite' || b === 'mysql'))
    throw new Error(`--backend: sqlite, mysql or both, got ${values.backend}`);
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds: seconds > 0, got ${values.seconds}`);
  const reports: BenchReport[] = [];
  for (const b of backends) {
    const rep = await benchStorageOn(b, seconds);
    printReport(rep);
    reports.push(rep);
  }
  return allPassed(reports) ? 0 : 1;
}

if (process.argv[1] === import.meta.filename) process.exitCode = await main(process.argv.slice(2));
