// heart-rate-monitor: heartrate.sample -> alert.raised / alert.cleared (tachycardia, bradycardia,
// and the technical hr-implausible). The rule lives in rule.ts; this file does the I/O around it:
// per-patient limits, the episode state in function_state (optimistic versions, retried on conflict),
// and reply events with ids derived from the alert, so redelivery and replicas never duplicate an alert.
// State is kept per (patient, device): the rule orders a stream by sample time, so a device with a wrong
// clock could otherwise make every other device's samples look old. Samples further ahead of the
// function's clock than the allowed skew never enter the live state (ingest refuses them already).

import { getConfig } from '../../config/env.ts';
import { alertClearedEvent, alertRaisedEvent, streamId } from '../../eventing/alert-events.ts';
import {
  type AlertCleared,
  type AlertRaised,
  EVENT_TYPES,
  type HeartRateSample,
} from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type { FunctionContext, VigilFunction } from '../../eventing/subscriber.ts';
import { readState, updateState, writeState } from '../../storage/function-state.ts';
import { getLimits, type HeartRateLimits } from '../../storage/limits-store.ts';
import { heartRatePriority, kindPriority } from '../alarm-priority.ts';
import {
  DEFAULT_RULE,
  type Decision,
  evaluate,
  initialState,
  type MonitorState,
  type RuleConfig,
} from './rule.ts';

export const HEART_RATE_MONITOR = 'heart-rate-monitor';
export const HEART_RATE_MONITOR_SOURCE = `/functions/${HEART_RATE_MONITOR}`;

/**
 * What is kept per (patient, device) stream. `recent` remembers the replies of the last few inputs that produced any:
 * if a reply was lost after the state was written (crash between commit and answer), the redelivered
 * input gets the same replies again instead of nothing.
 */
export interface StoredMonitorState {
  rule: MonitorState;
  recent: Array<{ key: string; replies: VigilEvent[] }>;
}

const RECENT_INPUTS = 16;

const iso = (ms: number) => new Date(ms).toISOString();

function replyFor(
  d: Decision,
  input: HeartRateSample,
  limits: HeartRateLimits,
  rule: RuleConfig,
): VigilEvent {
  if (d.action === 'clear') {
    const reason =
      d.kind === 'hr-implausible'
        ? `plausible heart-rate values since ${iso(d.recoveredSince)}`
        : `heart rate back within ${limits.low}-${limits.high} bpm (hysteresis ${rule.hysteresisBpm} bpm) since ${iso(d.recoveredSince)}`;
    const data: AlertCleared = {
      alertId: d.alertId,
      patientId: input.patientId,
      kind: d.kind,
      by: HEART_RATE_MONITOR,
      at: iso(d.at),
      reason,
    };
    return alertClearedEvent(HEART_RATE_MONITOR_SOURCE, data);
  }
  const evidence: Record<string, unknown> =
    d.kind === 'hr-implausible'
      ? { bpm: d.peakBpm, plausibleRange: '1-300 bpm', firstSampleTime: iso(d.episodeStart) }
      : {
          limitBpm: d.kind === 'tachycardia' ? limits.high : limits.low,
          limits: { low: limits.low, high: limits.high },
          sustainedBpm: d.sustainedBpm,
          peakBpm: d.peakBpm,
          episodeStart: iso(d.episodeStart),
          samples: d.samples,
          rule: { sustainSeconds: rule.sustainSeconds, minSamples: rule.minSamples },
        };
  const data: AlertRaised = {
    alertId: d.alertId,
    patientId: input.patientId,
    kind: d.kind,
    category: d.kind === 'hr-implausible' ? 'technical' : 'patient',
    severity: d.severity,
    priority: d.kind === 'hr-implausible' ? kindPriority(d.kind) : heartRatePriority(d.kind, d.sustainedBpm),
    evidence: { ...evidence, deviceId: input.deviceId, source: input.source },
    raisedAt: iso(d.at),
  };
  return alertRaisedEvent(HEART_RATE_MONITOR_SOURCE, data);
}

type PatientEvents = Array<{ key: string; data: HeartRateSample }>;

/** One device stream of one patient: what the rule's state is kept for. */
interface Stream {
  patientId: string;
  deviceId: string;
  events: PatientEvents;
}

const stateKey = (s: Pick<Stream, 'patientId' | 'deviceId'>) => `${s.patientId}/${s.deviceId}`;

