// `vigil serve`: serves the target named by FUNCTION_TARGET on $PORT (Knative sets it), as the
// container does (its entry is cli/serve.ts).
// ingest and dashboard are Hono servers (the ingest hot path is faster on Hono than on
// functions-framework's Express: measured in perf/RESULTS.md); event functions run under functions-framework.
import { loadConfig } from '../../config/env.ts';
import { LIMITS } from '../../eventing/contract.ts';
import { HttpSink } from '../../eventing/sink.ts';
import { createIngestApp } from '../../functions/ingest/app.ts';
import { FUNCTION_TARGETS, type FunctionTarget } from '../../functions/targets.ts';
import { listen } from '../../http/listen.ts';
import { limitRequestBodies } from '../../http/node-body-limit.ts';
import { createMetrics } from '../../observability/metrics.ts';
import { serveMetrics } from '../../observability/metrics-server.ts';
import { openDb } from '../../storage/open.ts';
import { UsageError } from '../usage-error.ts';

export const ADAPTER_MAX_BODY_BYTES = 8 * LIMITS.maxBodyBytes;

export async function run(args: string[]): Promise<number> {
  const cfg = loadConfig();
  const target = (args[0] ?? cfg.FUNCTION_TARGET) as FunctionTarget | undefined;
  if (!target || !FUNCTION_TARGETS.includes(target))
    throw new UsageError(
      `FUNCTION_TARGET must be one of ${FUNCTION_TARGETS.join(', ')} (got ${target ?? 'nothing'})`,
    );
  const port = cfg.PORT ?? 8080;
  const host = cfg.VIGIL_HOST ?? '0.0.0.0';
  const db = await openDb({
    dataDir: cfg.dataDir,
    databaseUrl: cfg.DATABASE_URL,
    migrate: !cfg.DATABASE_URL,
  });
  let close: () => Promise<void>;
  if (target === 'ingest') {
    if (!cfg.K_SINK)
      throw new UsageError('ingest needs K_SINK (the broker ingress URL; a SinkBinding sets it)');
    const metrics = createMetrics('ingest', { defaultMetrics: true });
    const app = createIngestApp({ db, sink: new HttpSink(cfg.K_SINK), metrics });
    const served = await listen(app, port, host);
    const scraped = await serveMetrics([metrics.registry], cfg.VIGIL_METRICS_PORT, host);
    close = async () => {
      await scraped.close();
      await served.close();
    };
  } else if (target === 'dashboard') {
    const { startDashboard } = await import('../../dashboard/server.ts');
    close = (await startDashboard({ db, port, host })).close;
  } else {
    const { registerEventFunctions } = await import('../../functions/framework.ts');
    registerEventFunctions(db);
    const { getTestServer } = await import('@google-cloud/functions-framework/testing');
    const server = getTestServer(target);
    // functions-framework parses every body (up to 1 GiB) before the function runs: bound it first, at
    // the largest event ingest admits re-encoded as JSON (a 1 MiB float32 body is ~3 MiB of text).
    limitRequestBodies(server, ADAPTER_MAX_BODY_BYTES);
    await new Promise<void>((r) => server.listen(port, host, () => r()));
    close = () => new Promise<void>((r) => server.close(() => r()));
  }
  console.log(`serving ${target} on ${host}:${port}`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await close();
  await db.close();
  return 0;
}
