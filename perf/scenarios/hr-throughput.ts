import type { Scenario } from '../scenario.ts';

/** Bar: ≥ 20,000 heart-rate samples/s stored (events of 100 samples). */
export const scenario: Scenario = {
  name: 'hr-throughput',
  description: 'heart-rate events of 100 samples as fast as acknowledged; stored samples/s',
  executor: 'max-throughput',
  payload: 'heart-rate',
  samplesPerEvent: 100,
  durationS: 15,
  connections: 32,
  thresholds: { stored_per_s: ['value>=20000'], rss_mb: ['value<300'] },
};
