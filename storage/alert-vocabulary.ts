// The alert kinds and severities storage records. The event contract (eventing/contract.ts) takes its
// enums from here, so every alert an event can carry is one the alert store can hold.
export const ALERT_KINDS = [
  'seizure',
  'tachycardia',
  'bradycardia',
  'device-silent',
  'eeg-flatline',
  'eeg-clipping',
  'hr-implausible',
  'device-clock-wrong',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ALERT_CATEGORIES = ['patient', 'technical'] as const;
export type AlertCategory = (typeof ALERT_CATEGORIES)[number];

/** Kinds about the equipment, not the patient (IEC 60601-1-8 technical alarm conditions). */
export const TECHNICAL_KINDS: ReadonlySet<AlertKind> = new Set([
  'device-silent',
  'eeg-flatline',
  'eeg-clipping',
  'hr-implausible',
  'device-clock-wrong',
]);

/** IEC 60601-1-8 alarm priorities, most urgent first. */
export const PRIORITIES = ['high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/**
 * Each kind's priority unless configured otherwise (VIGIL_ALARM_PRIORITIES): a seizure is high;
 * a heart rate beyond the patient's limits medium (high beyond the extreme limits, decided by the
 * monitor); technical alarms low, medium where monitoring of the patient is lost (a silent device,
 * a flat EEG trace, a device whose data is refused for its clock).
 */
export const DEFAULT_PRIORITIES: Readonly<Record<AlertKind, Priority>> = {
  seizure: 'high',
  tachycardia: 'medium',
  bradycardia: 'medium',
  'device-silent': 'medium',
  'eeg-flatline': 'medium',
  'eeg-clipping': 'low',
  'hr-implausible': 'low',
  'device-clock-wrong': 'medium',
};
