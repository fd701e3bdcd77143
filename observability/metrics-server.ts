// Prometheus metrics on a port of their own (VIGIL_METRICS_PORT, 9464), never on a public one: in the
// cluster Knative routes only the container's declared port, so this one is reachable only pod to pod,
// where Prometheus scrapes it (prod overlay: ingest-metrics-scrape.yaml); on one machine it listens on
// VIGIL_HOST like everything else.
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { type Listening, listen } from '../http/listen.ts';
import { ProblemError } from '../http/problem.ts';

export function serveMetrics(registries: Registry[], port: number, host: string): Promise<Listening> {
  const registry = registries.length === 1 ? registries[0]! : Registry.merge(registries);
  const app = new Hono();
  app.get('/metrics', async (c) =>
    c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }),
  );
  app.notFound(() => new ProblemError(404, 'only GET /metrics is served here').getResponse());
  return listen(app, port, host);
}
