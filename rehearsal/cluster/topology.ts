// What the rehearsal runs, read from a rendered Kustomize overlay (knative/tools/kustomize.ts) the way
// the cluster would read it: each Knative Service with its container env (knative/tools/container-env.ts,
// Secrets resolved), containerConcurrency, timeoutSeconds and probes; which Services a SinkBinding gives
// K_SINK; the migrate Job's command; the Broker's and Triggers' routes (eventing/embedded/routes.ts,
// the same parser the embedded runtime uses); the PingSources. Part of the rehearsal, a test fixture.
import { stringify } from 'yaml';
import { parseRoutes, type Route } from '../../eventing/embedded/routes.ts';
import { resolveEnv, vigilContainers } from '../../knative/tools/container-env.ts';
import type { Manifest } from '../../knative/tools/kustomize.ts';
import { isObject } from '../../knative/tools/schemas.ts';
import type { PingSourceSpec } from '../eventing/ping-source.ts';
import { type Probe, probeFrom } from './kubelet.ts';

export interface ServiceDef {
  name: string;
  env: Record<string, string>;
  containerConcurrency: number;
  timeoutSeconds: number;
  readiness: Probe;
  liveness?: Probe | undefined;
  /** A Trigger subscribes to it: an event function. */
  subscriber: boolean;
  /** A SinkBinding injects the Broker's address as K_SINK. */
  sinkBound: boolean;
}

export interface JobDef {
  name: string;
  command: string[];
  env: Record<string, string>;
  backoffLimit: number;
}

export interface Topology {
  namespace: string;
  broker: string;
  services: ServiceDef[];
  job: JobDef;
  routes: Route[];
  pingSources: Array<PingSourceSpec & { sink: string }>;
}

export class TopologyError extends Error {}

const spec = (r: Manifest) => (isObject(r.spec) ? r.spec : {});

/** The resources with some Secret keys replaced (what an operator's `kubectl create secret` sets). */
export function withSecrets(
  resources: Manifest[],
  values: Record<string, Record<string, string>>,
): Manifest[] {
  return resources.map((r) => {
    const v = r.kind === 'Secret' ? values[r.metadata.name] : undefined;
    if (!v) return r;
    return { ...r, stringData: { ...(r.stringData as Record<string, string>), ...v } };
  });
}

export function topologyFrom(resources: Manifest[]): Topology {
  const of = (kind: string) => resources.filter((r) => r.kind === kind);
  const triggers = of('Trigger');
  const subscribers = new Set(
    triggers.map((t) => ((spec(t).subscriber as { ref?: { name?: string } })?.ref?.name ?? '') as string),
  );
  const bound = new Set(
    of('SinkBinding').map((b) => ((spec(b).subject as { name?: string })?.name ?? '') as string),
  );
  const services: ServiceDef[] = [];
  let job: JobDef | undefined;
  for (const { owner, resource, container } of vigilContainers(resources)) {
    const env = resolveEnv(container, resources);
    if (resource.kind === 'Job') {
      const command = container.command as string[] | undefined;
      if (!command) throw new TopologyError(`${owner}: no command`);
      job = {
        name: resource.metadata.name,
        command,
        env,
        backoffLimit: Number(spec(resource).backoffLimit ?? 6),
      };
      continue;
    }
    if (resource.kind !== 'Service') continue;
    const tpl = spec(resource).template as { spec?: Record<string, unknown> };
    const readiness = probeFrom(container.readinessProbe as Record<string, unknown> | undefined);
    if (!readiness) throw new TopologyError(`${owner}: no readinessProbe`);
    const name = resource.metadata.name;
    services.push({
      name,
      env,
      containerConcurrency: Number(tpl.spec?.containerConcurrency ?? 0),
      // Knative Serving's default revision timeout.
      timeoutSeconds: Number(tpl.spec?.timeoutSeconds ?? 300),
      readiness,
      liveness: probeFrom(container.livenessProbe as Record<string, unknown> | undefined),
      subscriber: subscribers.has(name),
      sinkBound: bound.has(name),
    });
  }
  if (!job) throw new TopologyError('no migrate Job in the overlay');
  const brokers = of('Broker');
  if (brokers.length !== 1) throw new TopologyError(`expected one Broker, found ${brokers.length}`);
  const broker = brokers[0]!;
  const routes = parseRoutes(
    [[broker, ...triggers].map((d) => stringify(d)).join('---\n')],
    broker.metadata.name,
  );
  for (const r of routes)
    for (const target of [r.subscriber, r.delivery.deadLetter])
      if (target && !services.some((s) => s.name === target.split('/')[0]))
        throw new TopologyError(`trigger ${r.trigger}: no Service ${target}`);
  const pingSources = of('PingSource').map((p) => {
    const s = spec(p) as {
      schedule: string;
      timezone?: string;
      contentType?: string;
      data?: string;
      sink?: { ref?: { name?: string } };
    };
    const sink = s.sink?.ref?.name;
    if (!sink || !services.some((x) => x.name === sink))
      throw new TopologyError(`PingSource ${p.metadata.name}: sink ${sink}`);
    return {
      namespace: String(p.metadata.namespace ?? 'default'),
      name: p.metadata.name,
      schedule: s.schedule,
      timezone: s.timezone,
      contentType: s.contentType,
      data: s.data,
      sink,
    };
  });
  return {
    namespace: String(broker.metadata.namespace ?? 'default'),
    broker: broker.metadata.name,
    services,
    job,
    routes,
    pingSources,
  };
}
