// The embedded runtime (`vigil up`): one process runs the broker (same Trigger YAML as the
// cluster), every function, the ingest gateway and the dashboard, on SQLite or MySQL.

import { availableParallelism } from 'node:os';
import { projectPath } from '../config/project-root.ts';
import { EVENT_TYPES } from '../eventing/contract.ts';
import { EmbeddedBroker, type SubscriberOptions } from '../eventing/embedded/broker.ts';
import { loadRoutes } from '../eventing/embedded/routes.ts';
import type { VigilFunction } from '../eventing/subscriber.ts';
import { createIngestApp } from '../functions/ingest/app.ts';
import { type Listening, listen } from '../http/listen.ts';
import { createMetrics } from '../observability/metrics.ts';
import { serveMetrics } from '../observability/metrics-server.ts';
import type { Db } from '../storage/db.ts';
import { openDb } from '../storage/open.ts';

export const ROUTE_FILES = [projectPath('eventing/broker.yaml'), projectPath('eventing/triggers.yaml')];

export interface RuntimeOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  host?: string;
  /** 0 picks a free port. */
  ingestPort?: number;
  dashboard?: boolean;
  dashboardPort?: number;
  /** Prometheus /metrics, apart from the public ports (0 picks a free one). */
  metricsPort?: number;
  now?: () => number;
  /** Defaults to every registered function (functions/registry.ts). */
  functions?: ReadonlyMap<string, VigilFunction>;
  /** Seconds between technical checks (the cluster's PingSource); 0 disables them. */
  technicalCheckSeconds?: number;
  maxPendingEvents?: number;
  /** Worker threads running the seizure detector's feature extraction and model (0 = on the event loop). */
  detectionThreads?: number;
  subscribers?: Record<string, SubscriberOptions>;
  log?: (line: string) => void;
}

/**
 * One detection thread wherever there is a second core: detection beside the event loop measured +39 to
 * +60 % stored chunks/s on 2 cores for about 50 MB more RSS, peak 251 MB, under the 300 MB bar
 * (`npm run bench -- detection-threads`, perf/RESULTS.md). More threads would only add memory: a
 * device stream's chunks are scored one after the other, and the two cores are then both busy.
 */
export function defaultDetectionThreads(cores = availableParallelism()): number {
  return cores >= 2 ? 1 : 0;
}

export interface Runtime {
  ingestUrl: string;
  /** Where Prometheus scrapes ingest's metrics (GET /metrics). */
  metricsUrl: string;
  dashboardUrl?: string | undefined;
  db: Db;
  broker: EmbeddedBroker;
  /** Resolves when every queued delivery (retries included) is done. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const log = opts.log ?? (() => undefined);
  const now = opts.now ?? Date.now;
  const db = await openDb({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl });
  const closers: (() => Promise<void>)[] = [() => db.close()];
  const stopAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    let functions = opts.functions;
    if (!functions) {
      const { functionsByName } = await import('../functions/registry.ts');
      const threads = opts.detectionThreads ?? defaultDetectionThreads();
      if (threads > 0) {
        // Detection on its own thread: the event loop stays free to acknowledge devices.
        const { DetectionPool } = await import('../functions/seizure-detector/detection-pool.ts');
        const pool = new DetectionPool({ threads });
        closers.push(() => pool.close());
        functions = functionsByName({ score: pool.score });
      } else functions = functionsByName();
    }
    const routes = loadRoutes(ROUTE_FILES);
    const broker = new EmbeddedBroker({
      db,
      routes,
      functions,
      now,
      maxPendingEvents: opts.maxPendingEvents,
      // The recorder only writes storage: it runs inside the broker's accepting transaction, where the
      // EEG samples it writes to eeg_chunks are the only copy (the outbox keeps the envelope). Other batch
      // functions take small batches: a batch is one transaction, and a long one delays every acknowledgement.
      subscribers: opts.subscribers ?? {
        recorder: { maxBatch: 256, concurrency: 1, inline: true, storesEegSamples: true },
        'heart-rate-monitor': { maxBatch: 16, concurrency: 1 },
        'technical-alarms': { maxBatch: 16, concurrency: 1 },
        // Batches of chunks, a few in flight: one stream's chunks are still scored in order (the detector
        // chains them per stream), and one device's burst does not hold up the others'.
        'seizure-detector': { maxBatch: 16, concurrency: 4 },
      },
      onFailure: (f) =>
        log(
          `[broker] ${f.trigger}: ${f.type} attempt ${f.attempts} failed: ${f.error.slice(0, 200)}${f.deadLettered ? ' -> dead letter' : ''}`,
        ),
    });
    await broker.start();
    closers.push(() => broker.stop());

    const host = opts.host ?? '127.0.0.1';
    let ready = false;
    const metrics = createMetrics('ingest', { defaultMetrics: true });
    const ingest = await listen(
      createIngestApp({ db, sink: broker, metrics, now, ready: () => ready }),
      opts.ingestPort ?? 8080,
      host,
    );
    closers.push(() => ingest.close());
    const metricsServer = await serveMetrics([metrics.registry], opts.metricsPort ?? 9464, host);
    closers.push(() => metricsServer.close());

    let dashboard: Pick<Listening, 'url' | 'close'> | undefined;
    if (opts.dashboard !== false) {
      const { startDashboard } = await import('../dashboard/server.ts');
      dashboard = await startDashboard({ db, port: opts.dashboardPort ?? 3000, host });
      closers.push(() => dashboard!.close());
    }

    const every = opts.technicalCheckSeconds ?? 15;
    if (every > 0 && routes.some((r) => r.filter.type === EVENT_TYPES.technicalCheck)) {
      const timer = setInterval(() => {
        const at = new Date(now());
        // Same event the cluster's PingSource sends; id per tick so the broker never dedups two ticks.
        broker
          .accept([
            {
              specversion: '1.0',
              id: `check-${at.getTime()}`,
              source: '/runtime/technical-check',
              type: EVENT_TYPES.technicalCheck,
              time: at.toISOString(),
              datacontenttype: 'application/json',
              data: {},
            },
          ])
          .catch(() => log('[runtime] technical check skipped: broker busy'));
      }, every * 1000);
      timer.unref();
      closers.push(async () => clearInterval(timer));
    }
    ready = true;
    return {
      ingestUrl: ingest.url,
      metricsUrl: `${metricsServer.url}/metrics`,
      dashboardUrl: dashboard?.url,
      db,
      broker,
      idle: () => broker.idle(),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
