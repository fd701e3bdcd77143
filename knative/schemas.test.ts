// The copied schemas are the ones PROVENANCE.md names: recompute each file's git blob id.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'schemas');
const provenance = readFileSync(path.join(dir, 'PROVENANCE.md'), 'utf8');
const files = readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.json'))
  .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
  .sort();

function gitBlobId(file: string): string {
  const body = readFileSync(file);
  return createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex').slice(0, 12);
}

describe('knative/schemas', () => {
  it.each(files)('%s has the blob id PROVENANCE.md records', (f) => {
    const id = gitBlobId(path.join(dir, f));
    const base = path.basename(f, '.json');
    const line = provenance
      .split('\n')
      .find((l) => l.includes(`\`${path.basename(f)}\``) || l.includes(`${base} ${id}`));
    expect(line, `${f} is listed`).toBeDefined();
    expect(provenance).toContain(id);
  });
});
