import { describe, expect, it } from 'vitest';
import { specificityThreshold } from './threshold.ts';

describe('specificityThreshold', () => {
  // 100 normal windows scoring 0.00..0.99, two seizure windows
  const normal = Array.from({ length: 100 }, (_, i) => i / 100);
  const truth = [...normal.map(() => 0), 1, 1];
  const scores = [...normal, 0.95, 0.5];

  it('is the lowest threshold whose specificity reaches the floor', () => {
    // 99 % of 100 normal windows below t: t must exceed 0.98
    expect(specificityThreshold(truth, scores, 0.99)).toBe(0.981);
    expect(specificityThreshold(truth, scores, 0.9)).toBe(0.891);
  });

  it('is null when no threshold below 1 reaches it', () => {
    expect(specificityThreshold([0, 1], [0.9995, 1], 1)).toBeNull();
  });
});
