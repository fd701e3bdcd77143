// Which IEC 60601-1-8 priority an alarm condition gets: the kind's (configurable, VIGIL_ALARM_PRIORITIES
// over storage/alert-vocabulary.ts DEFAULT_PRIORITIES), and for heart rate, high once the sustained rate
// is beyond the extreme limits (VIGIL_HR_EXTREME_LOW_BPM / _HIGH_BPM) whatever the patient's own limits.
import { type Config, getConfig } from '../config/env.ts';
import { type AlertKind, DEFAULT_PRIORITIES, type Priority } from '../storage/alert-vocabulary.ts';

export type PrioritySettings = Pick<
  Config,
  'VIGIL_ALARM_PRIORITIES' | 'VIGIL_HR_EXTREME_LOW_BPM' | 'VIGIL_HR_EXTREME_HIGH_BPM'
>;

export function kindPriority(kind: AlertKind, settings: PrioritySettings = getConfig()): Priority {
  return settings.VIGIL_ALARM_PRIORITIES[kind] ?? DEFAULT_PRIORITIES[kind];
}

export function heartRatePriority(
  kind: 'tachycardia' | 'bradycardia',
  sustainedBpm: number,
  settings: PrioritySettings = getConfig(),
): Priority {
  const extreme =
    kind === 'tachycardia'
      ? sustainedBpm > settings.VIGIL_HR_EXTREME_HIGH_BPM
      : sustainedBpm < settings.VIGIL_HR_EXTREME_LOW_BPM;
  return extreme ? 'high' : kindPriority(kind, settings);
}
