// Scoring one device stream's chunks against its stored state: each chunk with the context and baseline
// the one before left, the episode rule over its windows, the prediction and alert events, the next
// state. Pure apart from the detection call, so the same code runs on the function's thread or, whole
// runs of a stream at a time, on a detection thread (detection-pool.ts): one round trip per run
// instead of one per chunk, and the stream's windows stay decoded between its chunks.

import { alertClearedEvent, alertRaisedEvent, streamId } from '../../eventing/alert-events.ts';
import {
  type AlertCleared,
  type AlertRaised,
  type EegChunk,
  type EegPrediction,
  EVENT_TYPES,
} from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { kindPriority } from '../alarm-priority.ts';
import { type ChannelBaseline, decodeBaseline, encodeBaseline } from './adaptation.ts';
import { decodeHistory, encodeHistory, type WindowHistory } from './context.ts';
import { type ChunkDetection, detectChunk, type SignalHistory } from './detect.ts';
import {
  type EpisodeRule,
  type EpisodeState,
  type EpisodeTransition,
  INITIAL_EPISODE_STATE,
  stepEpisode,
} from './episode.ts';
import type { ModelInfo, SeizureModel } from './model.ts';
import { WINDOW_SECONDS } from './preprocess.ts';

export const FUNCTION_NAME = 'seizure-detector';
export const FUNCTION_SOURCE = `/functions/${FUNCTION_NAME}`;
const WINDOW_MS = WINDOW_SECONDS * 1000;
/** Replies kept per patient so a redelivered chunk re-emits exactly the events it caused (same ids). */
const REMEMBERED_CHUNKS = 8;

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

export interface StoredContext {
  channels: string[];
  /** Start (epoch ms) of the newest window in history. */
  lastWindowStartMs: number;
  history: ReturnType<typeof encodeHistory>;
  /** The patient's running baseline per channel (absent in states written before adaptation). */
  baseline?: ReturnType<typeof encodeBaseline>;
}

export const INITIAL_STATE: DetectorState = {
  episode: INITIAL_EPISODE_STATE,
  openAlertId: null,
  emitted: [],
  context: null,
};

/** `stream`: the patient's device stream (eventing/alert-events.ts streamId). */
export function seizureAlertId(stream: string, episodeStartMs: number): string {
  return `seizure-${stream}-${episodeStartMs}`;
}

/** What a run is scored under, besides the model: plain values, so a run can go to another thread. */
export interface ScoringSettings {
  rule: EpisodeRule;
  /** The function's clock for this run (epoch ms). */
  nowMs: number;
  /** How far ahead of nowMs a chunk may start and still move the episode state. */
  maxClockSkewSeconds: number;
}

export interface ScoredRun {
  /** Predictions and alert events, in chunk order. */
  events: VigilEvent[];
  state: DetectorState;
  /** Whether state differs from the state the run started from (false: nothing new to store). */
  changed: boolean;
}

/** Scores a stream's run of chunks; runs anywhere a model does (the function's thread or a pool's). */
export type ScoreStream = (
  state: DetectorState,
  chunks: readonly VigilEvent<EegChunk>[],
  settings: ScoringSettings,
) => Promise<ScoredRun>;

/**
 * The context in memory between the chunks of one run: the stored one decoded once, or the windows a
 * chunk just produced (the values its encoded form would decode to: float32 either way).
 */
interface LiveContext {
  channels: string[];
  lastWindowStartMs: number;
  /** null: the stored windows do not decode (another model's shape). */
  windows: WindowHistory | null;
  baseline: ChannelBaseline | null;
  /** Its stored form, kept when it came from storage, built when the run ends otherwise. */
  stored?: StoredContext;
}

function decodeContext(context: StoredContext): LiveContext {
  let baseline: ChannelBaseline | null = null;
  try {
    baseline = context.baseline ? decodeBaseline(context.baseline) : null;
  } catch {
    baseline = null;
  }
  let windows: WindowHistory | null = null;
  try {
    windows = decodeHistory(context.history);
  } catch {
    windows = null;
  }
  return {
    channels: context.channels,
    lastWindowStartMs: context.lastWindowStartMs,
    windows,
    baseline,
    stored: context,
  };
}

