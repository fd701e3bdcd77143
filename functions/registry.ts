// Every event-handling function, by target name. The embedded runtime routes to these in-process;
// the container serves the one named by FUNCTION_TARGET (cli/serve.ts).
import { heartRateMonitor } from './heart-rate-monitor/index.ts';
import { recorder } from './recorder/index.ts';
import { seizureDetector } from './seizure-detector/index.ts';
import { technicalAlarms } from './technical-alarms/index.ts';
import type { VigilFunction } from './types.ts';

export const EVENT_FUNCTIONS: readonly VigilFunction[] = [
  recorder,
  seizureDetector,
  heartRateMonitor,
  technicalAlarms,
];

export function functionsByName(): Map<string, VigilFunction> {
  return new Map(EVENT_FUNCTIONS.map((f) => [f.name, f]));
}
