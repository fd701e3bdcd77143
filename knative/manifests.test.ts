// Offline validation of everything Vigil deploys to Knative: every YAML file under knative/ and
// eventing/ and every rendered overlay, against the strict schemas in knative/schemas, plus the
// cross-references no schema can see (Service names, Secrets, the capacity plan, selectors).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ANNOTATION,
  type CapacityPlan,
  capacityPatch,
  capacityPatchFile,
  loadPlan,
  staleEntries,
} from '../capacity/plan.ts';
import { configSchema, loadConfig } from '../config/env.ts';
import { FUNCTION_TARGETS } from '../functions/targets.ts';
import { envEntries, resolveEnv, vigilContainers } from './tools/container-env.ts';
import { type Manifest, type Rendered, render } from './tools/kustomize.ts';
import { isObject, SchemaSet } from './tools/schemas.ts';
import { parseYamlDocs, readYamlDocs } from './tools/yaml-docs.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rel = (f: string) => path.relative(repo, f);
const schemas = new SchemaSet();
const IMAGE = 'ghcr.io/vigil-health/vigil';
const OVERLAYS = ['dev', 'prod'] as const;
const KUSTOMIZATIONS = [
  'knative/base',
  'knative/overlays/dev',
  'knative/overlays/prod',
  'knative/platform',
  'eventing',
];

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => !rel(f).startsWith('knative/kubespray/'))
    .sort();
}

const rendered = new Map<string, Rendered>();
let plan: CapacityPlan;
beforeAll(async () => {
  for (const k of KUSTOMIZATIONS) rendered.set(k, render(path.join(repo, k)));
  plan = await loadPlan(path.join(repo, 'capacity/plan.json'));
});

const byKind = (rs: Manifest[], kind: string, apiGroup?: string) =>
  rs.filter((r) => r.kind === kind && (apiGroup === undefined || r.apiVersion.startsWith(apiGroup)));
const knativeServices = (rs: Manifest[]) => byKind(rs, 'Service', 'serving.knative.dev/');

describe('every YAML file under knative/ and eventing/', () => {
  const files = [...yamlFiles(path.join(repo, 'knative')), ...yamlFiles(path.join(repo, 'eventing'))];

  it('finds the manifests', () => {
    expect(files.length).toBeGreaterThan(15);
  });

  it.each(files.map((f) => [rel(f), f]))('%s is valid under its schema', (_name, file) => {
    const docs = readYamlDocs(file);
    expect(docs.length).toBeGreaterThan(0);
    const usedAsPatch = [...rendered.values()].some((r) => r.files.includes(file)) && isPatchFile(file);
    const issues = docs.flatMap((d) => {
      const where = `${rel(file)}#${d.index + 1}`;
      if (path.basename(file).startsWith('kustomization.'))
        return schemas.validateWith('schemastore/kustomization.json', d.value, where);
      return schemas.validateManifest(d.value, where, { partial: usedAsPatch });
    });
    expect(issues).toEqual([]);
  });

  it('every manifest file is reachable from a kustomization', () => {
    const reached = new Set([...rendered.values()].flatMap((r) => [...r.files, ...r.kustomizations]));
    expect(files.filter((f) => !reached.has(f)).map(rel)).toEqual([]);
  });
});

function isPatchFile(file: string): boolean {
  return [...rendered.keys()].some((k) => {
    const kf = readYamlDocs(path.join(repo, k, 'kustomization.yaml'))[0]!.value as {
      patches?: Array<{ path?: string }>;
    };
    return (kf.patches ?? []).some((p) => p.path && path.resolve(repo, k, p.path) === file);
  });
}

