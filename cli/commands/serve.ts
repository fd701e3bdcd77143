// `vigil serve`: serves the target named by FUNCTION_TARGET on $PORT (Knative sets it), as the
// container does (its entry is cli/serve.ts).
// ingest and dashboard are Hono servers (the ingest hot path is faster on Hono than on
// functions-framework's Express: measured in perf/RESULTS.md); event functions run under functions-framework.
import { loadConfig } from '../../config/env.ts';
import { HttpSink } from '../../eventing/sink.ts';
import { createIngestApp } from '../../functions/ingest/app.ts';
import { FUNCTION_TARGETS, type FunctionTarget } from '../../functions/targets.ts';
import { createMetrics } from '../../observability/metrics.ts';
import { listen } from '../../runtime/http-server.ts';
import { openDb } from '../../storage/open.ts';
import { UsageError } from '../usage-error.ts';

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
    const app = createIngestApp({
      db,
      sink: new HttpSink(cfg.K_SINK),
      metrics: createMetrics('ingest', { defaultMetrics: true }),
    });
    close = (await listen(app, port, host)).close;
  } else if (target === 'dashboard') {
    const { startDashboard } = await import('../../dashboard/server.ts');
    close = (await startDashboard({ db, port, host })).close;
  } else {
    const { registerEventFunctions } = await import('../../functions/framework.ts');
    registerEventFunctions(db);
    const { getTestServer } = await import('@google-cloud/functions-framework/testing');
    const server = getTestServer(target);
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
