// The environment a rendered manifest gives Vigil's containers: literal values, and secretKeyRef
// values read from the Secrets rendered beside them (the dev overlay's placeholders). The manifest
// tests check these against config/env.ts; the rehearsal starts processes with them.

import type { Manifest } from './kustomize.ts';
import { isObject } from './schemas.ts';

export const VIGIL_IMAGE = 'ghcr.io/vigil-health/vigil';

export interface VigilContainer {
  /** Kind/name of the resource that runs it (Service/ingest, Job/vigil-migrate …). */
  owner: string;
  resource: Manifest;
  container: Record<string, unknown>;
}

export interface EnvEntry {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

/** Every container, in any pod template, that runs Vigil's image. */
export function vigilContainers(resources: Manifest[]): VigilContainer[] {
  return resources.flatMap((r) => {
    const tpl = isObject(r.spec) && isObject(r.spec.template) ? r.spec.template : undefined;
    const cs = tpl && isObject(tpl.spec) && Array.isArray(tpl.spec.containers) ? tpl.spec.containers : [];
    return (cs as Array<Record<string, unknown>>)
      .filter((c) => String(c.image).split(':')[0] === VIGIL_IMAGE)
      .map((container) => ({ owner: `${r.kind}/${r.metadata.name}`, resource: r, container }));
  });
}

export function envEntries(container: Record<string, unknown>): EnvEntry[] {
  return (container.env ?? []) as EnvEntry[];
}

/** The container's env with every secretKeyRef resolved from `resources`' Secrets; throws if one is missing. */
export function resolveEnv(
  container: Record<string, unknown>,
  resources: Manifest[],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of envEntries(container)) {
    const ref = e.valueFrom?.secretKeyRef;
    if (!ref) {
      env[e.name] = e.value ?? '';
      continue;
    }
    const secret = resources.find((r) => r.kind === 'Secret' && r.metadata.name === ref.name);
    const data = { ...(secret?.stringData as object), ...decoded(secret?.data) } as Record<string, string>;
    const value = data[ref.key];
    if (value === undefined) throw new Error(`${e.name}: Secret ${ref.name} has no key ${ref.key}`);
    env[e.name] = value;
  }
  return env;
}

function decoded(data: unknown): Record<string, string> {
  if (!isObject(data)) return {};
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')]),
  );
}
