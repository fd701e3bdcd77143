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
  return {
    name: FUNCTION_NAME,
    async handle(event: VigilEvent, ctx: FunctionContext): Promise<VigilEvent[]> {
      if (event.type !== EVENT_TYPES.eegChunk) return [];
      // Validated at the door it came through (eventing/validate-event.ts): samples are float32 rows.
      const chunk = event.data as EegChunk;
      // Only the version and threshold are needed here when detection runs elsewhere (a pool).
      const info = await loadModelInfo(options.modelDir);
      const detect: Detect =
        options.detect ??
        (async (samples, rate, history) =>
          detectChunk(await loadSeizureModel(options.modelDir), samples, rate, history));
      const skew = options.maxClockSkewSeconds ?? getConfig().VIGIL_MAX_CLOCK_SKEW_S;
      return detectAndUpdate(event, chunk, detect, info, rule, ctx, skew);
    },
  };
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
 * Read–modify–write of the patient's state with optimistic concurrency: the chunk is scored with the
 * stored context, the episode rule advances, the new context is stored. A lost write race rescores the
 * chunk against the winner's state. Returns the prediction and any alert events.
 */
async function detectAndUpdate(
  input: VigilEvent,
  chunk: EegChunk,
  detect: Detect,
  info: ModelInfo,
  rule: EpisodeRule,
  ctx: FunctionContext,
  maxClockSkewSeconds: number,
): Promise<VigilEvent[]> {
  const chunkKey = `${input.source} ${input.id}`;
  const startMs = Date.parse(chunk.startTime);
  const key = detectorStateKey(chunk);
  const stream = streamId(chunk.patientId, chunk.deviceId);
  const future = startMs > ctx.now() + maxClockSkewSeconds * 1000;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const current = await readState<DetectorState>(ctx.db, FUNCTION_NAME, key);
    const state = current?.value ?? INITIAL_STATE;
    const late = isLate(state.context, startMs);
    const history = late || future ? null : historyBefore(state.context, chunk, startMs, rule);
    const d = await detect(chunk.samples, chunk.sampleRateHz, history);
    if (d.windowScores.length === 0) return []; // shorter than one window: nothing to say
    const prediction = predictionEvent(input, chunk, d, info);
    if (future) return [prediction];
    const seen = state.emitted.find((e) => e.chunk === chunkKey);
    // redelivery: same events, same ids; storage drops the duplicates
    if (seen) return [prediction, ...seen.events];

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
    // every window already counted (old or replayed data): nothing new to store
    if (episode === state.episode) return [prediction, ...events];
    const next: DetectorState = {
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
    };
    if (await writeState(ctx.db, FUNCTION_NAME, key, next, current?.version ?? 0))
      return [prediction, ...events];
  }
  throw new Error(
    `seizure-detector: episode state of one device stream kept changing under ${MAX_WRITE_ATTEMPTS} attempts`,
  );
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
