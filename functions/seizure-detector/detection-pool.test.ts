import { afterAll, describe, expect, it } from 'vitest';
import { type EegChunk, EVENT_TYPES } from '../../eventing/contract.ts';
import type { VigilEvent } from '../../eventing/event.ts';
import { DetectionPool } from './detection-pool.ts';
import { DEFAULT_EPISODE_RULE } from './episode.ts';
import { loadSeizureModel } from './model.ts';
import { type DetectorState, INITIAL_STATE, type ScoredRun, scoreStream } from './stream-scoring.ts';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const settings = { rule: DEFAULT_EPISODE_RULE, nowMs: T0 + 3_600_000, maxClockSkewSeconds: 30 };

/** Two channels, 3 s at 256 Hz: a 10 Hz rhythm and a sharper 3 Hz spike-and-wave-like signal, scaled. */
function chunk(i: number, scale = 1, patientId = 'pat-1'): VigilEvent<EegChunk> {
  const n = 3 * 256;
  return {
    specversion: '1.0',
    id: `c-${patientId}-${i}`,
    source: '/devices/dev-1',
    type: EVENT_TYPES.eegChunk,
    data: {
      patientId,
      deviceId: 'dev-1',
      startTime: new Date(T0 + i * 3000).toISOString(),
      sampleRateHz: 256,
      channels: ['F7-T7', 'T7-P7'],
      unit: 'uV',
      samples: [
        Float32Array.from({ length: n }, (_, k) => scale * 40 * Math.sin((2 * Math.PI * 10 * k) / 256)),
        Float32Array.from(
          { length: n },
          (_, k) => scale * (300 * Math.sin((2 * Math.PI * 3 * k) / 256) ** 9 + ((k + i) % 7)),
        ),
      ],
    },
  };
}

async function scoreHere(state: DetectorState, chunks: VigilEvent<EegChunk>[]): Promise<ScoredRun> {
  return scoreStream(state, chunks, settings, await loadSeizureModel());
}

describe('DetectionPool', () => {
  const pool = new DetectionPool({ threads: 2 });
  afterAll(() => pool.close());

  it('answers exactly what scoreStream answers on this thread, for a whole run of chunks', async () => {
    const run = [chunk(0), chunk(1), chunk(2, 3)];
    const here = await scoreHere(INITIAL_STATE, run);
    const there = await pool.score(INITIAL_STATE, run, settings);
    expect(there.events.filter((e) => e.type === EVENT_TYPES.eegPrediction)).toHaveLength(3);
    expect(there).toEqual(here);
    expect(there.changed).toBe(true);
  });

  it('a run scored at once equals its chunks scored one run each, the state carried between them', async () => {
    const run = [chunk(0), chunk(1), chunk(2, 3), chunk(3)];
    const whole = await pool.score(INITIAL_STATE, run, settings);
    let state = INITIAL_STATE;
    const events = [];
    for (const c of run) {
      const one = await pool.score(state, [c], settings);
      events.push(...one.events);
      state = one.state;
    }
    expect(whole.events).toEqual(events);
    expect(whole.state).toEqual(state);
    // the context carried: the last chunk scored with its past differs from the same chunk alone
    const alone = await pool.score(INITIAL_STATE, [run[3]!], settings);
    expect(alone.events[0]!.data).not.toEqual(whole.events.at(-1)!.data);
  });

  it('a replayed run changes nothing and says so', async () => {
    const first = await pool.score(INITIAL_STATE, [chunk(0), chunk(1)], settings);
    const again = await pool.score(first.state, [chunk(0), chunk(1)], settings);
    expect(again.changed).toBe(false);
    expect(again.state).toEqual(first.state);
  });

  it('keeps many concurrent runs apart', async () => {
    const runs = Array.from({ length: 12 }, (_, k) => [
      chunk(0, 1 + k, `pat-${k}`),
      chunk(1, 1 + k, `pat-${k}`),
    ]);
    const expected = await Promise.all(runs.map((r) => scoreHere(INITIAL_STATE, r)));
    const got = await Promise.all(runs.map((r) => pool.score(INITIAL_STATE, r, settings)));
    expect(got).toEqual(expected);
  });

  it('rejects with the thread’s error instead of hanging', async () => {
    const bad = chunk(0);
    bad.data!.sampleRateHz = Number.NaN;
    await expect(pool.score(INITIAL_STATE, [bad], settings)).rejects.toThrow();
  });

  it('refuses work once closed', async () => {
    const p = new DetectionPool();
    await p.close();
    await expect(p.score(INITIAL_STATE, [chunk(0)], settings)).rejects.toThrow(/closed/);
  });
});