function encodeContext(live: LiveContext): StoredContext {
  return (
    live.stored ?? {
      channels: live.channels,
      lastWindowStartMs: live.lastWindowStartMs,
      history: encodeHistory(live.windows!),
      ...(live.baseline ? { baseline: encodeBaseline(live.baseline) } : {}),
    }
  );
}

/**
 * A chunk that starts at or before the newest stored window (late or redelivered): its own past is not
 * stored, so it is scored without context, and the stored context is kept for the chunks after it.
 */
function isLate(context: LiveContext | null, startMs: number): boolean {
  return context != null && startMs <= context.lastWindowStartMs;
}

/**
 * The stored past of this (not late) chunk, or null: none stored or another montage. After a gap longer
 * than the episode rule's the windows are not this chunk's context, but the patient's baseline still
 * is. A history or baseline of another shape (written under other features, before a model upgrade) is
 * not this model's past, and no reason to fail every chunk of the patient: it is dropped.
 */
function historyBefore(
  context: LiveContext | null,
  chunk: EegChunk,
  startMs: number,
  rule: EpisodeRule,
): SignalHistory | null {
  if (!context || context.channels.join('\n') !== chunk.channels.join('\n')) return null;
  const { baseline } = context;
  if (startMs - context.lastWindowStartMs > rule.maxGapMs || !context.windows)
    return { windows: 0, nChannels: chunk.channels.length, features: new Float32Array(0), baseline };
  return { ...context.windows, baseline };
}

/** The run's state as it is scored: the stored state with its context decoded. */
interface RunState {
  episode: EpisodeState;
  openAlertId: string | null;
  emitted: DetectorState['emitted'];
  context: LiveContext | null;
}

/**
 * Scores a stream's chunks in order, each against the state the one before left, with `model` (the
 * thread's own).
 */
export async function scoreStream(
  start: DetectorState,
  chunks: readonly VigilEvent<EegChunk>[],
  settings: ScoringSettings,
  model: SeizureModel,
): Promise<ScoredRun> {
  let state: RunState = { ...start, context: start.context ? decodeContext(start.context) : null };
  const first = state;
  const events: VigilEvent[] = [];
  for (const input of chunks) {
    const step = await scoreChunk(input, state, model, settings);
    events.push(...step.events);
    state = step.state;
  }
  // every window already counted (old or replayed data): nothing new to store
  if (state === first) return { events, state: start, changed: false };
  const { context, ...rest } = state;
  return { events, state: { ...rest, context: context ? encodeContext(context) : null }, changed: true };
}

/** One chunk against the stream's state so far: its prediction, alert events and the next state. */
async function scoreChunk(
  input: VigilEvent<EegChunk>,
  state: RunState,
  model: SeizureModel,
  { rule, nowMs, maxClockSkewSeconds }: ScoringSettings,
): Promise<{ events: VigilEvent[]; state: RunState }> {
  // contract events always carry data; the type's `data?` is the CloudEvents envelope's
  const chunk = input.data!;
  const chunkKey = `${input.source} ${input.id}`;
  const startMs = Date.parse(chunk.startTime);
  const stream = streamId(chunk.patientId, chunk.deviceId);
  const future = startMs > nowMs + maxClockSkewSeconds * 1000;
  const late = isLate(state.context, startMs);
  const history = late || future ? null : historyBefore(state.context, chunk, startMs, rule);
  const d = await detectChunk(model, chunk.samples, chunk.sampleRateHz, history);
  const { info } = model;
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
    const ev = transitionEvent(step.transition, chunk, d, info, rule, startMs, nowMs, stream);
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
            windows: d.history,
            baseline: d.history.baseline ?? null,
          },
    },
  };
}

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

function transitionEvent(
  t: EpisodeTransition,
  chunk: EegChunk,
  d: ChunkDetection,
  info: ModelInfo,
  rule: EpisodeRule,
  chunkStartMs: number,
  nowMs: number,
  stream: string,
): VigilEvent {
  const alertId = seizureAlertId(stream, t.episodeStartMs);
  const at = new Date(nowMs).toISOString();
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
