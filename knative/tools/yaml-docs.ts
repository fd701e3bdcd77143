// Read Kubernetes YAML the way the API server will: every document, errors fatal, and no scalar whose
// meaning differs between YAML 1.2 (the `yaml` package's default) and YAML 1.1 (Kubernetes' reader).
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';

export interface YamlDoc {
  file: string;
  index: number;
  value: unknown;
}

export class YamlError extends Error {}

export function parseYamlDocs(text: string, file: string): YamlDoc[] {
  const v12 = parseAllDocuments(text);
  const v11 = parseAllDocuments(text, { version: '1.1' });
  const docs: YamlDoc[] = [];
  v12.forEach((doc, index) => {
    const err = doc.errors[0];
    if (err) throw new YamlError(`${file}: document ${index + 1}: ${err.message}`);
    const value = doc.toJS();
    const other = (v11 as typeof v12)[index]?.toJS();
    if (!isDeepStrictEqual(value, other))
      throw new YamlError(
        `${file}: document ${index + 1} reads differently in YAML 1.1 (Kubernetes) and 1.2: quote yes/no/on/off, octal-looking numbers and similar scalars`,
      );
    if (value !== null && value !== undefined) docs.push({ file, index, value });
  });
  return docs;
}

export function readYamlDocs(file: string): YamlDoc[] {
  return parseYamlDocs(readFileSync(file, 'utf8'), file);
}
