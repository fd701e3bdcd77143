// A small kustomize (`kubectl kustomize`) renderer for the subset Vigil's kustomizations use:
// `resources` (files and kustomization directories) and `patches` (strategic-merge or JSON 6902).
// Any other field is refused, so a kustomization can never silently mean more than what is checked.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isObject } from './schemas.ts';
import { parseYamlDocs, readYamlDocs } from './yaml-docs.ts';

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
};

export interface Rendered {
  /** The kustomization files that took part, root first. */
  kustomizations: string[];
  /** Files read as resources or patches. */
  files: string[];
  resources: Manifest[];
}

const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'patches']);

export class KustomizeError extends Error {}

export function kustomizationFile(dir: string): string | undefined {
  return KUSTOMIZATION_NAMES.map((n) => path.join(dir, n)).find((f) => existsSync(f));
}

export function render(dir: string): Rendered {
  const file = kustomizationFile(dir);
  if (!file) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const [doc, ...extra] = readYamlDocs(file);
  if (!doc || extra.length || !isObject(doc.value)) throw new KustomizeError(`${file}: expected one mapping`);
  const k = doc.value;
  for (const key of Object.keys(k))
    if (!SUPPORTED.has(key))
      throw new KustomizeError(`${file}: field "${key}" is not supported by this renderer`);
  const out: Rendered = { kustomizations: [file], files: [], resources: [] };

  for (const entry of asList(k.resources, file, 'resources')) {
    if (typeof entry !== 'string' || /^[a-z]+:\/\//.test(entry))
      throw new KustomizeError(`${file}: resources entry ${JSON.stringify(entry)} must be a local path`);
    const target = path.resolve(dir, entry);
    if (!existsSync(target)) throw new KustomizeError(`${file}: resource ${entry} does not exist`);
    if (statSync(target).isDirectory()) {
      const sub = render(target);
      out.kustomizations.push(...sub.kustomizations);
      out.files.push(...sub.files);
      for (const r of sub.resources) add(out.resources, r, `${file}: ${entry}`);
    } else {
      checkInsideRoot(dir, target, file, entry);
      out.files.push(target);
      for (const d of readYamlDocs(target))
        add(out.resources, asManifest(d.value, `${target}#${d.index + 1}`), target);
    }
  }

  asList(k.patches, file, 'patches').forEach((p, i) => {
    applyPatchEntry(out, dir, file, p, i);
  });
  return out;
}

/** kustomize's default load restriction: files must sit under the kustomization's directory. */
function checkInsideRoot(dir: string, target: string, file: string, entry: string): void {
  const rel = path.relative(dir, target);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw new KustomizeError(
      `${file}: ${entry} is outside the kustomization root (kustomize refuses to load it)`,
    );
}

function asList(x: unknown, file: string, field: string): unknown[] {
  if (x === undefined) return [];
  if (!Array.isArray(x)) throw new KustomizeError(`${file}: ${field} must be a list`);
  return x;
}

function asManifest(x: unknown, where: string): Manifest {
  if (
    !isObject(x) ||
    typeof x.apiVersion !== 'string' ||
    typeof x.kind !== 'string' ||
    !isObject(x.metadata) ||
    typeof x.metadata.name !== 'string'
  )
    throw new KustomizeError(`${where}: a resource needs apiVersion, kind and metadata.name`);
  return x as Manifest;
}

export function resourceId(r: Pick<Manifest, 'apiVersion' | 'kind' | 'metadata'>): string {
  const group = r.apiVersion.includes('/') ? r.apiVersion.split('/')[0] : '';
  return `${group}/${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
}

function add(list: Manifest[], r: Manifest, where: string): void {
  if (list.some((x) => resourceId(x) === resourceId(r)))
    throw new KustomizeError(`${where}: may not add resource with an already registered id ${resourceId(r)}`);
  list.push(structuredClone(r));
}

interface Target {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

function applyPatchEntry(out: Rendered, dir: string, file: string, entry: unknown, i: number): void {
  const where = `${file}: patches[${i}]`;
  if (!isObject(entry)) throw new KustomizeError(`${where} must be a mapping`);
  for (const key of Object.keys(entry))
    if (!['path', 'patch', 'target'].includes(key))
      throw new KustomizeError(`${where}: field "${key}" is not supported`);
  let text: string;
  let source: string;
  if (typeof entry.path === 'string') {
    const target = path.resolve(dir, entry.path);
    checkInsideRoot(dir, target, file, entry.path);
    if (!existsSync(target)) throw new KustomizeError(`${where}: ${entry.path} does not exist`);
    text = readFileSync(target, 'utf8');
    source = target;
    out.files.push(target);
  } else if (typeof entry.patch === 'string') {
    text = entry.patch;
    source = where;
  } else throw new KustomizeError(`${where}: needs path or patch`);
  const docs = parseYamlDocs(text, source);
  if (docs.length !== 1) throw new KustomizeError(`${source}: a patch file holds exactly one patch`);
  const patch = docs[0]!.value;
  const target = entry.target as Target | undefined;
  if (Array.isArray(patch)) {
    if (!isObject(target)) throw new KustomizeError(`${where}: a JSON 6902 patch needs a target`);
    const matches = out.resources.filter((r) => matchesTarget(r, target));
    if (matches.length === 0) throw new KustomizeError(`${where}: target matches no resource`);
    for (const r of matches) applyJson6902(r, patch, source);
    return;
  }
  const p = asManifest(patch, source);
  const matches = isObject(target)
    ? out.resources.filter((r) => matchesTarget(r, target))
    : out.resources.filter(
        (r) =>
          r.apiVersion === p.apiVersion &&
          r.kind === p.kind &&
          r.metadata.name === p.metadata.name &&
          (p.metadata.namespace === undefined || r.metadata.namespace === p.metadata.namespace),
      );
  if (matches.length !== 1)
    throw new KustomizeError(
      `${source}: found ${matches.length} targets for the patch, kustomize needs exactly one`,
    );
  const r = matches[0]!;
  const merged = strategicMerge(r, p, isBuiltinKind(r), source, '');
  for (const key of Object.keys(r)) delete r[key];
  Object.assign(r, merged);
}

function matchesTarget(r: Manifest, t: Target): boolean {
  const [group, version] = r.apiVersion.includes('/') ? r.apiVersion.split('/') : ['', r.apiVersion];
  return (
    (t.group === undefined || t.group === group) &&
    (t.version === undefined || t.version === version) &&
    (t.kind === undefined || t.kind === r.kind) &&
    (t.name === undefined || t.name === r.metadata.name) &&
    (t.namespace === undefined || t.namespace === r.metadata.namespace)
  );
}

function isBuiltinKind(r: Manifest): boolean {
  const group = r.apiVersion.includes('/') ? r.apiVersion.split('/')[0]! : '';
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}

/**
 * Strategic merge as kustomize applies it: maps merge, `null` deletes, lists are replaced (which is what
 * kustomize does for custom resources, having no patch-merge keys for them). Built-in kinds merge lists
 * by key (containers by name, ...); this renderer refuses list patches there rather than guess.
 */
function strategicMerge(
  base: unknown,
  patch: unknown,
  builtin: boolean,
  source: string,
  at: string,
): unknown {
  if (isObject(patch)) {
    if (Object.keys(patch).some((k) => k.startsWith('$')))
      throw new KustomizeError(`${source}: ${at}: patch directives ($patch, ...) are not supported`);
    const out: Record<string, unknown> = isObject(base) ? { ...base } : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = strategicMerge(out[k], v, builtin, source, `${at}/${k}`);
    }
    return out;
  }
  if (Array.isArray(patch) && builtin)
    throw new KustomizeError(
      `${source}: ${at}: list patches of built-in kinds are not supported; use JSON 6902`,
    );
  return structuredClone(patch);
}

function pointer(p: string, source: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new KustomizeError(`${source}: bad JSON pointer ${p}`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902 add / remove / replace / test (the operations Vigil's overlays may use). */
export function applyJson6902(doc: Record<string, unknown>, ops: unknown[], source: string): void {
  ops.forEach((op, i) => {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string')
      throw new KustomizeError(`${source}: operation ${i} needs op and path`);
    const parts = pointer(op.path, source);
    const last = parts.pop();
    if (last === undefined)
      throw new KustomizeError(`${source}: operation ${i} may not target the whole document`);
    let parent: unknown = doc;
    for (const part of parts) {
      parent = Array.isArray(parent) ? parent[Number(part)] : isObject(parent) ? parent[part] : undefined;
      if (parent === undefined)
        throw new KustomizeError(`${source}: operation ${i}: ${op.path} does not exist`);
    }
    const fail = (why: string) =>
      new KustomizeError(`${source}: operation ${i} (${op.op} ${op.path}): ${why}`);
    if (Array.isArray(parent)) {
      const idx = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(idx) || idx < 0 || idx > parent.length) throw fail('bad array index');
      if (op.op === 'add') parent.splice(idx, 0, structuredClone(op.value));
      else if (idx >= parent.length) throw fail('no such element');
      else if (op.op === 'remove') parent.splice(idx, 1);
      else if (op.op === 'replace') parent[idx] = structuredClone(op.value);
      else if (op.op === 'test') {
        if (JSON.stringify(parent[idx]) !== JSON.stringify(op.value)) throw fail('test failed');
      } else throw fail('unsupported op');
    } else if (isObject(parent)) {
      if (op.op === 'add') parent[last] = structuredClone(op.value);
      else if (!(last in parent)) throw fail('no such member');
      else if (op.op === 'remove') delete parent[last];
      else if (op.op === 'replace') parent[last] = structuredClone(op.value);
      else if (op.op === 'test') {
        if (JSON.stringify(parent[last]) !== JSON.stringify(op.value)) throw fail('test failed');
      } else throw fail('unsupported op');
    } else throw fail('parent is not a container');
  });
}
