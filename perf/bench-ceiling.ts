// What this machine allows for the EEG ingest bar (#2: ≥ 2,000 JSON chunks/s of 23 ch × 256 Hz × 1 s),
// measured rather than argued:
//  1. the floor: a bare node:http server that only reads each body, JSON.parses it and copies the
//     samples into a Float32Array (perf/sink-server.ts, SINK_PARSE=eeg-json), under the same autocannon
//     closed loop as the eeg-throughput scenario; its CPU and the load generator's, per request.
//  2. the CPU per chunk of each stage Vigil adds, on one thread with nothing else running: contract
//     validation, detection (resample + features + ONNX), and the durable storage path (outbox + recorder).
// Their sum times 2,000 chunks/s is the number of cores the bar needs.
// Usage: npx tsx perf/bench-ceiling.ts [--duration S]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { EVENT_TYPES, eegChunkData } from '../eventing/contract.ts';
import { EmbeddedBroker } from '../eventing/embedded/broker.ts';
import { loadRoutes } from '../eventing/embedded/routes.ts';
import type { VigilEvent } from '../eventing/event.ts';
import type { VigilFunction } from '../eventing/subscriber.ts';
import { recorder } from '../functions/recorder/index.ts';
import { detectChunk } from '../functions/seizure-detector/detect.ts';
import { loadSeizureModel } from '../functions/seizure-detector/model.ts';
import { ROUTE_FILES } from '../runtime/embedded.ts';
import { openDb } from '../storage/open.ts';
import { startChild } from './child.ts';
import { buildPayload } from './payloads.ts';
import { type BenchReport, printReport } from './report.ts';

const BAR = 2000;

function cpuSecondsOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** CPU ms per call of f, single thread, after a warm-up. */
async function cpuMsPer(n: number, f: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(200, n); i++) await f(i);
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await f(i);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / n;
}

export async function benchCeiling(durationS = 10): Promise<BenchReport[]> {
  const device = { patientId: 'ceiling', deviceId: 'ceiling-dev', token: 'none' };
  const template = await buildPayload('eeg-json', device);
  const body = template.body as string;

  // 1. The floor: parse only.
  const sink = await startChild<{ url: string }>(path.join(import.meta.dirname, 'sink-server.ts'), {
    SINK_PARSE: 'eeg-json',
  });
  let floor: BenchReport;
  try {
    const pid = sink.proc.pid!;
    const s0 = cpuSecondsOf(pid);
    const g0 = process.cpuUsage();
    const r = await autocannon({
      url: sink.ready.url + template.path,
      method: 'POST',
      connections: 32,
      duration: durationS,
      requests: [{ method: 'POST', headers: template.headers, body }],
    });
    const g = process.cpuUsage(g0);
    const served = r['2xx'];
    const serverMs = ((cpuSecondsOf(pid) - s0) * 1000) / served;
    const generatorMs = (g.user + g.system) / 1000 / served;
    floor = {
      bench:
        'ceiling 1: bare node:http server, JSON.parse + Float32Array copy only (no storage, no detection)',
      figures: {
        'body bytes (23 ch × 256 samples, JSON)': Buffer.byteLength(body),
        'requests/s served (autocannon, 32 connections, closed loop)': served / r.duration,
        'server CPU ms per request': serverMs,
        'load generator CPU ms per request': generatorMs,
        [`cores for ${BAR}/s at these costs (server + generator)`]: (BAR * (serverMs + generatorMs)) / 1000,
      },
      thresholds: [],
    };
  } finally {
    await sink.stop();
  }

  // 2. What each stage adds, one thread.
  const data = JSON.parse(body) as { samples: number[][]; sampleRateHz: number };
  const validateMs = await cpuMsPer(2000, () => eegChunkData.parse(data));
  const model = await loadSeizureModel();
  const detectMs = await cpuMsPer(1000, () => detectChunk(model, data.samples, data.sampleRateHz));
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-ceiling-'));
  const db = await openDb({ dataDir: dir });
  let storeMs: number;
  try {
    // The durable path of one chunk on SQLite: outbox row, recorder row (inline), one commit per 16 chunks.
    const routes = loadRoutes(ROUTE_FILES).filter((r) => r.subscriber === 'recorder');
    const broker = new EmbeddedBroker({
      db,
      routes,
      functions: new Map<string, VigilFunction>([['recorder', recorder]]),
      subscribers: { recorder: { inline: true, maxBatch: 256, concurrency: 1 } },
    });
    await broker.start();
    const event = (i: number): VigilEvent => ({
      specversion: '1.0',
      id: `c-${i}`,
      source: `/devices/${device.deviceId}`,
      type: EVENT_TYPES.eegChunk,
      subject: device.patientId,
      datacontenttype: 'application/json',
      data: { ...data, startTime: new Date(1e12 + i * 1000).toISOString() },
    });
    await db.run('INSERT INTO patients (id, name, created_at) VALUES (?, ?, ?)', [device.patientId, 'x', 1]);
    let next = 0;
    storeMs =
      (await cpuMsPer(200, () => broker.accept(Array.from({ length: 16 }, () => event(next++))))) / 16;
    await broker.stop();
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const floorMs = Number(floor.figures['server CPU ms per request']);
  const genMs = Number(floor.figures['load generator CPU ms per request']);
  const total = floorMs + validateMs + detectMs + storeMs + genMs;
  const stages: BenchReport = {
    bench: `ceiling 2: CPU per 23 ch × 1 s JSON chunk by stage, and the cores ${BAR} chunks/s need`,
    figures: {
      'receive + JSON.parse + float32 copy (ceiling 1, server) ms': floorMs,
      'contract validation (zod schema, one thread) ms': validateMs,
      'detection: resample + 23 windows of features + ONNX (one thread) ms': detectMs,
      'durable storage: outbox + recorder rows on SQLite, 16 chunks per commit ms': storeMs,
      'load generator (ceiling 1) ms': genMs,
      'sum ms per chunk': total,
      [`cores needed for ${BAR} chunks/s (machine has 2)`]: (BAR * total) / 1000,
      'chunks/s 2 cores allow at this sum': 2000 / total,
    },
    thresholds: [],
  };
  return [floor, stages];
}

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { duration: { type: 'string' } } });
  for (const r of await benchCeiling(values.duration ? Number(values.duration) : 10)) printReport(r);
  return 0;
}

if (process.argv[1] === import.meta.filename) process.exitCode = await main(process.argv.slice(2));
