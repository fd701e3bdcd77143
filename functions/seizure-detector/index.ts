// seizure-detector: org.vigil.eeg.chunk → org.vigil.eeg.prediction, plus org.vigil.alert.raised once per
// seizure episode and org.vigil.alert.cleared when the episode ends. The episode state and the last
// windows of the EEG (the next chunk's context) live in function_state, one row per (patient, device):
// the rule orders windows by time, so one device's clock must not make another's windows look old. A
// chunk stamped further ahead of the function's clock than the allowed skew is scored but never moves
// the episode state. State survives chunks, restarts and replicas.

import { getConfig } from '../../config/env.ts';
import { alertClearedEvent, alertRaisedEvent, streamId } from '../../eventing/alert-events.ts';
import {
  type AlertCleared,
  type AlertRaised,
  type EegChunk,
  type EegPrediction,
  EVENT_TYPES,
} from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type { FunctionContext, VigilFunction } from '../../eventing/subscriber.ts';
import { readState, writeState } from '../../storage/function-state.ts';
import { kindPriority } from '../alarm-priority.ts';
import { decodeBaseline, encodeBaseline } from './adaptation.ts';
import { decodeHistory, encodeHistory } from './context.ts';
import { type ChunkDetection, detectChunk, type SignalHistory } from './detect.ts';
import type { Detect } from './detection-pool.ts';
import {
  DEFAULT_EPISODE_RULE,
  type EpisodeRule,
  type EpisodeState,
  type EpisodeTransition,
  INITIAL_EPISODE_STATE,
  stepEpisode,
} from './episode.ts';
import { loadModelInfo, loadSeizureModel, type ModelInfo } from './model.ts';
import { WINDOW_SECONDS } from './preprocess.ts';

export const FUNCTION_NAME = 'seizure-detector';
export const FUNCTION_SOURCE = `/functions/${FUNCTION_NAME}`;
const WINDOW_MS = WINDOW_SECONDS * 1000;
/** Replies kept per patient so a redelivered chunk re-emits exactly the events it caused (same ids). */
const REMEMBERED_CHUNKS = 8;
const MAX_WRITE_ATTEMPTS = 20;

/** What function_state holds per (patient, device). */
export interface DetectorState {
  episode: EpisodeState;
  /** The open episode's alert, if any. */
  openAlertId: string | null;
  /** Alert events caused by recent chunks, keyed by `${source} ${id}` of the chunk. */
  emitted: Array<{ chunk: string; events: VigilEvent[] }>;
  /** The latest windows seen, the context of the next chunk (absent in states written before context). */
  context?: StoredContext | null;
}

interface StoredContext {
  channels: string[];
  /** Start (epoch ms) of the newest window in history. */
  lastWindowStartMs: number;
  history: ReturnType<typeof encodeHistory>;
  /** The patient's running baseline per channel (absent in states written before adaptation). */
  baseline?: ReturnType<typeof encodeBaseline>;
}

const INITIAL_STATE: DetectorState = {
  episode: INITIAL_EPISODE_STATE,
  openAlertId: null,
  emitted: [],
  context: null,
};

/** `stream`: the patient's device stream (eventing/alert-events.ts streamId). */
export function seizureAlertId(stream: string, episodeStartMs: number): string {
  return `seizure-${stream}-${episodeStartMs}`;
}

/** The function_state key of a chunk's stream. */
export function detectorStateKey(chunk: Pick<EegChunk, 'patientId' | 'deviceId'>): string {
  return `${chunk.patientId}/${chunk.deviceId}`;
}

export interface DetectorOptions {
  /** Model directory (default models/seizure). */
  modelDir?: string;
  rule?: EpisodeRule;
  /**
   * Runs the served detection path; default detectChunk() on this thread. The embedded runtime passes
   * a DetectionPool's so feature extraction runs beside its event loop.
   */
  detect?: Detect;
  /** How far ahead of the function's clock a chunk may start and still count (default VIGIL_MAX_CLOCK_SKEW_S). */
  maxClockSkewSeconds?: number;
}