describe.each(KUSTOMIZATIONS)('rendered %s', (k) => {
  it('validates every resource under the strict schemas', () => {
    const r = rendered.get(k)!;
    expect(r.resources.length).toBeGreaterThan(0);
    const issues = r.resources.flatMap((m) =>
      schemas.validateManifest(m, `${k}: ${m.kind}/${m.metadata.name}`),
    );
    expect(issues).toEqual([]);
  });

  it('uses DNS-safe names and sets a namespace on namespaced resources', () => {
    for (const m of rendered.get(k)!.resources) {
      expect(m.metadata.name, `${m.kind} name`).toMatch(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/);
      if (m.kind === 'Service') expect(m.metadata.name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
      if (m.kind !== 'Namespace') expect(m.metadata.namespace, `${m.kind}/${m.metadata.name}`).toBeTruthy();
    }
  });
});

describe.each(OVERLAYS)('overlay %s: cross-references', (overlay) => {
  const rs = () => rendered.get(`knative/overlays/${overlay}`)!.resources;
  const exists = (
    ref: { apiVersion?: string; kind?: string; name?: string; namespace?: string },
    ns: string,
  ) =>
    rs().some(
      (r) =>
        r.apiVersion === ref.apiVersion &&
        r.kind === ref.kind &&
        r.metadata.name === ref.name &&
        r.metadata.namespace === (ref.namespace ?? ns),
    );

  it('has one Knative Service per registered function, selecting itself with FUNCTION_TARGET, from the one image', () => {
    const svcs = knativeServices(rs());
    expect(svcs.map((s) => s.metadata.name).sort()).toEqual([...FUNCTION_TARGETS].sort());
    for (const s of svcs) {
      const c = containers(s)[0]!;
      expect(containers(s)).toHaveLength(1);
      expect(String(c.image).split(':')[0]).toBe(IMAGE);
      const target = (c.env as Array<{ name: string; value?: string }>).find(
        (e) => e.name === 'FUNCTION_TARGET',
      );
      expect(target?.value).toBe(s.metadata.name);
      expect(FUNCTION_TARGETS as readonly string[]).toContain(target?.value);
      expect(isObject(c.readinessProbe) && isObject(c.livenessProbe)).toBe(true);
      expect(c.resources).toMatchObject({ requests: {}, limits: {} });
    }
  });

  it('resolves every Trigger subscriber, dead-letter sink and broker', () => {
    const triggers = byKind(rs(), 'Trigger');
    expect(triggers.length).toBeGreaterThanOrEqual(3);
    for (const t of triggers) {
      const spec = t.spec as {
        broker: string;
        subscriber: { ref: Record<string, string> };
        delivery?: { deadLetterSink?: { ref: Record<string, string> } };
      };
      const ns = t.metadata.namespace!;
      expect(
        exists({ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: spec.broker }, ns),
        t.metadata.name,
      ).toBe(true);
      expect(exists(spec.subscriber.ref, ns), `${t.metadata.name} subscriber`).toBe(true);
      if (spec.delivery?.deadLetterSink) expect(exists(spec.delivery.deadLetterSink.ref, ns)).toBe(true);
    }
    for (const b of byKind(rs(), 'Broker')) {
      const dls = (b.spec as { delivery?: { deadLetterSink?: { ref: Record<string, string> } } }).delivery
        ?.deadLetterSink;
      if (dls) expect(exists(dls.ref, b.metadata.namespace!)).toBe(true);
    }
  });

  it('resolves PingSource sinks, SinkBinding subjects and sinks, DomainMapping targets', () => {
    for (const p of byKind(rs(), 'PingSource')) {
      expect(
        exists((p.spec as { sink: { ref: Record<string, string> } }).sink.ref, p.metadata.namespace!),
      ).toBe(true);
      expect((p.spec as { schedule: string }).schedule).toBe('* * * * *');
    }
    const bindings = byKind(rs(), 'SinkBinding');
    for (const b of bindings) {
      const spec = b.spec as { subject: Record<string, string>; sink: { ref: Record<string, string> } };
      expect(exists(spec.subject, b.metadata.namespace!), `${b.metadata.name} subject`).toBe(true);
      expect(exists(spec.sink.ref, b.metadata.namespace!), `${b.metadata.name} sink`).toBe(true);
    }
    // ingest forwards to the broker; functions that may emit more than one event per input post extras to K_SINK.
    expect(bindings.map((b) => (b.spec as { subject: { name: string } }).subject.name).sort()).toEqual(
      ['heart-rate-monitor', 'ingest', 'seizure-detector', 'technical-alarms'].sort(),
    );
    const mappings = byKind(rs(), 'DomainMapping');
    expect(mappings.map((m) => m.metadata.name).sort()).toEqual([
      'healthcare-cluster.com',
      'ingest.healthcare-cluster.com',
    ]);
    for (const m of mappings)
      expect(exists((m.spec as { ref: Record<string, string> }).ref, m.metadata.namespace!)).toBe(true);
  });

  it('gives every max-scale, target, min-scale and containerConcurrency from the committed capacity plan', () => {
    const fns = plan.overlays[overlay]!;
    for (const s of knativeServices(rs())) {
      const name = s.metadata.name as (typeof FUNCTION_TARGETS)[number];
      const entry = fns[name]!;
      const tpl = (
        s.spec as {
          template: {
            metadata: { annotations: Record<string, string> };
            spec: { containerConcurrency: number };
          };
        }
      ).template;
      const a = tpl.metadata.annotations;
      expect(a[ANNOTATION.maxScale], name).toBe(String(entry.maxScale));
      expect(a[ANNOTATION.minScale], name).toBe(String(entry.minScale));
      expect(a[ANNOTATION.target], name).toBe(String(entry.target));
      expect(a[ANNOTATION.metric], name).toBe('concurrency');
      expect(tpl.spec.containerConcurrency, name).toBe(entry.containerConcurrency);
      expect(entry.minScale).toBeLessThanOrEqual(entry.maxScale);
      expect(entry.target).toBeLessThanOrEqual(entry.containerConcurrency);
      const file = path.join(repo, 'knative/overlays', overlay, capacityPatchFile(name));
      expect(readFileSync(file, 'utf8'), `${rel(file)} is regenerated from plan.json`).toBe(
        capacityPatch(name, plan.namespace, entry, overlay),
      );
    }
  });

  it('resolves every Secret reference (dev: rendered placeholders; prod: created with kubectl as the README says)', () => {
    const refs = secretRefs(rs());
    expect(refs.length).toBeGreaterThan(0);
    const secrets = byKind(rs(), 'Secret');
    if (overlay === 'dev') {
      for (const { name, key, where } of refs) {
        const s = secrets.find((x) => x.metadata.name === name);
        expect(s, `${where}: Secret ${name}`).toBeDefined();
        const keys = Object.keys({ ...(s!.stringData as object), ...(s!.data as object) });
        expect(keys, `${where}: Secret ${name} key ${key}`).toContain(key);
      }
    } else {
      expect(secrets, 'prod commits no Secret').toEqual([]);
      const readme = readFileSync(path.join(repo, 'knative/README.md'), 'utf8');
      for (const { name, key, where } of refs) {
        const cmd = readme.match(
          new RegExp(`kubectl create secret generic ${name} [^\`]*?(?=\\n\\n|\`\`\`)`, 's'),
        )?.[0];
        expect(cmd, `${where}: README creates Secret ${name}`).toBeDefined();
        expect(cmd, `${where}: README sets ${name}/${key}`).toContain(`--from-literal=${key}=`);
      }
    }
  });

  it("sets only environment variables Vigil's config declares (config/env.ts)", () => {
    const declared = new Set(Object.keys(configSchema.shape));
    const found = vigilContainers(rs());
    expect(found.map((c) => c.owner)).toContain('Job/vigil-migrate');
    for (const { owner, container } of found)
      for (const e of envEntries(container)) expect(declared, `${owner}: env ${e.name}`).toContain(e.name);
  });

  if (overlay === 'dev')
    it('gives every Vigil container an environment that config/env.ts accepts, placeholders included', () => {
      for (const { owner, container } of vigilContainers(rs()))
        expect(() => loadConfig(resolveEnv(container, rs())), owner).not.toThrow();
    });

  it('lets every NetworkPolicy select pods that exist', () => {
    const pods = podTemplateLabels(rs());
    const policies = byKind(rs(), 'NetworkPolicy');
    expect(policies.length).toBeGreaterThan(0);
    const selects = (sel: { matchLabels?: Record<string, string> }, ns: string) =>
      pods.filter(
        (p) =>
          p.namespace === ns && Object.entries(sel.matchLabels ?? {}).every(([k, v]) => p.labels[k] === v),
      );
    for (const np of policies) {
      const spec = np.spec as {
        podSelector: { matchLabels?: Record<string, string> };
        ingress?: Array<{ from?: Array<{ podSelector?: { matchLabels?: Record<string, string> } }> }>;
      };
      const ns = np.metadata.namespace!;
      expect(selects(spec.podSelector, ns).length, `${np.metadata.name} podSelector`).toBeGreaterThan(0);
      for (const rule of spec.ingress ?? [])
        for (const from of rule.from ?? [])
          if (from.podSelector)
            expect(selects(from.podSelector, ns).length, `${np.metadata.name} from`).toBeGreaterThan(0);
    }
    // Every pod that uses DATABASE_URL is allowed through to MySQL.
    const dbPods = pods.filter((p) => p.usesDatabase);
    expect(dbPods.length).toBeGreaterThan(FUNCTION_TARGETS.length - 1);
    for (const p of dbPods) expect(p.labels['vigil.health/db-client'], p.owner).toBe('true');
  });

  it('runs MySQL as a StatefulSet with a volume claim template behind a headless Service, and migrates with a Job', () => {
    const sts = byKind(rs(), 'StatefulSet')[0]!;
    const spec = sts.spec as { serviceName: string; volumeClaimTemplates: unknown[] };
    expect(spec.volumeClaimTemplates.length).toBe(1);
    const svc = rs().find(
      (r) => r.apiVersion === 'v1' && r.kind === 'Service' && r.metadata.name === spec.serviceName,
    );
    expect((svc!.spec as { clusterIP?: string }).clusterIP).toBe('None');
    const job = byKind(rs(), 'Job')[0]!;
    const c = containers(job)[0]!;
    expect(String(c.image).split(':')[0]).toBe(IMAGE);
    expect(c.command).toEqual(['node', 'dist/cli/main.js', 'migrate']);
  });

  it('uses the broker class of the overlay', () => {
    const broker = byKind(rs(), 'Broker')[0]!;
    const cls = (broker.metadata.annotations as Record<string, string>)['eventing.knative.dev/broker.class'];
    if (overlay === 'dev') expect(cls).toBe('MTChannelBasedBroker');
    else {
      expect(cls).toBe('Kafka');
      const cfg = (broker.spec as { config: Record<string, string> }).config;
      expect(exists(cfg, broker.metadata.namespace!)).toBe(true);
    }
  });
});

describe('platform (MetalLB for Kourier)', () => {
  it('advertises only pools that exist', () => {
    const rs = rendered.get('knative/platform')!.resources;
    const pools = byKind(rs, 'IPAddressPool').map((p) => p.metadata.name);
    expect(pools.length).toBeGreaterThan(0);
    for (const adv of byKind(rs, 'L2Advertisement'))
      for (const p of (adv.spec as { ipAddressPools: string[] }).ipAddressPools) expect(pools).toContain(p);
  });
});

describe('the capacity plan', () => {
  it('matches what Erlang B computes from its inputs', () => {
    expect(staleEntries(plan)).toEqual([]);
  });
});

describe('the validator itself', () => {
  const svc = () =>
    structuredClone(knativeServices(rendered.get('knative/overlays/dev')!.resources)[0]!) as any;

  it('fails on an unknown apiVersion/kind', () => {
    expect(
      schemas.validateManifest(
        { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
        'x',
      ),
    ).toHaveLength(1);
    expect(
      schemas.validateManifest({ apiVersion: 'v1', kind: 'Gadget', metadata: { name: 'g' } }, 'x'),
    ).toHaveLength(1);
  });

  it('fails on a misspelled field, a float CPU quantity, and bad ObjectMeta in a Knative Service', () => {
    const a = svc();
    a.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
    expect(schemas.validateManifest(a, 'a').join()).not.toBe('');
    const b = svc();
    b.spec.template.spec.containers[0].resources.limits.cpu = 0.5;
    expect(schemas.validateManifest(b, 'b').length).toBeGreaterThan(0);
    const c = svc();
    c.spec.template.metadata.labelz = {};
    expect(schemas.validateManifest(c, 'c').length).toBeGreaterThan(0);
  });

  it('fails on a YAML 1.1/1.2 ambiguity', () => {
    expect(() => parseYamlDocs('a: on\n', 't.yaml')).toThrow(/YAML 1.1/);
    expect(() => parseYamlDocs('a: "on"\n', 't.yaml')).not.toThrow();
  });
});

function containers(r: Manifest): Array<Record<string, unknown>> {
  const spec = r.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } };
  return spec.template.spec.containers;
}

