import type { Scenario } from '../scenario.ts';

/** Bar: ingest → stored ≥ 2,000 EEG chunks/s (23 ch × 256 Hz × 1 s, JSON), embedded runtime, 2 cores. */
export const scenario: Scenario = {
  name: 'eeg-throughput',
  description: 'EEG chunks (23 channels × 256 Hz × 1 s, JSON) as fast as acknowledged; stored chunks/s',
  executor: 'max-throughput',
  payload: 'eeg-json',
  durationS: 15,
  connections: 32,
  thresholds: { stored_per_s: ['value>=2000'], rss_mb: ['value<300'] },
};