export function createSeizureDetector(options: DetectorOptions = {}): VigilFunction {
  const rule = options.rule ?? DEFAULT_EPISODE_RULE;
  /** The last scoring of each device stream in this process: the next one of the stream starts after it. */
  const tails = new Map<string, Promise<unknown>>();
  /** Runs `job` after every earlier job of `key` (chained synchronously, so in call order). */
  function afterStream<T>(key: string, job: () => Promise<T>): Promise<T> {
    const run = (tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(job);
    tails.set(key, run);
    void run.finally(() => {
      if (tails.get(key) === run) tails.delete(key);
    });
    return run;
  }

  function handleBatch(events: VigilEvent[], ctx: FunctionContext): Promise<VigilEvent[]> {
    // Validated at the door they came through (eventing/validate-event.ts): samples are float32 rows.
    // One device stream's chunks in the order they arrived: the episode rule and the context need a
    // stream's windows in time order. Streams do not wait for each other, and batches delivered
    // concurrently still score one stream's chunks one after the other, in delivery order.
    const byStream = new Map<string, Input[]>();
    for (const event of events) {
      if (event.type !== EVENT_TYPES.eegChunk) continue;
      const chunk = event.data as EegChunk;
      const key = detectorStateKey(chunk);
      const inputs = byStream.get(key);
      if (inputs) inputs.push({ event, chunk });
      else byStream.set(key, [{ event, chunk }]);
    }
    const skew = options.maxClockSkewSeconds ?? getConfig().VIGIL_MAX_CLOCK_SKEW_S;
    const detect: Detect =
      options.detect ??
      (async (samples, rate, history) =>
        detectChunk(await loadSeizureModel(options.modelDir), samples, rate, history));
    const replies = [...byStream].map(([key, inputs]) =>
      afterStream(key, async () => {
        // Only the version and threshold are needed here when detection runs elsewhere (a pool).
        const info = await loadModelInfo(options.modelDir);
        return detectStream(key, inputs, detect, info, rule, ctx, skew);
      }),
    );
    return Promise.all(replies).then((r) => r.flat());
  }
  return {
    name: FUNCTION_NAME,
    handle: (event, ctx) => handleBatch([event], ctx),
    handleBatch,
  };
}

interface Input {
  event: VigilEvent;
  chunk: EegChunk;
}

/**
 * A chunk that starts at or before the newest stored window (late or redelivered): its own past is not
 * stored, so it is scored without context, and the stored context is kept for the chunks after it.
 */
function isLate(context: StoredContext | null | undefined, startMs: number): boolean {
  return context != null && startMs <= context.lastWindowStartMs;
}

/**
 * The stored past of this (not late) chunk, or null: none stored or another montage. After a gap longer
 * than the episode rule's the windows are not this chunk's context, but the patient's baseline still
 * is. A history or baseline of another shape (written under other features, before a model upgrade) is
 * not this model's past, and no reason to fail every chunk of the patient: it is dropped.
 */
function historyBefore(
  context: StoredContext | null | undefined,
  chunk: EegChunk,
  startMs: number,
  rule: EpisodeRule,
): SignalHistory | null {
  if (!context || context.channels.join('\n') !== chunk.channels.join('\n')) return null;
  let baseline = null;
  try {
    baseline = context.baseline ? decodeBaseline(context.baseline) : null;
  } catch {
    baseline = null;
  }
  const none = { windows: 0, nChannels: chunk.channels.length, features: new Float32Array(0), baseline };
  if (startMs - context.lastWindowStartMs > rule.maxGapMs) return none;
  try {
    return { ...decodeHistory(context.history), baseline };
  } catch {
    return none;
  }
}

export const seizureDetector: VigilFunction = createSeizureDetector();

function predictionEvent(
  input: VigilEvent,
  chunk: EegChunk,
  d: ChunkDetection,
  info: ModelInfo,
): VigilEvent<EegPrediction> {
  return {
    specversion: '1.0',
    id: `${input.id}.prediction`,
    source: FUNCTION_SOURCE,
    type: EVENT_TYPES.eegPrediction,
    subject: chunk.patientId,
    time: input.time ?? chunk.startTime,
    datacontenttype: 'application/json',
    data: {
      patientId: chunk.patientId,
      deviceId: chunk.deviceId,
      chunkEventId: input.id,
      chunkSource: input.source,
      windowStart: chunk.startTime,
      windowSeconds: WINDOW_SECONDS,
      windowProbabilities: d.windowProbabilities,
      chunkProbability: d.chunkProbability,
      label: d.positives.some(Boolean) ? 'seizure' : 'normal',
      modelVersion: info.modelVersion,
    },
  };
}

/**
 * Read–modify–write of one device stream's state with optimistic concurrency: its chunks are scored in
 * order, each with the context the one before left, the episode rule advances, and the new state is
 * written once. A lost write race rescores them against the winner's state. Returns the predictions and
 * any alert events.
 */
async function detectStream(
  key: string,
  inputs: readonly Input[],
  detect: Detect,
  info: ModelInfo,
  rule: EpisodeRule,
  ctx: FunctionContext,
  maxClockSkewSeconds: number,
): Promise<VigilEvent[]> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const current = await readState<DetectorState>(ctx.db, FUNCTION_NAME, key);
    const stored = current?.value ?? INITIAL_STATE;
    let state = stored;
    const out: VigilEvent[] = [];
    for (const input of inputs) {
      const step = await detectOne(input, state, detect, info, rule, ctx, maxClockSkewSeconds);
      out.push(...step.events);
      state = step.state;
    }
    // every window already counted (old or replayed data): nothing new to store
    if (state === stored) return out;
    if (await writeState(ctx.db, FUNCTION_NAME, key, state, current?.version ?? 0)) return out;
  }
  throw new Error(
    `seizure-detector: episode state of one device stream kept changing under ${MAX_WRITE_ATTEMPTS} attempts`,
  );
}

