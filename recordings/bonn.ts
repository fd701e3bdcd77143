// Reader for the Bonn University EEG sets (Andrzejak et al. 2001): one integer sample per line,
// CRLF line endings, 173.61 Hz, one directory per set (setA..setE), set E is ictal (seizure).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export const BONN_SAMPLE_RATE_HZ = 173.61;
export const BONN_SETS = ['setA', 'setB', 'setC', 'setD', 'setE'] as const;
export type BonnSet = (typeof BONN_SETS)[number];

/** Set E is the only ictal set; A-D are seizure-free. */
export function bonnLabel(set: BonnSet): 0 | 1 {
  return set === 'setE' ? 1 : 0;
}

export interface BonnRecording {
  /** Path of the file it was read from. */
  file: string;
  /** File name without extension, e.g. `S001`. */
  name: string;
  set: BonnSet;
  label: 0 | 1;
  sampleRateHz: number;
  samples: Float64Array;
}

/** A Bonn file or directory that does not follow the format; names the file (and line when known). */
export class BonnFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(line === undefined ? `${file}: ${detail}` : `${file}:${line}: ${detail}`);
    this.name = 'BonnFormatError';
  }
}

const INTEGER = /^[-+]?\d+$/;

/** Parses the text of one Bonn file. Accepts CRLF or LF and one trailing newline; every other line must be an integer. */
export function parseBonnText(text: string, file: string): Float64Array {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new BonnFormatError(file, undefined, 'file holds no samples');
  const out = new Float64Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    const s = raw.trim();
    if (!INTEGER.test(s)) {
      const shown = s.length > 40 ? `${s.slice(0, 40)}…` : s;
      throw new BonnFormatError(
        file,
        i + 1,
        `expected one integer sample per line, got ${JSON.stringify(shown)}`,
      );
    }
    out[i] = Number(s);
  }
  return out;
}

export async function readBonnFile(file: string, set: BonnSet): Promise<BonnRecording> {
  let text: string;
  try {
    text = await readFile(file, 'latin1');
  } catch (err) {
    throw new BonnFormatError(file, undefined, `cannot read: ${(err as Error).message}`);
  }
  return {
    file,
    name: path.basename(file).replace(/\.txt$/i, ''),
    set,
    label: bonnLabel(set),
    sampleRateHz: BONN_SAMPLE_RATE_HZ,
    samples: parseBonnText(text, file),
  };
}

export interface BonnEntry {
  file: string;
  name: string;
  set: BonnSet;
  label: 0 | 1;
}

/**
 * Lists the recordings of a Bonn-layout directory: any subset of `setA`..`setE` (set directory names
 * matched case-insensitively), files ending `.txt` in any case, sorted by set then name.
 */
export async function listBonnDir(dir: string): Promise<BonnEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new BonnFormatError(dir, undefined, `cannot read directory: ${(err as Error).message}`);
  }
  const entries: BonnEntry[] = [];
  for (const set of BONN_SETS) {
    const setDir = names.find((n) => n.toLowerCase() === set.toLowerCase());
    if (setDir === undefined) continue;
    const files = (await readdir(path.join(dir, setDir))).filter((f) => /\.txt$/i.test(f)).sort();
    for (const f of files)
      entries.push({
        file: path.join(dir, setDir, f),
        name: f.replace(/\.txt$/i, ''),
        set,
        label: bonnLabel(set),
      });
  }
  if (entries.length === 0)
    throw new BonnFormatError(dir, undefined, 'no setA..setE directory with .txt files found');
  return entries;
}

export async function readBonnDir(dir: string): Promise<BonnRecording[]> {
  const entries = await listBonnDir(dir);
  return Promise.all(entries.map((e) => readBonnFile(e.file, e.set)));
}
