// Replays recordings as N patients' devices. Each patient has one device (one token) with up to two
// streams: EEG chunks and heart rate. Each stream sends in order with one request in flight, as a
// device does, paced so that data recorded at offset t goes out at start + t / speed (a chunk goes
// out once it is complete). Without a duration every recording plays once; with one they loop.
// Faster than real time, recording time runs ahead of the wall clock, so the replay's clock starts far
// enough in the past that no sample is ever stamped in the future (ingest refuses those).
import { randomBytes } from 'node:crypto';
import type { Credential } from './credentials.ts';
import { haeBatches } from './hae.ts';
import { type Clock, Pacer, realClock } from './pacer.ts';
import type { EegRecording, HrRecording } from './recordings.ts';
import {
  BEDSIDE_SOURCE,
  EegChunker,
  type EegEncoding,
  eegChunkRequest,
  haeRequest,
  heartRateRequest,
} from './requests.ts';
import { Sender } from './sender.ts';
import { SimulationStats, type Summary } from './stats.ts';

export interface SimulationOptions {
  url: string;
  credentials: Credential[];
  eeg: EegRecording[];
  hr: HrRecording[];
  /** Recording seconds per wall second; Infinity = as fast as acknowledgements come back. */
  speed: number;
  /** Wall-clock seconds to run (recordings loop); undefined = play every recording once. */
  durationS?: number | undefined;
  chunkSeconds: number;
  encoding: EegEncoding;
  /** Start this many seconds into every paced recording. */
  fromS?: number;
  /** Health Auto Export entries per request. */
  haeBatch?: number;
  clock?: Clock;
  /** Wall clock for event timestamps (epoch ms). */
  wallNow?: () => number;
  onProgress?: (stats: SimulationStats, elapsedS: number) => void;
  progressIntervalMs?: number;
  maxRetries?: number;
}

export interface SimulationResult extends Summary {
  patients: number;
  streams: number;
}

/**
 * How far the replay's clock starts before now: recording offset t is sent at t / speed of wall time
 * and stamped t after the replay's start, so the start must lie t·(1 − 1/speed) back for the longest t
 * played. Without a duration that is the longest recording; with one, duration · speed of recording.
 */
export function replayLeadMs(
  opts: Pick<SimulationOptions, 'speed' | 'durationS' | 'fromS' | 'hr'>,
  chunkers: readonly Pick<EegChunker, 'loopDurationS'>[],
): number {
  if (!(opts.speed > 1)) return 0;
  const fromS = opts.fromS ?? 0;
  const longest = Math.max(
    0,
    ...chunkers.map((c) => c.loopDurationS),
    ...opts.hr.map((r) => (r.kind === 'hr-series' ? r.durationS - fromS : 0)),
  );
  const playedS =
    opts.durationS === undefined
      ? longest
      : Number.isFinite(opts.speed)
        ? opts.durationS * opts.speed
        : // as fast as acknowledgements come back, for a while: a day of recording is more than a run sends
          Math.max(longest, 86_400);
  const fraction = Number.isFinite(opts.speed) ? 1 - 1 / opts.speed : 1;
  return Math.ceil(playedS * fraction * 1000);
}