function podTemplateLabels(rs: Manifest[]) {
  return rs
    .filter((r) => isObject(r.spec) && isObject(r.spec.template))
    .map((r) => {
      const tpl = (r.spec as { template: { metadata?: { labels?: Record<string, string> } } }).template;
      const usesDatabase = containers(r).some((c) =>
        ((c.env ?? []) as Array<{ name: string }>).some((e) => e.name === 'DATABASE_URL'),
      );
      return {
        owner: `${r.kind}/${r.metadata.name}`,
        namespace: r.metadata.namespace,
        labels: tpl.metadata?.labels ?? {},
        usesDatabase,
      };
    });
}

function secretRefs(rs: Manifest[]): Array<{ name: string; key: string; where: string }> {
  const out: Array<{ name: string; key: string; where: string }> = [];
  const walk = (x: unknown, where: string) => {
    if (Array.isArray(x)) {
      for (const y of x) walk(y, where);
    } else if (isObject(x)) {
      if (isObject(x.secretKeyRef))
        out.push({ name: String(x.secretKeyRef.name), key: String(x.secretKeyRef.key), where });
      for (const v of Object.values(x)) walk(v, where);
    }
  };
  for (const r of rs) walk(r.spec, `${r.kind}/${r.metadata.name}`);
  return out;
}

