// The heart-rate alarm rule, as pure functions over a small state object (no I/O, no clock).
//
// Rule (all durations in sample time, never arrival time):
// - A sample is "beyond" when bpm > high (tachycardia) or bpm < low (bradycardia).
// - An alarm is raised once the patient has been beyond the limit on every sample for at least
//   `sustainSeconds` (first to latest beyond sample) AND on at least `minSamples` consecutive samples.
//   Both are needed: the duration guards 1 Hz streams against brief spikes, the count guards sparse
//   streams (a watch sampling every few minutes) against two readings that merely happen to be far apart.
// - One alarm per episode. The episode ends (alert.cleared) only when the rate has been back inside the
//   limit by a hysteresis margin (bpm <= high - hysteresisBpm, or >= low + hysteresisBpm) for at least
//   `clearSeconds` AND `minSamples` samples; values between the limit and the margin keep the episode
//   open, so a rate hovering around the limit does not flap.
// - A gap longer than `maxGapSeconds` between consecutive samples restarts a pending run (nothing is
//   known about the time in between).
// - Implausible values (bpm <= 0 or > 300) are a signal-quality problem: they raise one technical
//   `hr-implausible` alarm per episode (cleared after `clearSeconds` of plausible samples) and never
//   enter the patient rule.
// - Severity from how far beyond the limit the rate stayed during the sustained run, as a ratio
//   (tachycardia: sustained / high, bradycardia: low / sustained, where "sustained" is the least extreme
//   value of the run): >= 1.3 critical, >= 1.2 major, >= 1.1 minor, otherwise warning.
import type { Severity } from '../../storage/alerts-store.ts';
import type { HeartRateLimits } from '../../storage/limits-store.ts';

export interface RuleConfig {
  sustainSeconds: number;
  minSamples: number;
  clearSeconds: number;
  hysteresisBpm: number;
  maxGapSeconds: number;
}

export const DEFAULT_RULE: RuleConfig = {
  sustainSeconds: 10,
  minSamples: 3,
  clearSeconds: 10,
  hysteresisBpm: 5,
  maxGapSeconds: 300,
};

export const IMPLAUSIBLE = { maxBpm: 300 } as const;
export const IMPLAUSIBLE_SEVERITY: Severity = 'minor';

export type PatientKind = 'tachycardia' | 'bradycardia';
export type MonitorKind = PatientKind | 'hr-implausible';

interface Run {
  start: number;
  last: number;
  count: number;
  /** Least extreme bpm of the run (what the patient sustained) and the most extreme. */
  sustained: number;
  peak: number;
}

export interface Episode {
  alertId: string;
  start: number;
  recovery: Run | null;
}

export interface KindState {
  pending: Run | null;
  open: Episode | null;
}

export interface MonitorState {
  /** Time (ms) of the newest sample processed; older or equal samples are ignored. */
  lastTime: number | null;
  tachycardia: KindState;
  bradycardia: KindState;
  implausible: KindState;
}

export function initialState(): MonitorState {
  const empty = (): KindState => ({ pending: null, open: null });
  return { lastTime: null, tachycardia: empty(), bradycardia: empty(), implausible: empty() };
}

export interface Sample {
  time: number;
  bpm: number;
}

export interface RaiseDecision {
  action: 'raise';
  kind: MonitorKind;
  alertId: string;
  at: number;
  severity: Severity;
  episodeStart: number;
  samples: number;
  sustainedBpm: number;
  peakBpm: number;
}

export interface ClearDecision {
  action: 'clear';
  kind: MonitorKind;
  alertId: string;
  at: number;
  episodeStart: number;
  recoveredSince: number;
}

export type Decision = RaiseDecision | ClearDecision;

/** `stream`: the patient's device stream (eventing/alert-events.ts streamId). */
export function alertIdFor(stream: string, kind: MonitorKind, episodeStartMs: number): string {
  return `hr-${stream}-${kind}-${episodeStartMs}`;
}

export function isImplausible(bpm: number): boolean {
  return !Number.isFinite(bpm) || bpm <= 0 || bpm > IMPLAUSIBLE.maxBpm;
}

export function severityFor(kind: PatientKind, sustainedBpm: number, limits: HeartRateLimits): Severity {
  const ratio = kind === 'tachycardia' ? sustainedBpm / limits.high : limits.low / sustainedBpm;
  if (ratio >= 1.3) return 'critical';
  if (ratio >= 1.2) return 'major';
  if (ratio >= 1.1) return 'minor';
  return 'warning';
}

/** Extends a run with a sample, or starts a new one after a gap. `moreExtreme(a, b)`: a is further out than b. */
function extend(
  run: Run | null,
  s: Sample,
  maxGapMs: number,
  moreExtreme: (a: number, b: number) => boolean,
): Run {
  if (!run || s.time - run.last > maxGapMs)
    return { start: s.time, last: s.time, count: 1, sustained: s.bpm, peak: s.bpm };
  return {
    start: run.start,
    last: s.time,
    count: run.count + 1,
    sustained: moreExtreme(run.sustained, s.bpm) ? s.bpm : run.sustained,
    peak: moreExtreme(s.bpm, run.peak) ? s.bpm : run.peak,
  };
}

