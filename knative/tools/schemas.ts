// Offline schema validation of Kubernetes, Knative and MetalLB manifests (kubeconform-style), and of
// the files that have a SchemaStore schema. Schemas live in knative/schemas (see PROVENANCE.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';

// ajv-formats is CommonJS with a `default` export; under NodeNext the import is the module object.
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsModule as unknown as FormatsPlugin);

export const SCHEMA_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../schemas');
const KUBERNETES_DIR = 'kubernetes/v1.32.2-standalone-strict';

const KUBERNETES_KEYWORDS = [
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-patch-strategy',
  'x-kubernetes-patch-merge-key',
  'x-kubernetes-group-version-kind',
  'x-kubernetes-unions',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-validations',
];

function makeAjv() {
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false, strictTuples: false });
  addFormats(ajv);
  ajv.addVocabulary(KUBERNETES_KEYWORDS);
  return ajv;
}

/** Kubernetes' own groups use the built-in schemas; everything else is a custom resource. */
function isBuiltinGroup(group: string): boolean {
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}

export interface ManifestIssue {
  where: string;
  message: string;
}

export class SchemaSet {
  private readonly ajv = makeAjv();
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(readonly root = SCHEMA_ROOT) {}

  /** Compiled validator for a file under the schema root (compiled once, on first use). */
  validator(file: string): ValidateFunction {
    const cached = this.cache.get(file);
    if (cached) return cached;
    const schema = JSON.parse(readFileSync(path.join(this.root, file), 'utf8'));
    const compiled = this.ajv.compile(schema);
    this.cache.set(file, compiled);
    return compiled;
  }

  /** Schema file for apiVersion/kind, or undefined when this schema set does not know the pair. */
  schemaFileFor(apiVersion: unknown, kind: unknown): string | undefined {
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    const file = isBuiltinGroup(group!)
      ? `${KUBERNETES_DIR}/${kind.toLowerCase()}${group ? `-${group.split('.')[0]}` : ''}-${version}.json`
      : `crd-json-strict/${group}/${kind.toLowerCase()}_${version}.json`;
    try {
      readFileSync(path.join(this.root, file));
      return file;
    } catch {
      return undefined;
    }
  }

  /**
   * Validate one manifest. Unknown apiVersion/kind is an issue, never a skip. Custom resources also
   * get their `metadata` (and Knative's `spec.template.metadata`) checked against ObjectMeta.
   * `partial` (patch files) ignores missing required fields but still rejects unknown or mistyped ones.
   */
  validateManifest(doc: unknown, where: string, opts: { partial?: boolean } = {}): ManifestIssue[] {
    if (!isObject(doc)) return [{ where, message: 'document is not a mapping' }];
    const file = this.schemaFileFor(doc.apiVersion, doc.kind);
    if (!file)
      return [{ where, message: `unknown apiVersion/kind ${String(doc.apiVersion)} ${String(doc.kind)}` }];
    const issues = this.run(file, doc, where, opts.partial);
    if (file.startsWith('crd-json-strict/')) {
      const meta = `${KUBERNETES_DIR}/objectmeta-meta-v1.json`;
      if (doc.metadata !== undefined)
        issues.push(...this.run(meta, doc.metadata, `${where} metadata`, opts.partial));
      const template = isObject(doc.spec) && isObject(doc.spec.template) ? doc.spec.template : undefined;
      if (template?.metadata !== undefined)
        issues.push(...this.run(meta, template.metadata, `${where} spec.template.metadata`, opts.partial));
    }
    if (!opts.partial && !(isObject(doc.metadata) && typeof doc.metadata.name === 'string'))
      issues.push({ where, message: 'metadata.name is required' });
    return issues;
  }

  /** Validate against a file of the schema root by name (kustomization, workflow). */
  validateWith(file: string, doc: unknown, where: string): ManifestIssue[] {
    return this.run(file, doc, where, false);
  }

  private run(file: string, doc: unknown, where: string, partial?: boolean): ManifestIssue[] {
    const validate = this.validator(file);
    if (validate(doc)) return [];
    return (validate.errors ?? [])
      .filter((e) => !(partial && e.keyword === 'required'))
      .map((e) => ({ where, message: `${file}: ${formatError(e)}` }));
  }
}

function formatError(e: ErrorObject): string {
  const at = e.instancePath || '(root)';
  if (e.keyword === 'additionalProperties')
    return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  return `${at}: ${e.message ?? e.keyword}`;
}

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
