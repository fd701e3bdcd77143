// Seizure-detector benchmark: one-second channel windows per second through the served path
// (resample + features + context + adaptation + one batched ONNX call per chunk) on one event loop and on a
// DetectionPool with a thread per core, and the latency of the whole function (detection + episode
// state in SQLite) for a 23-channel × 1 s × 256 Hz chunk.
// Run: npx tsx perf/bench-detector.ts
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { type EegChunk, EVENT_TYPES } from '../eventing/contract.ts';
import type { VigilEvent } from '../eventing/event.ts';
import { detectChunk, type SignalHistory } from '../functions/seizure-detector/detect.ts';
import { DetectionPool } from '../functions/seizure-detector/detection-pool.ts';
import { DEFAULT_EPISODE_RULE } from '../functions/seizure-detector/episode.ts';
import { seizureDetector } from '../functions/seizure-detector/index.ts';
import { loadSeizureModel } from '../functions/seizure-detector/model.ts';
import { INITIAL_STATE } from '../functions/seizure-detector/stream-scoring.ts';
import { BONN_SAMPLE_RATE_HZ, parseBonnText } from '../recordings/bonn.ts';
import { openDb } from '../storage/open.ts';
import { percentile } from './percentile.ts';

const CHANNELS = 23;
const RATE = 256;

/** Deterministic EEG-like test signal: a few rhythms plus pseudo-noise, ~50 µV. */
function signal(seconds: number, seed: number): number[][] {
  return Array.from({ length: CHANNELS }, (_, c) =>
    Array.from({ length: seconds * RATE }, (_, i) => {
      const t = i / RATE;
      const noise = ((Math.sin((i + 1) * 12.9898 + c * 78.233 + seed) * 43758.5453) % 1) * 20;
      return 30 * Math.sin(2 * Math.PI * (3 + c / 10) * t) + 15 * Math.sin(2 * Math.PI * 10 * t + c) + noise;
    }),
  );
}

const model = await loadSeizureModel();

// 1) throughput: 10-s chunks of 23 channels (230 channel-windows per ONNX call), each with the previous
// chunk's window history as context, as a stream is served
const big = signal(10, 1);
let history: SignalHistory | null = null;
for (let i = 0; i < 20; i++) history = (await detectChunk(model, big, RATE, history)).history;
let windows = 0;
const t0 = performance.now();
while (performance.now() - t0 < 3000) {
  const d = await detectChunk(model, big, RATE, history);
  history = d.history;
  windows += d.windowProbabilities.length * CHANNELS;
}
const throughput = windows / ((performance.now() - t0) / 1000);

// 1b) the same on every core: a DetectionPool with one thread per core (a detector pod with that many
// CPUs), 2 streams in flight per thread so no thread waits for the next request; each stream sends its
// next 10-s chunk with the state its last one left, as the served path does
const threads = cpus().length;
const pool = new DetectionPool({ threads });
const settings = { rule: DEFAULT_EPISODE_RULE, nowMs: Date.now(), maxClockSkewSeconds: 30 };
const bigRows = big.map((row) => Float32Array.from(row)); // float32 rows, as every chunk past the door
const chunkAt = (stream: number, i: number): VigilEvent<EegChunk> => ({
  specversion: '1.0',
  id: `pool-${stream}-${i}`,
  source: '/devices/bench',
  type: EVENT_TYPES.eegChunk,
  data: {
    patientId: `pool-${stream}`,
    deviceId: 'bench',
    startTime: new Date(Date.parse('2024-01-01T00:00:00Z') + i * 10_000).toISOString(),
    sampleRateHz: RATE,
    channels: Array.from({ length: CHANNELS }, (_, c) => `C${c}`),
    unit: 'uV',
    samples: bigRows,
  },
});
let poolWindows = 0;
let t1 = 0;
await Promise.all(
  Array.from({ length: 2 * threads }, async (_, stream) => {
    let state = INITIAL_STATE;
    for (let i = 0; ; i++) {
      if (i === 4) t1 ||= performance.now(); // after a warm-up of 4 chunks per stream
      if (t1 && performance.now() - t1 >= 3000) break;
      const run = await pool.score(state, [chunkAt(stream, i)], settings);
      state = run.state;
      if (t1) poolWindows += 10 * CHANNELS;
    }
  }),
);
const poolThroughput = poolWindows / ((performance.now() - t1) / 1000);
await pool.close();