/** Pure: one stream's events, in order, through the rule from a stored state. */
function step(
  cur: StoredMonitorState | undefined,
  stream: Stream,
  limits: HeartRateLimits,
  rule: RuleConfig,
  notAfter: number,
): { value: StoredMonitorState; result: VigilEvent[] } {
  const { events } = stream;
  const id = streamId(stream.patientId, stream.deviceId);
  let stored: StoredMonitorState = cur ?? { rule: initialState(), recent: [] };
  const out: VigilEvent[] = [];
  for (const ev of events) {
    const seen = stored.recent.find((r) => r.key === ev.key);
    if (seen) {
      out.push(...seen.replies);
      continue;
    }
    const samples = ev.data.samples
      .map((s) => ({ time: Date.parse(s.time), bpm: s.bpm }))
      .filter((s) => s.time <= notAfter);
    const { state, decisions } = evaluate(stored.rule, samples, limits, id, rule);
    const replies = decisions.map((d) => replyFor(d, ev.data, limits, rule));
    out.push(...replies);
    stored = {
      rule: state,
      recent: replies.length
        ? [...stored.recent, { key: ev.key, replies }].slice(-RECENT_INPUTS)
        : stored.recent,
    };
  }
  return { value: stored, result: out };
}

/** Another replica wrote a stream's state between our read and our write. */
class StateConflict extends Error {}

/**
 * Every stream of a batch in ONE transaction: one commit (one fsync on SQLite) per batch instead of one
 * per stream, which is what keeps 1,000 samples/s from many patients cheap. A version conflict aborts
 * the transaction (nothing written, no replies) and the batch falls back to per-stream retries.
 */
async function handleAllInOneTransaction(
  groups: Map<string, Stream>,
  ctx: FunctionContext,
  rule: RuleConfig,
  notAfter: number,
): Promise<VigilEvent[]> {
  return ctx.db.tx(async (tx) => {
    const replies: VigilEvent[] = [];
    for (const [key, stream] of groups) {
      const limits = await getLimits(tx, stream.patientId);
      const cur = await readState<StoredMonitorState>(tx, HEART_RATE_MONITOR, key);
      const { value, result } = step(cur?.value, stream, limits, rule, notAfter);
      if (!(await writeState(tx, HEART_RATE_MONITOR, key, value, cur?.version ?? 0)))
        throw new StateConflict();
      replies.push(...result);
    }
    return replies;
  });
}

async function handlePerStream(
  groups: Map<string, Stream>,
  ctx: FunctionContext,
  rule: RuleConfig,
  notAfter: number,
): Promise<VigilEvent[]> {
  const replies: VigilEvent[] = [];
  for (const [key, stream] of groups) {
    const limits = await getLimits(ctx.db, stream.patientId);
    replies.push(
      ...(await updateState<StoredMonitorState, VigilEvent[]>(ctx.db, HEART_RATE_MONITOR, key, (cur) =>
        step(cur, stream, limits, rule, notAfter),
      )),
    );
  }
  return replies;
}

export function createHeartRateMonitor(
  rule: RuleConfig = DEFAULT_RULE,
  opts: { maxClockSkewSeconds?: number } = {},
): VigilFunction {
  async function handleBatch(events: VigilEvent[], ctx: FunctionContext): Promise<VigilEvent[]> {
    const byStream = new Map<string, Stream>();
    for (const event of events) {
      if (event.type !== EVENT_TYPES.heartRateSample) continue;
      // Validated at the door it came through (eventing/validate-event.ts).
      const data = event.data as HeartRateSample;
      const key = stateKey(data);
      const stream = byStream.get(key) ?? { patientId: data.patientId, deviceId: data.deviceId, events: [] };
      stream.events.push({ key: `${event.source} ${event.id}`, data });
      byStream.set(key, stream);
    }
    if (byStream.size === 0) return [];
    const notAfter = ctx.now() + (opts.maxClockSkewSeconds ?? getConfig().VIGIL_MAX_CLOCK_SKEW_S) * 1000;
    try {
      return await handleAllInOneTransaction(byStream, ctx, rule, notAfter);
    } catch (err) {
      if (!(err instanceof StateConflict)) throw err;
      return handlePerStream(byStream, ctx, rule, notAfter);
    }
  }
  return {
    name: HEART_RATE_MONITOR,
    handle: (event, ctx) => handleBatch([event], ctx),
    handleBatch,
  };
}

export const heartRateMonitor: VigilFunction = createHeartRateMonitor();
