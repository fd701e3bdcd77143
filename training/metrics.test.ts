import { describe, expect, it } from 'vitest';
import { confusion, fromCounts, rocAuc } from './metrics.ts';

describe('metrics', () => {
  it('confusion matrix, sensitivity and specificity from constructed labels', () => {
    // 4 seizure (3 found), 6 normal (1 false alarm)
    const truth = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
    const pred = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0];
    const c = confusion(truth, pred);
    expect(c).toEqual({ tp: 3, fn: 1, fp: 1, tn: 5, sensitivity: 0.75, specificity: 5 / 6 });
    expect(fromCounts(0, 0, 0, 0)).toMatchObject({ sensitivity: 0, specificity: 0 });
    expect(() => confusion([1], [])).toThrow();
  });

  it('ROC AUC: perfect, inverted, ties and the Mann-Whitney value', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])).toBe(0);
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
    // positives 0.4, 0.8; negatives 0.1, 0.5, 0.9 → pairs won: (0.4>0.1) + (0.8>0.1, 0.8>0.5) = 3 of 6
    expect(rocAuc([1, 1, 0, 0, 0], [0.4, 0.8, 0.1, 0.5, 0.9])).toBe(0.5);
    expect(rocAuc([1, 1], [0.1, 0.2])).toBeNaN();
  });
});
