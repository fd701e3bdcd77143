import { describe, expect, it } from 'vitest';
import { type EpisodeRule, INITIAL_EPISODE_STATE, runEpisodes, stepEpisode } from './episode.ts';

const rule: EpisodeRule = { onsetPositives: 3, onsetWindow: 4, endNegatives: 3, maxGapMs: 5000 };
const seq = (bits: string, t0 = 0) =>
  [...bits].map((b, i) => ({ startMs: t0 + i * 1000, positive: b === '1' }));

describe('episode rule', () => {
  it('fires once at onset (k of n), with the episode starting at the first positive window', () => {
    const r = runEpisodes(rule, seq('0010110111110'));
    expect(r.transitions).toEqual([{ kind: 'onset', episodeStartMs: 2000, windowStartMs: 5000 }]);
    expect(r.state.episode).not.toBeNull();
  });

  it('does not fire on isolated positives (debounce)', () => {
    expect(runEpisodes(rule, seq('1001001001010010')).transitions).toEqual([]);
  });

  it('ends after m consecutive negatives, and a later burst is a new episode', () => {
    const r = runEpisodes(rule, seq('111' + '0100' + '000' + '111'));
    expect(r.transitions.map((t) => [t.kind, t.windowStartMs])).toEqual([
      ['onset', 2000],
      ['end', 7000],
      ['onset', 12000],
    ]);
    expect(r.transitions[1]).toMatchObject({ kind: 'end', episodeStartMs: 0, lastPositiveMs: 4000 });
  });

  it('ignores windows already seen (redelivery, out of order) and does not mutate its input', () => {
    const once = runEpisodes(rule, seq('111'));
    const frozen = JSON.stringify(once.state);
    const again = runEpisodes(rule, seq('111'), once.state);
    expect(again.transitions).toEqual([]);
    expect(again.state).toBe(once.state);
    expect(JSON.stringify(once.state)).toBe(frozen);
    expect(stepEpisode(INITIAL_EPISODE_STATE, rule, 0, true).state).not.toBe(INITIAL_EPISODE_STATE);
  });

  it('a gap in the data forgets the recent windows', () => {
    const r = runEpisodes(rule, [...seq('11'), ...seq('1', 60_000)]);
    expect(r.transitions).toEqual([]);
  });
});