describe('TLS in production', () => {
  it('terminates TLS on every prod DomainMapping and tells the dashboard its https origin', () => {
    const rs = rendered.get('knative/overlays/prod')!.resources;
    const mappings = byKind(rs, 'DomainMapping');
    expect(mappings.length).toBeGreaterThanOrEqual(2);
    const readme = readFileSync(path.join(repo, 'knative/README.md'), 'utf8');
    for (const m of mappings) {
      const secret = (m.spec as { tls?: { secretName?: string } }).tls?.secretName;
      expect(secret, m.metadata.name).toMatch(/^[a-z0-9-]+$/);
      // The README says how the certificate Secret comes to exist (cert-manager Certificate).
      expect(readme, `README names ${secret}`).toContain(`secretName: ${secret}`);
    }
    const dashboard = knativeServices(rs).find((s) => s.metadata.name === 'dashboard')!;
    // prod commits no Secret: read the plain values only.
    const env = Object.fromEntries(
      envEntries(vigilContainers([dashboard])[0]!.container)
        .filter((e) => e.value !== undefined)
        .map((e) => [e.name, String(e.value)]),
    );
    const dm = mappings.find((m) => (m.spec as { ref: { name: string } }).ref.name === 'dashboard')!;
    expect(env.VIGIL_PUBLIC_URL).toBe(`https://${dm.metadata.name}`);
    expect(loadConfig(env).VIGIL_PUBLIC_URL?.protocol).toBe('https:');
  });
});
