// Validates resources against the FHIR R4 JSON Schema pieces in this folder (draft-06, as HL7 publishes it).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

export const PIECES_PATH = join(here, 'fhir-r4-pieces.schema.json');

let cache: Map<string, ValidateFunction> | undefined;

function validators(): Map<string, ValidateFunction> {
  if (cache) return cache;
  const schema = JSON.parse(readFileSync(PIECES_PATH, 'utf8')) as { $id: string; definitions: object };
  // strict: false because the HL7 schema carries the OpenAPI `discriminator` keyword ajv does not know.
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as object);
  ajv.addSchema(schema);
  cache = new Map();
  for (const name of ['Bundle', 'Observation', 'Patient', 'Flag', 'OperationOutcome'])
    cache.set(name, ajv.getSchema(`${schema.$id}#/definitions/${name}`)!);
  return cache;
}

/** Error messages (empty when valid) for a resource of the given type. */
export function fhirErrors(resource: { resourceType?: unknown; [k: string]: unknown }): string[] {
  const v = validators().get(String(resource.resourceType));
  if (!v) return [`no schema piece for resourceType ${String(resource.resourceType)}`];
  if (v(resource)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
