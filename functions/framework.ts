// Container entry for event functions: registers each one with functions-framework, so
// `functions-framework --target=<name> --source=dist/functions/framework.js` serves it.
import * as ff from '@google-cloud/functions-framework';
import { getConfig } from '../config/env.ts';
import { HttpSink } from '../eventing/sink.ts';
import { createMetrics } from '../observability/metrics.ts';
import type { Db } from '../storage/db.ts';
import { openDb } from '../storage/open.ts';
import { httpHandler } from './http-adapter.ts';
import { EVENT_FUNCTIONS } from './registry.ts';

let dbPromise: Promise<Db> | undefined;
/** One pool per container, opened on first use; migrations run as a Kubernetes Job, not here. */
function db(): Promise<Db> {
  if (!dbPromise) {
    const cfg = getConfig();
    dbPromise = openDb({ dataDir: cfg.dataDir, databaseUrl: cfg.DATABASE_URL, migrate: !cfg.DATABASE_URL });
  }
  return dbPromise;
}

const sinkUrl = getConfig().K_SINK;
for (const fn of EVENT_FUNCTIONS) {
  ff.http(
    fn.name,
    httpHandler(fn, {
      db,
      sink: sinkUrl ? new HttpSink(sinkUrl) : undefined,
      metrics: createMetrics(fn.name, { defaultMetrics: true }),
    }),
  );
}
