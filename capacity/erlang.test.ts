import { describe, expect, it } from 'vitest';
import { blockingCurve, erlangB, erlangBServers, erlangC } from './erlang.ts';

describe('Erlang B', () => {
  it('matches published table values', () => {
    // A = 10 Erl, m = 15: P_B = 0.0365 (standard Erlang B tables).
    expect(erlangB(10, 15)).toBeCloseTo(0.0365, 4);
    // 1 % blocking at A = 10 Erl needs 18 servers (B(17) = 0.0129 > 0.01 ≥ B(18) = 0.0071).
    expect(erlangBServers(10, 0.01)).toBe(18);
    expect(erlangB(10, 17)).toBeGreaterThan(0.01);
    expect(erlangB(10, 18)).toBeLessThanOrEqual(0.01);
    // Closed forms for tiny systems: B(1) = A/(1+A), B(2) = A²/2 / (1 + A + A²/2).
    expect(erlangB(3, 1)).toBeCloseTo(0.75, 12);
    expect(erlangB(2, 2)).toBeCloseTo(2 / 5, 12);
    expect(erlangB(5, 0)).toBe(1);
    expect(erlangB(0, 3)).toBe(0);
  });

  it('stays finite where factorials overflow (m = 10,000)', () => {
    const b = erlangB(9500, 10_000);
    expect(Number.isFinite(b)).toBe(true);
    expect(b).toBeGreaterThan(0);
    expect(b).toBeLessThan(0.05);
    const m = erlangBServers(9500, 0.01);
    expect(erlangB(9500, m)).toBeLessThanOrEqual(0.01);
    expect(erlangB(9500, m - 1)).toBeGreaterThan(0.01);
  });

  it('rejects nonsense', () => {
    expect(() => erlangB(-1, 3)).toThrow(RangeError);
    expect(() => erlangB(1, 2.5)).toThrow(RangeError);
    expect(() => erlangBServers(1, 0)).toThrow(RangeError);
    expect(() => erlangBServers(1, 1)).toThrow(RangeError);
  });
});

describe('Erlang C', () => {
  it('follows from B and is at least B', () => {
    // A = 10, m = 15: C = 15·B / (15 − 10·(1 − B)) with B = 0.036497 → 0.5475 / 5.3650 = 0.1020.
    expect(erlangC(10, 15)).toBeCloseTo(0.102, 3);
    expect(erlangC(10, 15)).toBeGreaterThan(erlangB(10, 15));
    expect(erlangC(10, 10)).toBe(1);
    expect(erlangC(2, 1)).toBe(1);
  });
});

describe('blockingCurve', () => {
  it('gives one series per m with P_B falling as m grows', () => {
    const s = blockingCurve(20, 10, 10);
    expect(s).toHaveLength(20);
    expect(s[14]!.servers).toBe(15);
    expect(s[14]!.points).toHaveLength(11);
    expect(s[14]!.points[10]).toEqual({ offeredTraffic: 10, blocking: erlangB(10, 15) });
    expect(s[0]!.points[0]!.blocking).toBe(0);
    for (let m = 1; m < 20; m++)
      expect(s[m]!.points[10]!.blocking).toBeLessThan(s[m - 1]!.points[10]!.blocking);
  });
});
