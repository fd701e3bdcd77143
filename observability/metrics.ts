// Prometheus metrics every function exposes at GET /metrics: requests by outcome and a duration
// histogram (the figures `vigil capacity --from-metrics` turns into arrival rate and service time).
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface FunctionMetrics {
  registry: Registry;
  /** Records one handled request. */
  observe(outcome: string, seconds: number): void;
  /** Counts events by CloudEvent type. */
  countEvents(type: string, n: number): void;
}

export function createMetrics(fn: string, opts: { defaultMetrics?: boolean } = {}): FunctionMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ function: fn });
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'vigil_requests_total',
    help: 'Requests handled, by outcome (accepted, duplicate, or the HTTP status class of an error).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request received to response sent.',
    labelNames: ['outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const events = new Counter({
    name: 'vigil_events_total',
    help: 'CloudEvents accepted, by type.',
    labelNames: ['type'],
    registers: [registry],
  });
  return {
    registry,
    observe(outcome, seconds) {
      requests.inc({ outcome });
      duration.observe({ outcome }, seconds);
    },
    countEvents(type, n) {
      events.inc({ type }, n);
    },
  };
}
