import { describe, expect, it } from 'vitest';
import { defaultDetectionThreads } from './embedded.ts';

describe('embedded runtime defaults', () => {
  it('puts detection on one thread beside the event loop when there is a second core, never more', () => {
    expect(defaultDetectionThreads(1)).toBe(0);
    expect(defaultDetectionThreads(2)).toBe(1);
    expect(defaultDetectionThreads(16)).toBe(1);
  });
});
