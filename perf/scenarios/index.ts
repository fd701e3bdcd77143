import type { Scenario } from '../scenario.ts';
import { scenario as eegLatency } from './eeg-latency.ts';
import { scenario as eegThroughput } from './eeg-throughput.ts';
import { scenario as hrLatency } from './hr-latency.ts';
import { scenario as hrThroughput } from './hr-throughput.ts';

export const SCENARIOS: readonly Scenario[] = [eegThroughput, eegLatency, hrThroughput, hrLatency];