const satisfied = (run: Run, seconds: number, minSamples: number) =>
  run.last - run.start >= seconds * 1000 && run.count >= minSamples;

/**
 * One step of one kind's episode tracker. `beyond`: the sample is out of range for this kind;
 * `recovered`: it is back inside by the hysteresis margin.
 */
interface KindStep {
  kind: MonitorKind;
  beyond: boolean;
  recovered: boolean;
  /** Raise after this much sustained time and this many samples. */
  raiseAfter: { seconds: number; minSamples: number };
  /** a is further out of range than b. */
  moreExtreme: (a: number, b: number) => boolean;
  severityOf: (run: Run) => Severity;
}

function stepKind(
  st: KindState,
  s: Sample,
  k: KindStep,
  stream: string,
  rule: RuleConfig,
): { state: KindState; decision?: Decision } {
  const { kind, beyond, recovered, moreExtreme } = k;
  const gap = rule.maxGapSeconds * 1000;
  if (st.open) {
    if (!recovered) return { state: { pending: null, open: { ...st.open, recovery: null } } };
    const recovery = extend(st.open.recovery, s, gap, () => false);
    if (!satisfied(recovery, rule.clearSeconds, rule.minSamples))
      return { state: { pending: null, open: { ...st.open, recovery } } };
    return {
      state: { pending: null, open: null },
      decision: {
        action: 'clear',
        kind,
        alertId: st.open.alertId,
        at: s.time,
        episodeStart: st.open.start,
        recoveredSince: recovery.start,
      },
    };
  }
  if (!beyond) return { state: { pending: null, open: null } };
  const run = extend(st.pending, s, gap, moreExtreme);
  if (!satisfied(run, k.raiseAfter.seconds, k.raiseAfter.minSamples))
    return { state: { pending: run, open: null } };
  const alertId = alertIdFor(stream, kind, run.start);
  return {
    state: { pending: null, open: { alertId, start: run.start, recovery: null } },
    decision: {
      action: 'raise',
      kind,
      alertId,
      at: s.time,
      severity: k.severityOf(run),
      episodeStart: run.start,
      samples: run.count,
      sustainedBpm: run.sustained,
      peakBpm: run.peak,
    },
  };
}

const higher = (a: number, b: number) => a > b;
const lower = (a: number, b: number) => a < b;

/**
 * Feeds one device stream's samples (any order, any duplicates) through the rule. Samples not newer
 * than the state's last time are ignored, so a redelivered or late batch changes nothing.
 */
export function evaluate(
  state: MonitorState,
  samples: readonly Sample[],
  limits: HeartRateLimits,
  stream: string,
  rule: RuleConfig = DEFAULT_RULE,
): { state: MonitorState; decisions: Decision[] } {
  const ordered = [...samples].sort((a, b) => a.time - b.time);
  let st = state;
  const decisions: Decision[] = [];
  const sustained = { seconds: rule.sustainSeconds, minSamples: rule.minSamples };
  for (const s of ordered) {
    if (st.lastTime !== null && s.time <= st.lastTime) continue;
    const next: MonitorState = { ...st, lastTime: s.time };
    const implausible = isImplausible(s.bpm);
    // A signal-quality problem is reported at once: the first implausible value raises.
    const imp = stepKind(
      st.implausible,
      s,
      {
        kind: 'hr-implausible',
        beyond: implausible,
        recovered: !implausible,
        raiseAfter: { seconds: 0, minSamples: 1 },
        moreExtreme: higher,
        severityOf: () => IMPLAUSIBLE_SEVERITY,
      },
      stream,
      rule,
    );
    next.implausible = imp.state;
    if (imp.decision) decisions.push(imp.decision);
    if (!implausible) {
      const tachy = stepKind(
        st.tachycardia,
        s,
        {
          kind: 'tachycardia',
          beyond: s.bpm > limits.high,
          recovered: s.bpm <= limits.high - rule.hysteresisBpm,
          raiseAfter: sustained,
          moreExtreme: higher,
          severityOf: (run) => severityFor('tachycardia', run.sustained, limits),
        },
        stream,
        rule,
      );
      const brady = stepKind(
        st.bradycardia,
        s,
        {
          kind: 'bradycardia',
          beyond: s.bpm < limits.low,
          recovered: s.bpm >= limits.low + rule.hysteresisBpm,
          raiseAfter: sustained,
          moreExtreme: lower,
          severityOf: (run) => severityFor('bradycardia', run.sustained, limits),
        },
        stream,
        rule,
      );
      next.tachycardia = tachy.state;
      next.bradycardia = brady.state;
      if (tachy.decision) decisions.push(tachy.decision);
      if (brady.decision) decisions.push(brady.decision);
    }
    st = next;
  }
  return { state: st, decisions };
}
