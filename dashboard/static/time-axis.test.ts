// The chart time axis: ticks on round steps of the ward's clock, wall-time conversion across zones and
// daylight saving, and gaps drawn as gaps.
import { describe, expect, it } from 'vitest';
// The browser module has no types: its functions are used untyped here.
// biome-ignore format: the directive below must stay on the import's line
// @ts-expect-error
import { gapThreshold, msToWardWall, tickStep, timeTicks, wardWallToMs, withGaps, zoneOffsetMs } from './time-axis.js';

const MIN = 60_000;

describe('time axis', () => {
  it('knows zone offsets, including half-hour zones and daylight saving', () => {
    expect(zoneOffsetMs(Date.parse('2026-01-15T12:00:00Z'), 'Europe/Rome')).toBe(60 * MIN);
    expect(zoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'Europe/Rome')).toBe(120 * MIN);
    expect(zoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'Asia/Kolkata')).toBe(330 * MIN);
    expect(zoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'UTC')).toBe(0);
  });

  it('puts ticks on round steps of the ward clock, not of UTC', () => {
    const from = Date.parse('2026-07-15T10:07:13Z');
    const to = from + 4 * 60 * MIN;
    const { step, ticks } = timeTicks(from, to, 'Asia/Kolkata', 8);
    expect(step).toBe(30 * MIN);
    for (const t of ticks) expect((t + 330 * MIN) % step).toBe(0);
    expect(new Set(ticks.slice(1).map((t: number, i: number) => t - ticks[i]))).toEqual(new Set([step]));
    expect(ticks[0]).toBeGreaterThanOrEqual(from);
    expect(ticks[ticks.length - 1]).toBeLessThanOrEqual(to);
  });

  it('chooses a step for the span: 2 min for 15 min, 5 min for 1 h, 3 h for 24 h at 8 ticks', () => {
    expect(tickStep(0, 15 * MIN, 8)).toBe(2 * MIN);
    expect(tickStep(0, 60 * MIN, 8)).toBe(10 * MIN);
    expect(tickStep(0, 24 * 60 * MIN, 8)).toBe(3 * 60 * MIN);
    expect(tickStep(0, 10_000, 10)).toBe(1000);
  });

  it('keeps ticks on the hour across a daylight-saving change', () => {
    const from = Date.parse('2026-03-29T00:00:00Z');
    const { ticks } = timeTicks(from, from + 3 * 60 * MIN, 'Europe/Rome', 4);
    const hours = ticks.map((t: number) => msToWardWall(t, 'Europe/Rome').slice(11, 16));
    expect(hours).toEqual(['01:00', '03:00', '04:00', '05:00']);
  });

  it('converts ward wall time to instants and back', () => {
    const ms = wardWallToMs('2026-11-26T14:03:05', 'Europe/Rome');
    expect(new Date(ms).toISOString()).toBe('2026-11-26T13:03:05.000Z');
    expect(msToWardWall(ms, 'Europe/Rome')).toBe('2026-11-26T14:03:05');
    expect(Number.isNaN(wardWallToMs('yesterday', 'UTC'))).toBe(true);
  });

  it('breaks the line where the data stops, at three times its usual spacing', () => {
    const xs = [0, 1000, 2000, 3000, 40_000, 41_000, 42_000];
    const gap = gapThreshold(xs, 2000);
    expect(gap).toBe(3000);
    const { points, gaps } = withGaps(
      xs.map((x) => ({ x, y: 70 })),
      gap,
    );
    expect(points.filter((p: { y: number | null }) => p.y === null)).toHaveLength(1);
    expect(gaps).toEqual([{ from: 3000, to: 40_000 }]);
    expect(
      withGaps(
        [
          { x: 0, y: 1 },
          { x: 1000, y: 1 },
        ],
        gap,
      ).gaps,
    ).toEqual([]);
  });
});