// 2) latency: 23 ch × 1 s chunks, detection alone and the whole function with SQLite state
const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-det-'));
const db = await openDb({ dataDir });
const ctx = { db, now: () => Date.now() };
const detectMs: number[] = [];
const handleMs: number[] = [];
const start = Date.parse('2024-01-01T00:00:00Z');
const N = 2000;
const one = Array.from({ length: 10 }, (_, k) => signal(1, k));
for (let i = 0; i < N; i++) {
  const samples = one[i % one.length]!;
  let t = performance.now();
  history = (await detectChunk(model, samples, RATE, history)).history;
  detectMs.push(performance.now() - t);
  const ev = {
    specversion: '1.0' as const,
    id: `bench-${i}`,
    source: '/devices/bench',
    type: EVENT_TYPES.eegChunk,
    subject: `bench-${i % 50}`,
    data: {
      patientId: `bench-${i % 50}`,
      deviceId: 'bench',
      startTime: new Date(start + Math.floor(i / 50) * 1000).toISOString(),
      sampleRateHz: RATE,
      channels: Array.from({ length: CHANNELS }, (_, c) => `C${c}`),
      unit: 'uV',
      samples,
    },
  };
  t = performance.now();
  await seizureDetector.handle(ev, ctx);
  handleMs.push(performance.now() - t);
}
// 3) during a seizure: a real ictal segment (data/demo Bonn S046) on 23 channels, 1-s chunks, so windows
//    are positive, an episode is open and every chunk makes a durable state write.
const ictalFile = path.join(import.meta.dirname, '../data/demo/eeg/bonn/setE/S046.txt');
const ictal = parseBonnText(readFileSync(ictalFile, 'latin1'), ictalFile);
const per = Math.round(BONN_SAMPLE_RATE_HZ);
const seizureMs: number[] = [];
let positiveChunks = 0;
for (let i = 0; i < 1000; i++) {
  const from = (i % Math.floor(ictal.length / per - 1)) * per;
  const row = Array.from(ictal.subarray(from, from + per));
  const patient = `ictal-${Math.floor(i / 20)}`; // 20 consecutive seconds per patient
  const ev = {
    specversion: '1.0' as const,
    id: `ictal-${i}`,
    source: '/devices/bench',
    type: EVENT_TYPES.eegChunk,
    subject: patient,
    data: {
      patientId: patient,
      deviceId: 'bench',
      startTime: new Date(start + (i % 20) * 1000).toISOString(),
      sampleRateHz: BONN_SAMPLE_RATE_HZ,
      channels: Array.from({ length: CHANNELS }, (_, c) => `C${c}`),
      unit: 'uV',
      samples: Array.from({ length: CHANNELS }, () => row),
    },
  };
  const t = performance.now();
  const out = await seizureDetector.handle(ev, ctx);
  seizureMs.push(performance.now() - t);
  if ((out[0]?.data as { label?: string } | undefined)?.label === 'seizure') positiveChunks++;
}
seizureMs.sort((a, b) => a - b);
await db.close();
rmSync(dataDir, { recursive: true, force: true });
detectMs.sort((a, b) => a - b);
handleMs.sort((a, b) => a - b);

const fmt = (v: number) => v.toFixed(2);
console.log(
  `seizure-detector benchmark (model ${model.info.modelVersion}, node ${process.version}, ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')})`,
);
console.log(
  `throughput, one event loop: ${Math.round(throughput)} one-second channel windows/s (23 ch × 10 s × 256 Hz chunks, one ONNX call each)`,
);
console.log(
  `throughput, ${threads} detection threads (all ${threads} cores): ${Math.round(poolThroughput)} one-second channel windows/s (bar ≥ 20000 on 2 cores)`,
);
console.log(
  `latency, detection only (23 ch × 1 s × 256 Hz, n=${N}): p50 ${fmt(percentile(detectMs, 50))} ms, p99 ${fmt(percentile(detectMs, 99))} ms`,
);
console.log(
  `latency, whole function incl. episode state in SQLite (n=${N}): p50 ${fmt(percentile(handleMs, 50))} ms, p99 ${fmt(percentile(handleMs, 99))} ms (bar < 10 ms)`,
);
console.log(
  `latency during a seizure (23 ch × 1 s, ${positiveChunks}/1000 chunks labelled seizure, state written to SQLite): p50 ${fmt(percentile(seizureMs, 50))} ms, p99 ${fmt(percentile(seizureMs, 99))} ms`,
);

// A missed bar fails the run, as every other bench's thresholds do.
const passed = poolThroughput >= 20_000 && percentile(handleMs, 99) < 10;
console.log(
  `thresholds: windows/s on ${threads} cores >= 20000 and whole-function p99 < 10 ms: ${passed ? 'PASS' : 'FAIL'}`,
);
if (!passed) process.exitCode = 1;
