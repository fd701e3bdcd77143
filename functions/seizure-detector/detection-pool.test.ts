import { afterAll, describe, expect, it } from 'vitest';
import { detectChunk } from './detect.ts';
import { DetectionPool } from './detection-pool.ts';
import { loadSeizureModel } from './model.ts';

/** Two channels, 3 s at 256 Hz: a 10 Hz rhythm and a sharper 3 Hz spike-and-wave-like signal. */
function chunk(): number[][] {
  const n = 3 * 256;
  return [
    Array.from({ length: n }, (_, i) => 40 * Math.sin((2 * Math.PI * 10 * i) / 256)),
    Array.from({ length: n }, (_, i) => 300 * Math.sin((2 * Math.PI * 3 * i) / 256) ** 9 + (i % 7)),
  ];
}

describe('DetectionPool', () => {
  const pool = new DetectionPool({ threads: 2 });
  afterAll(() => pool.close());

  it('answers exactly what detectChunk answers on this thread', async () => {
    const samples = chunk();
    const here = await detectChunk(await loadSeizureModel(), samples, 256);
    const there = await pool.detect(samples, 256, null);
    expect(there.windowScores).toHaveLength(3);
    expect(there).toEqual(here);
  });

  it('answers the same for float32 rows, the form every chunk has past the door', async () => {
    const samples = chunk().map((row) => Float32Array.from(row));
    const here = await detectChunk(await loadSeizureModel(), samples, 256);
    expect(await pool.detect(samples, 256, null)).toEqual(here);
  });

  it('scores with the history it is given and hands back the next one', async () => {
    const model = await loadSeizureModel();
    const first = await detectChunk(model, chunk(), 256);
    const here = await detectChunk(model, chunk(), 256, first.history);
    const there = await pool.detect(chunk(), 256, first.history);
    expect(there).toEqual(here);
    expect(there.history.windows).toBe(6);
    // same samples, other past: the context inputs differ, so the scores do
    expect(there.windowScores).not.toEqual(first.windowScores);
  });

  it('keeps many concurrent requests apart', async () => {
    const inputs = Array.from({ length: 12 }, (_, k) => chunk().map((row) => row.map((v) => v * (1 + k))));
    const model = await loadSeizureModel();
    const expected = await Promise.all(inputs.map((s) => detectChunk(model, s, 256)));
    const got = await Promise.all(inputs.map((s) => pool.detect(s, 256, null)));
    expect(got).toEqual(expected);
  });

  it('rejects with the thread’s error instead of hanging', async () => {
    await expect(pool.detect([[1, 2, 3]], Number.NaN, null)).rejects.toThrow();
  });

  it('refuses work once closed', async () => {
    const p = new DetectionPool();
    await p.close();
    await expect(p.detect(chunk(), 256, null)).rejects.toThrow(/closed/);
  });
});
