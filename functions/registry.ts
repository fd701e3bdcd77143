// Every event-handling function, by target name. The embedded runtime routes to these in-process;
// the container serves the one named by FUNCTION_TARGET (cli/commands/serve.ts).

import type { VigilFunction } from '../eventing/subscriber.ts';
import { heartRateMonitor } from './heart-rate-monitor/index.ts';
import { recorder } from './recorder/index.ts';
import type { Detect } from './seizure-detector/detection-pool.ts';
import { createSeizureDetector, seizureDetector } from './seizure-detector/index.ts';
import { technicalAlarms } from './technical-alarms/index.ts';

export const EVENT_FUNCTIONS: readonly VigilFunction[] = [
  recorder,
  seizureDetector,
  heartRateMonitor,
  technicalAlarms,
];

/** Every function by name; `detect` replaces the seizure detector's in-thread detection (a pool's). */
export function functionsByName(opts: { detect?: Detect } = {}): Map<string, VigilFunction> {
  const fns = EVENT_FUNCTIONS.map((f) =>
    f === seizureDetector && opts.detect ? createSeizureDetector({ detect: opts.detect }) : f,
  );
  return new Map(fns.map((f) => [f.name, f]));
}
