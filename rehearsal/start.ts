// Starts the whole Knative topology of the `dev` overlay on this machine, from the image's runtime
// layout: the cluster path rehearsed as separate processes over HTTP. This is a TEST FIXTURE for the
// cluster path, never a production runtime (production is knative/README.md; one machine is `npm start`).
//  1. the image, built from the Dockerfile in a scratch folder (rehearsal/image/build.ts);
//  2. a throw-away MariaDB database vigil_t_… with the test user, put into the vigil-db Secret's `url`
//     and a random session secret into vigil-session, as an operator creates the Secrets;
//  3. the migrate Job (its command, its env) to completion;
//  4. the Broker and its Triggers (rehearsal/eventing/broker.ts), one address per Knative Service
//     (rehearsal/cluster/service-proxy.ts) and, behind it, its pods (rehearsal/cluster/kubelet.ts):
//     two replicas of every Service a Trigger delivers to, one of ingest and the dashboard. Each pod
//     is the image's CMD (`node … dist/cli/serve.js`) with the env a pod gets: the image's ENV, the manifest's env with
//     Secrets resolved, PORT, K_SERVICE/K_CONFIGURATION/K_REVISION (Knative), K_SINK where a
//     SinkBinding names the Service;
//  5. the PingSource, sending to its sink Service.
// stop() deletes the pods, closes everything and drops the database.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { render } from '../knative/tools/kustomize.ts';
import { createMysqlTestDatabase, dropMysqlTestDatabase } from '../storage/testing.ts';
import { runJob } from './cluster/job.ts';
import { Pod } from './cluster/kubelet.ts';
import { ServiceProxy } from './cluster/service-proxy.ts';
import { type ServiceDef, type Topology, topologyFrom, withSecrets } from './cluster/topology.ts';
import { Broker } from './eventing/broker.ts';
import { PingSource } from './eventing/ping-source.ts';
import { type BuiltImage, buildImage } from './image/build.ts';
import { freePort } from './image/container.ts';

export const ROOT = path.resolve(import.meta.dirname, '..');

export interface RehearsalOptions {
  overlay?: string;
  /** Replicas of every Service a Trigger subscribes to. */
  eventReplicas?: number;
  fresh?: boolean;
  log?: (line: string) => void;
  /** Container output lines (noisy); default: dropped. */
  podLog?: (line: string) => void;
  /** Receives, before anything starts, what stops everything started so far (for Ctrl-C mid-start). */
  onStop?: (stop: () => Promise<void>) => void;
}

export interface Rehearsal {
  image: BuiltImage;
  topology: Topology;
  databaseUrl: string;
  sessionSecret: string;
  broker: Broker;
  brokerUrl: string;
  proxies: Map<string, ServiceProxy>;
  /** Service name → its address. */
  urls: Record<string, string>;
  pods: Pod[];
  pingSources: PingSource[];
  /** The env a CLI call in a pod would have (database and session secret), for enrolment. */
  cliEnv: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A pod's env. Its ports are its own in Kubernetes (one network namespace per pod); here the pods
 * share one, so each gets free ones: PORT, and VIGIL_METRICS_PORT for ingest's metrics listener.
 */
function podEnv(s: ServiceDef, port: number, metricsPort: number, brokerUrl: string): Record<string, string> {
  return {
    ...s.env,
    PORT: String(port),
    VIGIL_METRICS_PORT: String(metricsPort),
    K_SERVICE: s.name,
    K_CONFIGURATION: s.name,
    K_REVISION: `${s.name}-00001`,
    ...(s.sinkBound ? { K_SINK: brokerUrl } : {}),
  };
}

export async function startRehearsal(opts: RehearsalOptions = {}): Promise<Rehearsal> {
  const log = opts.log ?? (() => {});
  const podLog = opts.podLog ?? (() => {});
  const cleanups: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  };
  opts.onStop?.(stop);
  try {
    const image = await buildImage({ context: ROOT, fresh: opts.fresh ?? false, log });
    const databaseUrl = await createMysqlTestDatabase();
    cleanups.push(() => dropMysqlTestDatabase(databaseUrl));
    const sessionSecret = randomBytes(32).toString('base64url');
    const rendered = render(path.join(ROOT, opts.overlay ?? 'knative/overlays/dev')).resources;
    const topology = topologyFrom(
      withSecrets(rendered, {
        'vigil-db': { url: databaseUrl },
        'vigil-session': { 'session-secret': sessionSecret },
      }),
    );
    log(`database ${new URL(databaseUrl).pathname.slice(1)}; running job/${topology.job.name}`);
    const migrated = await runJob(image, topology.job, {}, podLog);
    log(`job/${topology.job.name}: ${migrated.trim().split('\n').at(-1)}`);

    const proxies = new Map<string, ServiceProxy>();
    const urls: Record<string, string> = {};
    for (const s of topology.services) {
      const p = new ServiceProxy({
        name: s.name,
        containerConcurrency: s.containerConcurrency,
        timeoutSeconds: s.timeoutSeconds,
      });
      urls[s.name] = await p.listen();
      proxies.set(s.name, p);
      cleanups.push(() => p.close());
    }
    const resolve = (target: string) => {
      const [name, ...rest] = target.split('/');
      return rest.length ? `${urls[name!]}/${rest.join('/')}` : urls[name!]!;
    };
    const broker = new Broker({
      namespace: topology.namespace,
      name: topology.broker,
      routes: topology.routes,
      resolve,
      log,
    });
    const brokerUrl = await broker.listen();
    cleanups.push(async () => {
      const dropped = await broker.close();
      if (dropped) log(`broker: ${dropped} deliveries still queued or retrying were dropped at shutdown`);
    });

    const pods: Pod[] = [];
    cleanups.push(async () => {
      await Promise.all(pods.map((p) => p.delete()));
    });
    for (const s of topology.services) {
      const replicas = s.subscriber ? (opts.eventReplicas ?? 2) : 1;
      for (let i = 0; i < replicas; i++) {
        const port = await freePort();
        const name = `${s.name}-${i}`;
        const proxy = proxies.get(s.name)!;
        proxy.setEndpoint(name, '127.0.0.1', port);
        const pod = new Pod(
          {
            name,
            port,
            env: podEnv(s, port, await freePort(), brokerUrl),
            readiness: s.readiness,
            liveness: s.liveness,
          },
          image,
          (p, ready) => proxy.setReady(p.spec.name, ready),
          podLog,
        );
        pods.push(pod);
        pod.start();
      }
    }
    const deadline = Date.now() + 120_000;
    while (pods.some((p) => !p.ready)) {
      if (Date.now() > deadline) {
        const stuck = pods.filter((p) => !p.ready);
        throw new Error(
          `not ready within 120 s: ${stuck.map((p) => `${p.spec.name} (restarts ${p.restarts})\n${p.container?.tail()}`).join('\n')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    log(
      `${pods.length} pods ready: ${topology.services.map((s) => `${s.name} ×${proxies.get(s.name)!.readyCount()}`).join(', ')}`,
    );

    const pingSources = topology.pingSources.map((p) => new PingSource(p, () => urls[p.sink]!, log));
    for (const p of pingSources) {
      p.start();
      cleanups.push(() => p.stop());
    }
    return {
      image,
      topology,
      databaseUrl,
      sessionSecret,
      broker,
      brokerUrl,
      proxies,
      urls,
      pods,
      pingSources,
      cliEnv: { DATABASE_URL: databaseUrl, VIGIL_SESSION_SECRET: sessionSecret },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