export async function runSimulation(opts: SimulationOptions): Promise<SimulationResult> {
  const clock = opts.clock ?? realClock;
  const wallNow = opts.wallNow ?? Date.now;
  const stats = new SimulationStats();
  const sender = new Sender({ baseUrl: opts.url, stats, clock, maxRetries: opts.maxRetries });
  const chunkers = opts.eeg.map((r) => new EegChunker(r, opts.chunkSeconds));
  const runId = randomBytes(4).toString('hex');
  const fromS = opts.fromS ?? 0;
  const pacer = new Pacer(clock, opts.speed);
  const wallStart = wallNow() - replayLeadMs(opts, chunkers);
  const deadline = opts.durationS === undefined ? Infinity : pacer.startMs + opts.durationS * 1000;
  const looping = opts.durationS !== undefined;
  // Stops a stream when the next event would fall after the deadline.
  const beyondDeadline = (offsetS: number): boolean =>
    pacer.dueAt(offsetS) > deadline || clock.now() >= deadline;

  const eegStream = async (cred: Credential, chunker: EegChunker): Promise<void> => {
    const firstChunk = Math.min(Math.floor(fromS / chunker.chunkDurationS), chunker.chunkCount - 1);
    let n = 0;
    for (let loop = 0; loop === 0 || looping; loop++) {
      for (let k = loop === 0 ? firstChunk : 0; k < chunker.chunkCount; k++) {
        const startS =
          loop * chunker.loopDurationS + k * chunker.chunkDurationS - firstChunk * chunker.chunkDurationS;
        const endS = startS + chunker.chunkDurationS;
        if (beyondDeadline(endS)) return;
        await pacer.waitFor(endS);
        const req = eegChunkRequest(
          chunker,
          k,
          cred,
          `${runId}-${cred.deviceId}-eeg-${n++}`,
          wallStart + startS * 1000,
          opts.encoding,
        );
        if ((await sender.send(req, cred.token)) === 'unauthorized') return;
      }
    }
  };

  const hrSeriesStream = async (
    cred: Credential,
    rec: Extract<HrRecording, { kind: 'hr-series' }>,
  ): Promise<void> => {
    const samples = rec.samples.filter((s) => s.offsetS >= fromS);
    if (samples.length === 0) return;
    const loopS = rec.durationS - fromS;
    let n = 0;
    for (let loop = 0; loop === 0 || looping; loop++) {
      // Groups the samples of each chunk-seconds window into one event, sent when the window closes.
      for (let i = 0; i < samples.length; ) {
        const windowStart = Math.floor((samples[i]!.offsetS - fromS) / opts.chunkSeconds) * opts.chunkSeconds;
        const windowEnd = windowStart + opts.chunkSeconds;
        const batch: Array<{ timeMs: number; bpm: number }> = [];
        while (i < samples.length && samples[i]!.offsetS - fromS < windowEnd) {
          const s = samples[i++]!;
          batch.push({ timeMs: wallStart + (loop * loopS + s.offsetS - fromS) * 1000, bpm: s.bpm });
        }
        const dueS = loop * loopS + windowEnd;
        if (beyondDeadline(dueS)) return;
        await pacer.waitFor(dueS);
        const req = heartRateRequest(cred, `${runId}-${cred.deviceId}-hr-${n++}`, batch, BEDSIDE_SOURCE);
        if ((await sender.send(req, cred.token)) === 'unauthorized') return;
      }
    }
  };

  // The app uploads an export as fast as the server acknowledges it, so these batches are not paced.
  const haeStream = async (cred: Credential, rec: Extract<HrRecording, { kind: 'hae' }>): Promise<void> => {
    const session = `${runId}-${cred.deviceId}`;
    for (const b of haeBatches(rec.body, opts.haeBatch ?? 100)) {
      if (clock.now() >= deadline) return;
      if ((await sender.send(haeRequest(b.body, session, b.entries), cred.token)) === 'unauthorized') return;
    }
  };

  const streams: Array<Promise<void>> = [];
  opts.credentials.forEach((cred, i) => {
    if (chunkers.length > 0) streams.push(eegStream(cred, chunkers[i % chunkers.length]!));
    if (opts.hr.length > 0) {
      const rec = opts.hr[i % opts.hr.length]!;
      streams.push(rec.kind === 'hae' ? haeStream(cred, rec) : hrSeriesStream(cred, rec));
    }
  });

  const progress =
    opts.onProgress &&
    setInterval(() => opts.onProgress!(stats, pacer.elapsedMs() / 1000), opts.progressIntervalMs ?? 1000);
  try {
    await Promise.all(streams);
  } finally {
    if (progress) clearInterval(progress);
    sender.close();
  }
  const elapsedS = pacer.elapsedMs() / 1000;
  opts.onProgress?.(stats, elapsedS);
  return { ...stats.summary(elapsedS), patients: opts.credentials.length, streams: streams.length };
}
