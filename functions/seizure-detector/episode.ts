// The episode rule, as pure functions: an episode starts when at least `onsetPositives` of the last
// `onsetWindow` one-second windows are positive, and ends after `endNegatives` consecutive negative
// windows. One alert per episode. Windows are keyed by their start time, so a window seen twice
// (redelivered chunk) or out of order never counts again, and a gap in the data restarts the count.

export interface EpisodeRule {
  onsetPositives: number;
  onsetWindow: number;
  endNegatives: number;
  /** A jump between consecutive window starts above this forgets the recent windows (not continuous data). */
  maxGapMs: number;
}

/**
 * 4 of the last 5 seconds: on the validation split (Bonn validation recordings and the validation scalp
 * seizure) it raised no alert on a normal recording where 3 of 4 raised 3, missed no more seizures, and
 * alerted 1 s later (models/seizure/model-card.md).
 */
export const DEFAULT_EPISODE_RULE: EpisodeRule = {
  onsetPositives: 4,
  onsetWindow: 5,
  endNegatives: 10,
  maxGapMs: 5_000,
};

export interface EpisodeState {
  /** Start (epoch ms) of the latest window counted, null before the first. */
  lastWindowStartMs: number | null;
  /** Start times of the last ≤ onsetWindow windows and whether each was positive (oldest first). */
  recent: Array<{ startMs: number; positive: boolean }>;
  /** The open episode, if any. */
  episode: { startMs: number; negativeRun: number; lastPositiveMs: number } | null;
}

export const INITIAL_EPISODE_STATE: EpisodeState = { lastWindowStartMs: null, recent: [], episode: null };

export type EpisodeTransition =
  | { kind: 'onset'; episodeStartMs: number; windowStartMs: number }
  | { kind: 'end'; episodeStartMs: number; windowStartMs: number; lastPositiveMs: number };

/** Feeds one window; returns the new state (the input is not mutated) and a transition if one happened. */
export function stepEpisode(
  state: EpisodeState,
  rule: EpisodeRule,
  windowStartMs: number,
  positive: boolean,
): { state: EpisodeState; transition: EpisodeTransition | null } {
  if (state.lastWindowStartMs !== null && windowStartMs <= state.lastWindowStartMs)
    return { state, transition: null };
  const gap = state.lastWindowStartMs !== null && windowStartMs - state.lastWindowStartMs > rule.maxGapMs;
  const recent = [...(gap ? [] : state.recent), { startMs: windowStartMs, positive }].slice(
    -rule.onsetWindow,
  );
  let episode = state.episode;
  let transition: EpisodeTransition | null = null;
  if (episode === null) {
    const positives = recent.filter((w) => w.positive);
    if (positives.length >= rule.onsetPositives) {
      const startMs = positives[0]!.startMs;
      episode = { startMs, negativeRun: 0, lastPositiveMs: windowStartMs };
      transition = { kind: 'onset', episodeStartMs: startMs, windowStartMs };
    }
  } else if (positive) {
    episode = { ...episode, negativeRun: 0, lastPositiveMs: windowStartMs };
  } else if (episode.negativeRun + 1 >= rule.endNegatives) {
    transition = {
      kind: 'end',
      episodeStartMs: episode.startMs,
      windowStartMs,
      lastPositiveMs: episode.lastPositiveMs,
    };
    episode = null;
  } else {
    episode = { ...episode, negativeRun: episode.negativeRun + 1 };
  }
  return { state: { lastWindowStartMs: windowStartMs, recent, episode }, transition };
}

/** Runs the rule over a sequence of windows from a fresh state (evaluation of one recording). */
export function runEpisodes(
  rule: EpisodeRule,
  windows: ReadonlyArray<{ startMs: number; positive: boolean }>,
  initial: EpisodeState = INITIAL_EPISODE_STATE,
): { state: EpisodeState; transitions: EpisodeTransition[] } {
  let state = initial;
  const transitions: EpisodeTransition[] = [];
  for (const w of windows) {
    const r = stepEpisode(state, rule, w.startMs, w.positive);
    state = r.state;
    if (r.transition) transitions.push(r.transition);
  }
  return { state, transitions };
}