/** One chunk against the stream's state so far: its prediction, alert events and the next state. */
async function detectOne(
  { event: input, chunk }: Input,
  state: DetectorState,
  detect: Detect,
  info: ModelInfo,
  rule: EpisodeRule,
  ctx: FunctionContext,
  maxClockSkewSeconds: number,
): Promise<{ events: VigilEvent[]; state: DetectorState }> {
  const chunkKey = `${input.source} ${input.id}`;
  const startMs = Date.parse(chunk.startTime);
  const stream = streamId(chunk.patientId, chunk.deviceId);
  const future = startMs > ctx.now() + maxClockSkewSeconds * 1000;
  const late = isLate(state.context, startMs);
  const history = late || future ? null : historyBefore(state.context, chunk, startMs, rule);
  const d = await detect(chunk.samples, chunk.sampleRateHz, history);
  if (d.windowScores.length === 0) return { events: [], state }; // shorter than one window: nothing to say
  const prediction = predictionEvent(input, chunk, d, info);
  if (future) return { events: [prediction], state };
  const seen = state.emitted.find((e) => e.chunk === chunkKey);
  // redelivery: same events, same ids; storage drops the duplicates
  if (seen) return { events: [prediction, ...seen.events], state };

  let episode = state.episode;
  let openAlertId = state.openAlertId;
  const events: VigilEvent[] = [];
  d.positives.forEach((positive, w) => {
    const windowStartMs = startMs + w * WINDOW_MS;
    const step = stepEpisode(episode, rule, windowStartMs, positive);
    episode = step.state;
    if (!step.transition) return;
    const ev = transitionEvent(step.transition, chunk, d, info, rule, startMs, ctx, stream);
    openAlertId =
      step.transition.kind === 'onset' ? seizureAlertId(stream, step.transition.episodeStartMs) : null;
    events.push(ev);
  });
  if (episode === state.episode) return { events: [prediction, ...events], state };
  return {
    events: [prediction, ...events],
    state: {
      episode,
      openAlertId,
      emitted:
        events.length > 0
          ? [...state.emitted, { chunk: chunkKey, events }].slice(-REMEMBERED_CHUNKS)
          : state.emitted,
      context: late
        ? state.context
        : {
            channels: chunk.channels,
            lastWindowStartMs: startMs + (d.windowScores.length - 1) * WINDOW_MS,
            history: encodeHistory(d.history),
            ...(d.history.baseline ? { baseline: encodeBaseline(d.history.baseline) } : {}),
          },
    },
  };
}

function transitionEvent(
  t: EpisodeTransition,
  chunk: EegChunk,
  d: ChunkDetection,
  info: ModelInfo,
  rule: EpisodeRule,
  chunkStartMs: number,
  ctx: FunctionContext,
  stream: string,
): VigilEvent {
  const alertId = seizureAlertId(stream, t.episodeStartMs);
  const at = new Date(ctx.now()).toISOString();
  if (t.kind === 'onset') {
    const data: AlertRaised = {
      alertId,
      patientId: chunk.patientId,
      kind: 'seizure',
      category: 'patient',
      severity: 'critical',
      priority: kindPriority('seizure'),
      raisedAt: at,
      evidence: {
        modelVersion: info.modelVersion,
        threshold: info.threshold,
        rule: `${rule.onsetPositives} of the last ${rule.onsetWindow} one-second windows at or above the threshold`,
        episodeStart: new Date(t.episodeStartMs).toISOString(),
        deviceId: chunk.deviceId,
        channels: chunk.channels,
        windows: d.windowScores.map((score, w) => ({
          start: new Date(chunkStartMs + w * WINDOW_MS).toISOString(),
          probability: score,
          channelProbabilities: d.windowProbabilities[w],
        })),
      },
    };
    return alertRaisedEvent(FUNCTION_SOURCE, data);
  }
  const data: AlertCleared = {
    alertId,
    patientId: chunk.patientId,
    kind: 'seizure',
    by: FUNCTION_NAME,
    at,
    reason: `${rule.endNegatives} consecutive one-second windows below the threshold; last positive window started ${new Date(t.lastPositiveMs).toISOString()}`,
  };
  return alertClearedEvent(FUNCTION_SOURCE, data);
}
