// heart-rate-monitor: heartrate.sample -> alert.raised / alert.cleared (tachycardia, bradycardia,
// and the technical hr-implausible). The rule lives in rule.ts; this file does the I/O around it:
// per-patient limits, the episode state in function_state (optimistic versions, retried on conflict),
// and reply events with ids derived from the alert, so redelivery and replicas never duplicate an alert.

import { alertClearedEvent, alertRaisedEvent } from '../../eventing/alert-events.ts';
import {
  type AlertCleared,
  type AlertRaised,
  EVENT_TYPES,
  type HeartRateSample,
  heartRateSampleData,
} from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import type { FunctionContext, VigilFunction } from '../../eventing/subscriber.ts';
import { readState, updateState, writeState } from '../../storage/function-state.ts';
import { getLimits, type HeartRateLimits } from '../../storage/limits-store.ts';
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
 * What is kept per patient. `recent` remembers the replies of the last few inputs that produced any:
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
    evidence: { ...evidence, deviceId: input.deviceId, source: input.source },
    raisedAt: iso(d.at),
  };
  return alertRaisedEvent(HEART_RATE_MONITOR_SOURCE, data);
}

function parseInput(event: VigilEvent): HeartRateSample {
  const parsed = heartRateSampleData.safeParse(event.data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  // Not retryable into validity: the broker's retries end in the dead-letter sink, where it is kept.
  throw new Error(
    `${HEART_RATE_MONITOR}: invalid ${event.type} data at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? ''}`,
  );
}

type PatientEvents = Array<{ key: string; data: HeartRateSample }>;

/** Pure: one patient's events, in order, through the rule from a stored state. */
function step(
  cur: StoredMonitorState | undefined,
  patientId: string,
  events: PatientEvents,
  limits: HeartRateLimits,
  rule: RuleConfig,
): { value: StoredMonitorState; result: VigilEvent[] } {
  let stored: StoredMonitorState = cur ?? { rule: initialState(), recent: [] };
  const out: VigilEvent[] = [];
  for (const ev of events) {
    const seen = stored.recent.find((r) => r.key === ev.key);
    if (seen) {
      out.push(...seen.replies);
      continue;
    }
    const samples = ev.data.samples.map((s) => ({ time: Date.parse(s.time), bpm: s.bpm }));
    const { state, decisions } = evaluate(stored.rule, samples, limits, patientId, rule);
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

/** Another replica wrote a patient's state between our read and our write. */
class StateConflict extends Error {}

/**
 * Every patient of a batch in ONE transaction: one commit (one fsync on SQLite) per batch instead of one
 * per patient, which is what keeps 1,000 samples/s from many patients cheap. A version conflict aborts
 * the transaction (nothing written, no replies) and the batch falls back to per-patient retries.
 */
async function handleAllInOneTransaction(
  groups: Map<string, PatientEvents>,
  ctx: FunctionContext,
  rule: RuleConfig,
): Promise<VigilEvent[]> {
  return ctx.db.tx(async (tx) => {
    const replies: VigilEvent[] = [];
    for (const [patientId, list] of groups) {
      const limits = await getLimits(tx, patientId);
      const cur = await readState<StoredMonitorState>(tx, HEART_RATE_MONITOR, patientId);
      const { value, result } = step(cur?.value, patientId, list, limits, rule);
      if (!(await writeState(tx, HEART_RATE_MONITOR, patientId, value, cur?.version ?? 0)))
        throw new StateConflict();
      replies.push(...result);
    }
    return replies;
  });
}

async function handlePerPatient(
  groups: Map<string, PatientEvents>,
  ctx: FunctionContext,
  rule: RuleConfig,
): Promise<VigilEvent[]> {
  const replies: VigilEvent[] = [];
  for (const [patientId, list] of groups) {
    const limits = await getLimits(ctx.db, patientId);
    replies.push(
      ...(await updateState<StoredMonitorState, VigilEvent[]>(ctx.db, HEART_RATE_MONITOR, patientId, (cur) =>
        step(cur, patientId, list, limits, rule),
      )),
    );
  }
  return replies;
}

export function createHeartRateMonitor(rule: RuleConfig = DEFAULT_RULE): VigilFunction {
  async function handleBatch(events: VigilEvent[], ctx: FunctionContext): Promise<VigilEvent[]> {
    const byPatient = new Map<string, PatientEvents>();
    for (const event of events) {
      if (event.type !== EVENT_TYPES.heartRateSample) continue;
      const data = parseInput(event);
      const list = byPatient.get(data.patientId) ?? [];
      list.push({ key: `${event.source} ${event.id}`, data });
      byPatient.set(data.patientId, list);
    }
    if (byPatient.size === 0) return [];
    try {
      return await handleAllInOneTransaction(byPatient, ctx, rule);
    } catch (err) {
      if (!(err instanceof StateConflict)) throw err;
      return handlePerPatient(byPatient, ctx, rule);
    }
  }
  return {
    name: HEART_RATE_MONITOR,
    handle: (event, ctx) => handleBatch([event], ctx),
    handleBatch,
  };
}

export const heartRateMonitor: VigilFunction = createHeartRateMonitor();
