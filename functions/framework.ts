// Registers every event function with functions-framework's `http` signature, so the container
// (cli/commands/serve.ts) serves the one FUNCTION_TARGET names. The container opens one storage pool
// and passes it in: it also closes it on SIGTERM, so a pod stops promptly (a pool opened here was never
// closed and kept a MariaDB pod alive until the kubelet's SIGKILL).
import * as ff from '@google-cloud/functions-framework';
import { getConfig } from '../config/env.ts';
import { HttpSink } from '../eventing/sink.ts';
import { createMetrics } from '../observability/metrics.ts';
import type { Db } from '../storage/db.ts';
import { httpHandler } from './http-adapter.ts';
import { EVENT_FUNCTIONS } from './registry.ts';

export function registerEventFunctions(db: Db): void {
  const sinkUrl = getConfig().K_SINK;
  for (const fn of EVENT_FUNCTIONS) {
    ff.http(
      fn.name,
      httpHandler(fn, {
        db: async () => db,
        sink: sinkUrl ? new HttpSink(sinkUrl) : undefined,
        metrics: createMetrics(fn.name, { defaultMetrics: true }),
      }),
    );
  }
}
