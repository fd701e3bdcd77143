import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/env.ts';
import { heartRatePriority, kindPriority } from './alarm-priority.ts';

describe('alarm priorities', () => {
  it('defaults: seizure high, heart rate medium (high beyond 40-150 bpm), technical low or medium', () => {
    const cfg = loadConfig({});
    expect(kindPriority('seizure', cfg)).toBe('high');
    expect(heartRatePriority('tachycardia', 150, cfg)).toBe('medium');
    expect(heartRatePriority('tachycardia', 151, cfg)).toBe('high');
    expect(heartRatePriority('bradycardia', 40, cfg)).toBe('medium');
    expect(heartRatePriority('bradycardia', 39, cfg)).toBe('high');
    expect(kindPriority('device-silent', cfg)).toBe('medium');
    expect(kindPriority('eeg-clipping', cfg)).toBe('low');
    expect(kindPriority('hr-implausible', cfg)).toBe('low');
  });

  it('is configurable per kind and for the extreme limits, and refuses what it cannot read', () => {
    const cfg = loadConfig({
      VIGIL_ALARM_PRIORITIES: 'eeg-clipping=medium, tachycardia=high',
      VIGIL_HR_EXTREME_HIGH_BPM: '180',
    });
    expect(kindPriority('eeg-clipping', cfg)).toBe('medium');
    expect(heartRatePriority('tachycardia', 140, cfg)).toBe('high');
    expect(heartRatePriority('bradycardia', 45, loadConfig({ VIGIL_HR_EXTREME_LOW_BPM: '50' }))).toBe('high');
    expect(() => loadConfig({ VIGIL_ALARM_PRIORITIES: 'seizure=urgent' })).toThrow(ConfigError);
    expect(() => loadConfig({ VIGIL_ALARM_PRIORITIES: 'hiccups=low' })).toThrow(/hiccups=low/);
  });
});
