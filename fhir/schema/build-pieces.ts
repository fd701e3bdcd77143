// Regenerates fhir/schema/fhir-r4-pieces.schema.json from a full FHIR R4 fhir.schema.json:
//   npx tsx fhir/schema/build-pieces.ts <path/to/fhir.schema.json>
// Keeps only the definitions Vigil's FHIR export needs (transitively), narrows ResourceList to them,
// and drops properties that are not in the HL7 release (see PROVENANCE.md).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOTS = ['Bundle', 'Observation', 'Patient', 'Flag', 'OperationOutcome'] as const;
/** Properties some redistributions add to Meta; HL7's R4 4.0.1 Meta has none of them. */
const NON_HL7_META = ['project', 'author', 'account', 'compartment'];

type Schema = { definitions: Record<string, unknown>; [k: string]: unknown };

export function buildPieces(full: Schema): Schema {
  const defs = full.definitions;
  const keep = new Set<string>();
  const stack: string[] = [...ROOTS];
  while (stack.length) {
    const name = stack.pop()!;
    if (keep.has(name) || name === 'ResourceList') continue;
    if (!defs[name]) throw new Error(`definition ${name} missing from the source schema`);
    keep.add(name);
    for (const m of JSON.stringify(defs[name]).matchAll(/#\/definitions\/([A-Za-z0-9_]+)/g))
      stack.push(m[1]!);
  }
  const out: Record<string, unknown> = {
    ResourceList: { oneOf: ROOTS.map((r) => ({ $ref: `#/definitions/${r}` })) },
  };
  for (const name of Object.keys(defs).filter((k) => keep.has(k))) out[name] = structuredClone(defs[name]);
  const meta = out.Meta as { properties: Record<string, unknown> };
  for (const p of NON_HL7_META) delete meta.properties[p];
  return {
    $schema: 'http://json-schema.org/draft-06/schema#',
    $id: 'https://vigil.health/fhir/schema/fhir-r4-pieces.schema.json',
    description: `Subset of the FHIR R4 (4.0.1) JSON Schema: ${ROOTS.join(', ')} and what they reference. See PROVENANCE.md.`,
    discriminator: {
      propertyName: 'resourceType',
      mapping: Object.fromEntries(ROOTS.map((r) => [r, `#/definitions/${r}`])),
    },
    oneOf: ROOTS.map((r) => ({ $ref: `#/definitions/${r}` })),
    definitions: out,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const src = process.argv[2];
  if (!src) {
    console.error('usage: npx tsx fhir/schema/build-pieces.ts <fhir.schema.json>');
    process.exit(2);
  }
  const pieces = buildPieces(JSON.parse(readFileSync(src, 'utf8')) as Schema);
  const dest = join(dirname(fileURLToPath(import.meta.url)), 'fhir-r4-pieces.schema.json');
  writeFileSync(dest, `${JSON.stringify(pieces, null, 1)}\n`);
  console.log(`wrote ${Object.keys(pieces.definitions).length} definitions to ${dest}`);
}
