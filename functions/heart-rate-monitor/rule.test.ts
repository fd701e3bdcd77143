import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RULE,
  type Decision,
  evaluate,
  initialState,
  type MonitorState,
  type Sample,
  severityFor,
} from './rule.ts';

const T0 = Date.UTC(2024, 4, 1, 8, 0, 0);
const LIMITS = { low: 40, high: 130 };

/** One sample per second starting at `from` seconds. */
function series(from: number, bpms: number[]): Sample[] {
  return bpms.map((bpm, i) => ({ time: T0 + (from + i) * 1000, bpm }));
}
const repeat = (bpm: number, n: number) => new Array<number>(n).fill(bpm);

function run(samples: Sample[], state: MonitorState = initialState()) {
  return evaluate(state, samples, LIMITS, 'p1');
}
const brief = (ds: Decision[]) => ds.map((d) => `${d.action}:${d.kind}@${(d.at - T0) / 1000}`);

describe('heart-rate rule', () => {
  it('raises tachycardia only after 10 s and 3 samples beyond the limit, once per episode', () => {
    const nine = run(series(0, repeat(140, 10)));
    expect(nine.decisions).toEqual([]);
    const { decisions } = run(series(0, repeat(140, 100)));
    expect(brief(decisions)).toEqual(['raise:tachycardia@10']);
    expect(decisions[0]).toMatchObject({
      alertId: `hr-p1-tachycardia-${T0}`,
      episodeStart: T0,
      samples: 11,
      severity: 'warning',
      sustainedBpm: 140,
    });
  });

  it('does not count a value equal to the limit as beyond it', () => {
    expect(run(series(0, repeat(130, 60))).decisions).toEqual([]);
    expect(run(series(0, repeat(40, 60))).decisions).toEqual([]);
  });

  it('restarts the run when one sample falls back inside the limit', () => {
    const { decisions } = run(series(0, [...repeat(140, 8), 125, ...repeat(140, 11)]));
    expect(decisions.map((d) => d.alertId)).toEqual([`hr-p1-tachycardia-${T0 + 9000}`]);
    expect(brief(decisions)).toEqual(['raise:tachycardia@19']);
  });

  it('rates severity by the least extreme value of the sustained run', () => {
    expect(severityFor('tachycardia', 143, LIMITS)).toBe('minor'); // 1.1
    expect(severityFor('tachycardia', 156, LIMITS)).toBe('major'); // 1.2
    expect(severityFor('tachycardia', 169, LIMITS)).toBe('critical'); // 1.3
    expect(severityFor('bradycardia', 36, LIMITS)).toBe('minor'); // 40/36 = 1.11
    expect(severityFor('bradycardia', 30, LIMITS)).toBe('critical'); // 1.33
    // One 200 bpm spike in a run otherwise at 140 does not make it critical.
    const { decisions } = run(series(0, [140, 200, ...repeat(140, 10)]));
    expect(decisions[0]).toMatchObject({ severity: 'warning', sustainedBpm: 140, peakBpm: 200 });
  });

  it('raises bradycardia below the low limit', () => {
    const { decisions } = run(series(0, repeat(30, 12)));
    expect(brief(decisions)).toEqual(['raise:bradycardia@10']);
    expect(decisions[0]).toMatchObject({ severity: 'critical' });
  });

  it('clears only after 10 s at or below high - 5 bpm (hysteresis)', () => {
    const raised = run(series(0, repeat(140, 11)));
    // Hovering between the margin and the limit keeps the episode open.
    const hover = run(series(11, repeat(128, 60)), raised.state);
    expect(hover.decisions).toEqual([]);
    const back = run(series(71, [...repeat(125, 5), 127, ...repeat(120, 11)]), hover.state);
    expect(brief(back.decisions)).toEqual(['clear:tachycardia@87']);
    expect(back.decisions[0]).toMatchObject({
      alertId: `hr-p1-tachycardia-${T0}`,
      recoveredSince: T0 + 77_000,
    });
    // A new breach after the clear is a new episode with a new id.
    const again = run(series(100, repeat(150, 11)), back.state);
    expect(again.decisions.map((d) => d.alertId)).toEqual([`hr-p1-tachycardia-${T0 + 100_000}`]);
  });

  it('needs 3 samples for sparse streams, and a gap over 5 min restarts the run', () => {
    const min = 60_000;
    const sparse = [0, 2, 4].map((m) => ({ time: T0 + m * min, bpm: 150 }));
    expect(run(sparse.slice(0, 2)).decisions).toEqual([]);
    expect(run(sparse).decisions.map((d) => d.at)).toEqual([T0 + 4 * min]);
    const gappy = [0, 2, 8, 10, 12].map((m) => ({ time: T0 + m * min, bpm: 150 }));
    expect(run(gappy).decisions.map((d) => [d.at, d.episodeStart])).toEqual([[T0 + 12 * min, T0 + 8 * min]]);
  });

  it('treats implausible values as a technical alarm that never feeds the patient rule', () => {
    const samples = series(0, [140, 140, 0, 140, 400, 140, -5, ...repeat(140, 6)]);
    const { decisions, state } = run(samples);
    expect(brief(decisions)).toEqual(['raise:hr-implausible@2', 'raise:tachycardia@10']);
    expect(decisions[0]).toMatchObject({ severity: 'minor', alertId: `hr-p1-hr-implausible-${T0 + 2000}` });
    // Zeros are not bradycardia.
    expect(run(series(0, repeat(0, 30))).decisions.map((d) => d.kind)).toEqual(['hr-implausible']);
    // Plausible values for 10 s (from t=7 s, after the last implausible one) clear the technical alarm.
    const cleared = run(series(13, repeat(140, 11)), state);
    expect(brief(cleared.decisions)).toEqual(['clear:hr-implausible@17']);
  });

  it('ignores duplicates, late samples and batch order', () => {
    const samples = series(0, repeat(140, 15));
    const first = run(samples);
    const again = run(samples, first.state);
    expect(again.decisions).toEqual([]);
    expect(again.state).toEqual(first.state);
    const shuffled = run([...samples].reverse());
    expect(shuffled.decisions).toEqual(first.decisions);
    // Samples older than the newest one seen are dropped, even if they would change the outcome.
    const late = run(series(3, repeat(120, 12)), first.state);
    expect(late.decisions).toEqual([]);
  });

  it('gives the same decisions for one big batch and for many small ones', () => {
    const bpms = [
      ...repeat(90, 5),
      ...repeat(135, 20),
      ...repeat(110, 20),
      ...repeat(35, 15),
      ...repeat(60, 15),
    ];
    const whole = run(series(0, bpms));
    let state = initialState();
    const parts: Decision[] = [];
    for (let i = 0; i < bpms.length; i += 7) {
      const r = run(series(i, bpms.slice(i, i + 7)), state);
      state = r.state;
      parts.push(...r.decisions);
    }
    expect(parts).toEqual(whole.decisions);
    expect(brief(whole.decisions)).toEqual([
      'raise:tachycardia@15',
      'clear:tachycardia@35',
      'raise:bradycardia@55',
      'clear:bradycardia@70',
    ]);
    expect(DEFAULT_RULE).toEqual({
      sustainSeconds: 10,
      minSamples: 3,
      clearSeconds: 10,
      hysteresisBpm: 5,
      maxGapSeconds: 300,
    });
  });
});
