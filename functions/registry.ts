// Every event-handling function, by target name. The embedded runtime routes to these in-process;
// the container serves the one named by FUNCTION_TARGET (cli/commands/serve.ts).

import type { VigilFunction } from '../eventing/subscriber.ts';
import { heartRateMonitor } from './heart-rate-monitor/index.ts';
import { recorder } from './recorder/index.ts';
import { createSeizureDetector, seizureDetector } from './seizure-detector/index.ts';
import type { ScoreStream } from './seizure-detector/stream-scoring.ts';
import { technicalAlarms } from './technical-alarms/index.ts';

export const EVENT_FUNCTIONS: readonly VigilFunction[] = [
  recorder,
  seizureDetector,
  heartRateMonitor,
  technicalAlarms,
];

/** Every function by name; `score` replaces the seizure detector's in-thread scoring (a pool's). */
export function functionsByName(opts: { score?: ScoreStream } = {}): Map<string, VigilFunction> {
  const fns = EVENT_FUNCTIONS.map((f) =>
    f === seizureDetector && opts.score ? createSeizureDetector({ score: opts.score }) : f,
  );
  return new Map(fns.map((f) => [f.name, f]));
}
