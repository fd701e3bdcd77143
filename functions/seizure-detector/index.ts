// seizure-detector: org.vigil.eeg.chunk → org.vigil.eeg.prediction, plus org.vigil.alert.raised once per
// seizure episode and org.vigil.alert.cleared when the episode ends. The episode state and the last
// windows of the EEG (the next chunk's context) live in function_state, one row per (patient, device):
// the rule orders windows by time, so one device's clock must not make another's windows look old. A
// chunk stamped further ahead of the function's clock than the allowed skew is scored but never moves
// the episode state. State survives chunks, restarts and replicas.

import { getConfig } from '../../config/env.ts';
import { type EegChunk, EVENT_TYPES } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type { FunctionContext, VigilFunction } from '../../eventing/subscriber.ts';
import { readState, writeState } from '../../storage/function-state.ts';
import { DEFAULT_EPISODE_RULE, type EpisodeRule } from './episode.ts';
import { loadSeizureModel } from './model.ts';
import {
  type DetectorState,
  FUNCTION_NAME,
  INITIAL_STATE,
  type ScoreStream,
  scoreStream,
} from './stream-scoring.ts';

export {
  type DetectorState,
  FUNCTION_NAME,
  FUNCTION_SOURCE,
  seizureAlertId,
} from './stream-scoring.ts';

const MAX_WRITE_ATTEMPTS = 20;

/** The function_state key of a chunk's stream. */
export function detectorStateKey(chunk: Pick<EegChunk, 'patientId' | 'deviceId'>): string {
  return `${chunk.patientId}/${chunk.deviceId}`;
}

export interface DetectorOptions {
  /** Model directory (default models/seizure). */
  modelDir?: string;
  rule?: EpisodeRule;
  /**
   * Scores a stream's run of chunks; default scoreStream() with the model on this thread. The embedded
   * runtime passes a DetectionPool's, so detection runs beside its event loop.
   */
  score?: ScoreStream;
  /** How far ahead of the function's clock a chunk may start and still count (default VIGIL_MAX_CLOCK_SKEW_S). */
  maxClockSkewSeconds?: number;
}

export function createSeizureDetector(options: DetectorOptions = {}): VigilFunction {
  const rule = options.rule ?? DEFAULT_EPISODE_RULE;
  const score: ScoreStream =
    options.score ??
    (async (state, chunks, settings) =>
      scoreStream(state, chunks, settings, await loadSeizureModel(options.modelDir)));
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
    const byStream = new Map<string, VigilEvent<EegChunk>[]>();
    for (const event of events) {
      if (event.type !== EVENT_TYPES.eegChunk) continue;
      const key = detectorStateKey(event.data as EegChunk);
      const chunks = byStream.get(key);
      if (chunks) chunks.push(event as VigilEvent<EegChunk>);
      else byStream.set(key, [event as VigilEvent<EegChunk>]);
    }
    const skew = options.maxClockSkewSeconds ?? getConfig().VIGIL_MAX_CLOCK_SKEW_S;
    const replies = [...byStream].map(([key, chunks]) =>
      afterStream(key, () => detectStream(key, chunks, score, rule, ctx, skew)),
    );
    return Promise.all(replies).then((r) => r.flat());
  }
  return {
    name: FUNCTION_NAME,
    handle: (event, ctx) => handleBatch([event], ctx),
    handleBatch,
  };
}

export const seizureDetector: VigilFunction = createSeizureDetector();

/**
 * Read–modify–write of one device stream's state with optimistic concurrency: its chunks are scored in
 * order against the stored state and the new state is written once. A lost write race rescores them
 * against the winner's state. Returns the predictions and any alert events.
 */
async function detectStream(
  key: string,
  chunks: readonly VigilEvent<EegChunk>[],
  score: ScoreStream,
  rule: EpisodeRule,
  ctx: FunctionContext,
  maxClockSkewSeconds: number,
): Promise<VigilEvent[]> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const current = await readState<DetectorState>(ctx.db, FUNCTION_NAME, key);
    const run = await score(current?.value ?? INITIAL_STATE, chunks, {
      rule,
      nowMs: ctx.now(),
      maxClockSkewSeconds,
    });
    if (!run.changed) return run.events;
    if (await writeState(ctx.db, FUNCTION_NAME, key, run.state, current?.version ?? 0)) return run.events;
  }
  throw new Error(
    `seizure-detector: episode state of one device stream kept changing under ${MAX_WRITE_ATTEMPTS} attempts`,
  );
}
